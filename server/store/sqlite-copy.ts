import BetterSqlite3 from "better-sqlite3";

/**
 * Copies an open SQLite database to `path` with SQLite's online backup API (writers carry on
 * meanwhile), as one self-contained file: the copy of a WAL database would be in WAL mode too,
 * and opening it, even read-only, would leave -wal and -shm files beside it.
 */
export async function copySqliteDatabase(
  source: BetterSqlite3.Database,
  path: string,
): Promise<void> {
  await source.backup(path);
  const copy = new BetterSqlite3(path);
  try {
    copy.pragma("journal_mode = DELETE");
  } finally {
    copy.close();
  }
}
