import { EventEmitter } from "node:events";
import { mkdirSync, readdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Clock } from "../clock.ts";
import type { Logger } from "../logger.ts";
import { checkBackupOffThread, type BackupContents } from "./check-backup.ts";
import type { Store } from "./store.ts";

/** officellm-2026-12-05T14-50-11-123Z.db: sortable by name, and the time it was taken. */
const backupName = /^officellm-(\d{4}-\d{2}-\d{2})T(\d{2})-(\d{2})-(\d{2})-(\d{3})Z\.db$/;

function nameFor(at: Date): string {
  return `officellm-${at.toISOString().replace(/[:.]/g, "-")}.db`;
}

function timeOf(name: string): Date | undefined {
  const match = backupName.exec(name);
  return match
    ? new Date(`${match[1]}T${match[2]}:${match[3]}:${match[4]}.${match[5]}Z`)
    : undefined;
}

export interface Backup {
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
  backupNow(): Promise<Backup>;
}

export interface BackupScheduleOptions {
  store: Pick<Store, "backup">;
  /** BACKUP_DIR: where backups are kept; created when missing. */
  directory: string;
  /** BACKUP_INTERVAL: from the end of one backup to the start of the next. */
  intervalMs: number;
  /** BACKUP_KEEP: how many good backups are kept; older ones are deleted. */
  keep: number;
  clock: Clock;
  logger: Logger;
}

/**
 * Online backups of the embedded SQLite database: one at start, then one every interval. Each is
 * written by SQLite's online backup API while the server keeps serving, under a `.partial` name;
 * it takes its final name only once it has been opened and checked (check-backup.ts), so every
 * `officellm-*.db` in the directory is a good one and the newest name is the last good backup,
 * across restarts. Emits "backup" (a Backup) and "failure" (an Error).
 */
export class BackupSchedule extends EventEmitter implements Backups {
  readonly #options: BackupScheduleOptions;
  #lastGoodAt: Date | undefined;
  /** The backup being written: one at a time, shared by whoever asks meanwhile. */
  #current: Promise<Backup> | undefined;
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
    this.#lastGoodAt = this.#goodBackups()[0]?.at;
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
    this.#running = this.backupNow()
      .catch(() => undefined) // logged and emitted as "failure"
      .finally(() => {
        this.#running = undefined;
        if (this.#stopped) return;
        this.#timer = setTimeout(() => this.#tick(), this.#options.intervalMs);
        this.#timer.unref();
      });
  }

  /**
   * One backup: written, checked, named, and the oldest beyond BACKUP_KEEP deleted. Asked for
   * while one is being written (the schedule's, or an admin's), it answers with that one.
   */
  backupNow(): Promise<Backup> {
    this.#current ??= this.#backup().finally(() => {
      this.#current = undefined;
    });
    return this.#current;
  }

  async #backup(): Promise<Backup> {
    const { store, directory, clock, logger } = this.#options;
    const at = clock.now();
    const path = join(directory, nameFor(at));
    const partial = `${path}.partial`;
    try {
      await store.backup(partial);
      const contents = await checkBackupOffThread(partial);
      renameSync(partial, path);
      this.#lastGoodAt = at;
      this.#prune();
      const { tokens, usage, auditLog } = contents;
      logger.info({ backup: path, tokens, usage, auditLog }, "Backup written and checked");
      const backup = { path, at, contents };
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

  /** Good backups, newest first. */
  #goodBackups(): { path: string; at: Date }[] {
    return readdirSync(this.#options.directory)
      .flatMap((name) => {
        const at = timeOf(name);
        return at ? [{ path: join(this.#options.directory, name), at }] : [];
      })
      .sort((a, b) => b.at.getTime() - a.at.getTime());
  }

  #prune(): void {
    for (const old of this.#goodBackups().slice(this.#options.keep))
      rmSync(old.path, { force: true });
  }

  /** Stops the schedule, after the backup under way (if any, the schedule's or asked for) has finished. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
    await this.#current?.catch(() => undefined); // a failure was logged and emitted
  }
}
