import { existsSync, renameSync, rmSync } from "node:fs";
import { dirname, join, basename } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import type { Clock } from "../clock.ts";
import { checkBackup, type BackupContents } from "./check-backup.ts";
import { copySqliteDatabase } from "./sqlite-copy.ts";

export class RestoreRefusedError extends Error {
  override name = "RestoreRefusedError";
}

export interface Restored {
  /** The database file now holding the backup's data. */
  database: string;
  /** A copy of what the database held before, kept next to it; undefined if there was none. */
  previous: string | undefined;
  contents: BackupContents;
}

/**
 * Whether some connection other than ours has the database open: a server, a command, a shell.
 * SQLite lets a WAL database leave WAL mode only when no other connection has it open, so asking
 * for it is the check (and it folds the WAL into the file, leaving one file to replace). It fails
 * at once instead of waiting (timeout 0). Locks are per host: a server on another machine using
 * the file over a network share is not seen.
 */
function takeOverDatabase(path: string): BetterSqlite3.Database {
  const file = new BetterSqlite3(path, { fileMustExist: true, timeout: 0 });
  try {
    file.pragma("journal_mode = DELETE");
    return file;
  } catch (error) {
    file.close();
    if ((error as { code?: string }).code === "SQLITE_BUSY") {
      throw new RestoreRefusedError(
        `${path} is in use (an OfficeLLM server, or another program, has it open): stop it, then restore`,
      );
    }
    throw error;
  }
}

/**
 * Replaces the embedded database at `databasePath` with the backup `backupFile`, which must pass
 * the same check as the scheduled backups. Refuses while anything else has the database open.
 * What the database held is kept as `<name>.before-restore-<time>` next to it. The new file is
 * written beside the database and renamed over it, so that the database is at every moment
 * either the old one or the whole backup.
 */
export async function restoreSqliteBackup(
  databasePath: string,
  backupFile: string,
  clock: Clock,
): Promise<Restored> {
  const contents = await checkBackup(backupFile);
  const stamp = clock.now().toISOString().replace(/[:.]/g, "-");
  const incoming = join(dirname(databasePath), `.${basename(databasePath)}.restoring`);
  let previous: string | undefined;
  const current = existsSync(databasePath) ? takeOverDatabase(databasePath) : undefined;
  try {
    if (current) {
      previous = `${databasePath}.before-restore-${stamp}`;
      await copySqliteDatabase(current, previous);
    }
    const source = new BetterSqlite3(backupFile, { readonly: true });
    try {
      await copySqliteDatabase(source, incoming);
    } finally {
      source.close();
    }
    // The copy is checked too: what goes live is what was checked.
    await checkBackup(incoming);
    current?.close();
    for (const leftover of ["-wal", "-shm", "-journal"])
      rmSync(`${databasePath}${leftover}`, { force: true });
    renameSync(incoming, databasePath);
    return { database: databasePath, previous, contents };
  } catch (error) {
    rmSync(incoming, { force: true });
    throw error;
  } finally {
    if (current?.open) current.close();
  }
}
