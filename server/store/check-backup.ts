import { Worker } from "node:worker_threads";
import BetterSqlite3 from "better-sqlite3";
import { migrationProvider } from "./migrations.ts";

/** What a checked backup holds: rows of the tables an operator restores it for. */
export interface BackupContents {
  tokens: number;
  usage: number;
  auditLog: number;
  /** The migrations it was made at, oldest first. */
  migrations: string[];
}

export class BackupCheckError extends Error {
  override name = "BackupCheckError";
}

/**
 * Opens the SQLite file at `path` read-only and checks that it is a whole OfficeLLM database
 * that this version can run on: SQLite's integrity check passes, every migration it was made at
 * is one this version knows (not a newer version's backup), and the tokens, ledger and audit
 * tables can be read. Synchronous, and as long as the file is big: the server calls it through
 * `checkBackupOffThread`.
 */
export async function checkBackup(path: string): Promise<BackupContents> {
  const known = Object.keys(await migrationProvider("sqlite").getMigrations());
  let file: BetterSqlite3.Database;
  try {
    file = new BetterSqlite3(path, { readonly: true, fileMustExist: true });
  } catch (error) {
    throw new BackupCheckError(`${path} cannot be opened: ${(error as Error).message}`);
  }
  try {
    const integrity = file.pragma("integrity_check", { simple: true }) as string;
    if (integrity !== "ok") throw new BackupCheckError(`${path} is damaged: ${integrity}`);
    const count = (table: string) =>
      (file.prepare(`select count(*) as n from ${table}`).get() as { n: number }).n;
    const migrations = (
      file.prepare("select name from kysely_migration order by name").all() as { name: string }[]
    ).map((row) => row.name);
    const unknown = migrations.filter((name) => !known.includes(name));
    if (unknown.length > 0) {
      throw new BackupCheckError(
        `${path} was made by a newer OfficeLLM (migrations ${unknown.join(", ")}): restore it with that version`,
      );
    }
    return {
      tokens: count("tokens"),
      usage: count("usage"),
      auditLog: count("audit_log"),
      migrations,
    };
  } catch (error) {
    if (error instanceof BackupCheckError) throw error;
    throw new BackupCheckError(`${path} is not an OfficeLLM database: ${(error as Error).message}`);
  } finally {
    file.close();
  }
}

/** `checkBackup` in a worker thread, so that checking a large file never stalls the server. */
export function checkBackupOffThread(path: string): Promise<BackupContents> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL("./check-backup-worker.ts", import.meta.url), {
      workerData: path,
    });
    worker.once("message", (outcome: { contents: BackupContents } | { problem: string }) => {
      if ("contents" in outcome) resolve(outcome.contents);
      else reject(new BackupCheckError(outcome.problem));
    });
    worker.once("error", reject);
    worker.once("exit", (code) =>
      reject(new Error(`the backup check stopped (exit code ${code})`)),
    );
  });
}
