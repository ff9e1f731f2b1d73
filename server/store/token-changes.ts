import type BetterSqlite3 from "better-sqlite3";

/** The PostgreSQL channel on which the `token_changes` trigger announces a change. */
export const TOKEN_CHANGES_CHANNEL = "officellm_token_changes";

/**
 * The token change counter (`token_changes`, migration 0004): a database trigger moves it on
 * every change to a token that can decide whether a secret is accepted, whichever process makes
 * it. An instance whose cached tokens were read at one value must read them again at another.
 */
export interface TokenChanges {
  /**
   * The counter as this instance knows it: read from the database on each call (SQLite), or as
   * last announced or polled (PostgreSQL: token-changes-postgres.ts).
   */
  current(): number;
  /** Reads the counter from the database now (after a change this instance made). */
  refresh(): Promise<number>;
  close(): Promise<void>;
}

/**
 * SQLite's counter, read on every call: a primary-key read through a prepared statement on the
 * instance's own connection costs a few microseconds, and sees every commit at once.
 */
export function sqliteTokenChanges(file: BetterSqlite3.Database): TokenChanges {
  const read = file.prepare("select generation from token_changes where id = 1").pluck();
  const current = () => read.get() as number;
  return {
    current,
    refresh: async () => current(),
    close: async () => undefined,
  };
}
