import { EventEmitter } from "node:events";
import { mkdirSync, readdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Clock } from "../clock.ts";
import type { Logger } from "../logger.ts";
import { checkBackupOffThread, type BackupContents } from "./check-backup.ts";
import type { Store } from "./store.ts";

/**
 * Who asked for a backup: the schedule, or an admin (Back up now). They are named apart and kept
 * apart, so that backups taken on demand never push the schedule's out of BACKUP_KEEP.
 */
export type BackupKind = "scheduled" | "on-demand";

/** How many backups taken on demand are kept, the newest, besides BACKUP_KEEP scheduled ones. */
export const ON_DEMAND_KEEP = 3;

/**
 * officellm-2026-12-05T14-50-11-123Z.db (scheduled) and
 * officellm-on-demand-2026-12-05T14-50-11-123Z.db: the kind, and the time it was taken.
 */
const backupName =
  /^officellm-(on-demand-)?(\d{4}-\d{2}-\d{2})T(\d{2})-(\d{2})-(\d{2})-(\d{3})Z\.db$/;

function nameFor(kind: BackupKind, at: Date): string {
  const prefix = kind === "on-demand" ? "officellm-on-demand-" : "officellm-";
  return `${prefix}${at.toISOString().replace(/[:.]/g, "-")}.db`;
}

function parseName(name: string): { kind: BackupKind; at: Date } | undefined {
  const match = backupName.exec(name);
  return match
    ? {
        kind: match[1] ? "on-demand" : "scheduled",
        at: new Date(`${match[2]}T${match[3]}:${match[4]}:${match[5]}.${match[6]}Z`),
      }
    : undefined;
}

export interface Backup {
  kind: BackupKind;
  path: string;
  at: Date;
  contents: BackupContents;
}

/** The time of the last backup that was written and passed its check, for health and metrics. */
export interface BackupStatus {
  lastGoodAt(): Date | undefined;
}

/** The scheduled backups as the admin API sees them: their status, and one taken on demand. */
export interface Backups extends BackupStatus {
  /** A backup on demand; asked for while one is being written, it answers with that one. */
  backupNow(): Promise<Backup>;
}

export interface BackupScheduleOptions {
  store: Pick<Store, "backup">;
  /** BACKUP_DIR: where backups are kept; created when missing. */
  directory: string;
  /** BACKUP_INTERVAL: from the end of one backup to the start of the next. */
  intervalMs: number;
  /**
   * BACKUP_KEEP: how many good scheduled backups are kept; older ones are deleted. Backups taken
   * on demand are kept apart, the newest ON_DEMAND_KEEP of them.
   */
  keep: number;
  clock: Clock;
  logger: Logger;
}

/**
 * Online backups of the embedded SQLite database: one at start, then one every interval. Each is
 * written by SQLite's online backup API while the server keeps serving, under a `.partial` name;
 * it takes its final name only once it has been opened and checked (check-backup.ts), so every
 * `officellm-*.db` in the directory is a good one and the newest is the last good backup, across
 * restarts. Backups taken on demand are named `officellm-on-demand-*.db` and pruned apart from the
 * schedule's. Emits "backup" (a Backup) and "failure" (an Error).
 */
export class BackupSchedule extends EventEmitter implements Backups {
  readonly #options: BackupScheduleOptions;
  #lastGoodAt: Date | undefined;
  /** The backup being written: one at a time, shared by whoever asks meanwhile. */
  #current: Promise<Backup> | undefined;
  /** Whether the backup being written is the schedule's. */
  #currentKind: BackupKind | undefined;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> | undefined;
  #stopped = false;

  constructor(options: BackupScheduleOptions) {
    super();
    this.#options = options;
    mkdirSync(options.directory, { recursive: true });
    for (const name of readdirSync(options.directory)) {
      // A backup cut short by a crash or a stop.
      if (name.endsWith(".db.partial")) rmSync(join(options.directory, name), { force: true });
    }
    this.#lastGoodAt = this.#goodBackups()[0]?.at; // of either kind
  }

  lastGoodAt(): Date | undefined {
    return this.#lastGoodAt;
  }

  /** Takes a backup now, then one every interval until stopped. */
  start(): void {
    this.#tick();
  }

  #tick(): void {
    this.#timer = undefined;
    if (this.#stopped) return;
    this.#running = this.#take("scheduled")
      .catch(() => undefined) // logged and emitted as "failure"
      .finally(() => {
        this.#running = undefined;
        if (this.#stopped) return;
        this.#timer = setTimeout(() => this.#tick(), this.#options.intervalMs);
        this.#timer.unref();
      });
  }

  /**
   * One backup on demand: written, checked, named as taken on demand, and the oldest on-demand
   * ones beyond ON_DEMAND_KEEP deleted (the schedule's are left alone). Asked for while one is
   * being written (the schedule's, or an admin's), it answers with that one.
   */
  backupNow(): Promise<Backup> {
    return this.#current ?? this.#take("on-demand");
  }

  /**
   * A backup of a kind, after one of the other kind under way (if any) has finished: the schedule
   * always writes its own, which counts toward BACKUP_KEEP, even while an admin's is written.
   */
  async #take(kind: BackupKind): Promise<Backup> {
    while (this.#current) {
      if (this.#currentKind === kind) return this.#current;
      await this.#current.catch(() => undefined); // logged and emitted as "failure"
    }
    this.#currentKind = kind;
    this.#current = this.#backup(kind).finally(() => {
      this.#current = undefined;
      this.#currentKind = undefined;
    });
    return this.#current;
  }

  async #backup(kind: BackupKind): Promise<Backup> {
    const { store, directory, clock, logger } = this.#options;
    const at = clock.now();
    const path = join(directory, nameFor(kind, at));
    const partial = `${path}.partial`;
    try {
      await store.backup(partial);
      const contents = await checkBackupOffThread(partial);
      renameSync(partial, path);
      this.#lastGoodAt = at;
      this.#prune(kind);
      const { tokens, usage, auditLog } = contents;
      logger.info({ backup: path, kind, tokens, usage, auditLog }, "Backup written and checked");
      const backup = { kind, path, at, contents };
      this.emit("backup", backup);
      return backup;
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      logger.error({ backup: path, reason: failure.message }, "Backup failed");
      this.emit("failure", failure);
      try {
        rmSync(partial, { force: true });
      } catch {
        // Where nothing could be written (the directory gone), nothing is left to remove.
      }
      throw failure;
    }
  }

  /** Good backups of both kinds, newest first. */
  #goodBackups(): { kind: BackupKind; path: string; at: Date }[] {
    return readdirSync(this.#options.directory)
      .flatMap((name) => {
        const parsed = parseName(name);
        return parsed ? [{ ...parsed, path: join(this.#options.directory, name) }] : [];
      })
      .sort((a, b) => b.at.getTime() - a.at.getTime());
  }

  /** Deletes the oldest backups of a kind beyond what is kept of that kind. */
  #prune(kind: BackupKind): void {
    const keep = kind === "scheduled" ? this.#options.keep : ON_DEMAND_KEEP;
    const ofKind = this.#goodBackups().filter((backup) => backup.kind === kind);
    for (const old of ofKind.slice(keep)) rmSync(old.path, { force: true });
  }

  /** Stops the schedule, after the backup under way (if any, the schedule's or asked for) has finished. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
    await this.#current?.catch(() => undefined); // a failure was logged and emitted
  }
}
