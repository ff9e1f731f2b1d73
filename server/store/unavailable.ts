import type { Pool, PoolClient } from "pg";
import type { PostgresPool, PostgresPoolClient } from "kysely";
import { errorText } from "../util/error-text.ts";

/**
 * The database could not be reached, lost the connection mid-query, or cancelled a statement that
 * ran past its statement_timeout: a request that needs it is answered 503 `unavailable` at once
 * (http/failures.ts), and the next one tries again.
 */
export class DatabaseUnavailableError extends Error {
  constructor(cause: unknown) {
    super(`The database is not answering: ${errorText(cause)}`, { cause });
    this.name = "DatabaseUnavailableError";
  }
}

/** Whether `error`, or an error it was caused by, is the database being unavailable. */
export function causedByUnavailableDatabase(error: unknown): boolean {
  for (let cause = error, depth = 0; cause instanceof Error && depth < 10; depth++) {
    if (cause instanceof DatabaseUnavailableError) return true;
    cause = cause.cause;
  }
  return false;
}

/**
 * PostgreSQL's error classes for a connection that failed or ended: 08 (connection exception) and
 * 57P01-57P03 (the server shutting down or starting). Node's own socket errors have no SQLSTATE.
 */
const lostConnection = (error: unknown): boolean => {
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string") return /^(08|57P0[123]|E[A-Z]+)/.test(code);
  return error instanceof Error && /connection terminated|connection error/i.test(error.message);
};

/**
 * PostgreSQL cancelled the statement (57014, query_canceled): it ran past statement_timeout, or
 * was cancelled by hand. The connection is sound and goes back to the pool.
 */
const cancelled = (error: unknown): boolean => (error as { code?: unknown }).code === "57014";

/** The time limits on the statements of a connection lent by the pool. */
export interface QueryLimits {
  /** PostgreSQL's statement_timeout, which the pool's connections open with. */
  statementTimeoutMs: number;
  /** How long a statement may go unanswered before its connection counts as lost. */
  unansweredMs: number;
}

/**
 * The pool as Kysely sees it, its connection failures turned into DatabaseUnavailableError: a
 * connection that could not be opened (refused, timed out), a query whose connection ended, a
 * statement PostgreSQL cancelled past its statement_timeout, and a query left unanswered for
 * `limits().unansweredMs`, as by a server that hangs or a network that drops its packets, where
 * the connection would otherwise wait for minutes. While `limits()` is undefined (migrations),
 * nothing is limited: a connection lent then has its statement_timeout set off, and set back to
 * `limits().statementTimeoutMs` when it is lent again afterwards.
 */
export function reportingUnavailability(
  pool: Pool,
  limits: () => QueryLimits | undefined = () => undefined,
): PostgresPool {
  /** The pooled connections whose statement_timeout is off. */
  const unlimited = new WeakSet<PoolClient>();
  return {
    options: pool.options,
    async connect() {
      let client: PoolClient;
      try {
        client = await pool.connect();
      } catch (error) {
        throw new DatabaseUnavailableError(error);
      }
      const limit = limits();
      const lent = withQueryFailures(client, watchWhileCheckedOut(client), limit?.unansweredMs);
      const setStatementTimeout = (ms: number) =>
        lent.query("select set_config('statement_timeout', $1, false)", [String(ms)]);
      try {
        if (!limit && !unlimited.has(client)) {
          await setStatementTimeout(0);
          unlimited.add(client);
        } else if (limit && unlimited.has(client)) {
          await setStatementTimeout(limit.statementTimeoutMs);
          unlimited.delete(client);
        }
      } catch (error) {
        lent.release(true);
        throw error instanceof DatabaseUnavailableError
          ? error
          : new DatabaseUnavailableError(error);
      }
      return lent;
    },
    end: () => pool.end(),
  };
}

/**
 * The pool listens for a connection's errors only while it is idle: a checked-out connection lost
 * between two queries (inside a transaction, or while the database stops) would emit an error
 * nobody hears, which ends the process. Listens while it is out; `release` answers the error, if
 * one came, so that the pool drops the connection instead of lending it again.
 */
function watchWhileCheckedOut(client: PoolClient): () => Error | undefined {
  let lost: Error | undefined;
  const onError = (error: Error) => {
    lost = error;
  };
  client.on("error", onError);
  return () => {
    client.off("error", onError);
    return lost;
  };
}

/**
 * The two methods Kysely calls on a pooled client, a query's failure described. A query left
 * unanswered past the time limit fails, and so does every later one on that connection (the
 * rollback of its transaction among them) without waiting again; the pool then drops it.
 */
function withQueryFailures(
  client: PoolClient,
  stopWatching: () => Error | undefined,
  limitMs: number | undefined,
): PostgresPoolClient {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  let unanswered: DatabaseUnavailableError | undefined;
  const answerWithin = (result: Promise<unknown>): Promise<unknown> => {
    if (limitMs === undefined) return result;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        unanswered = new DatabaseUnavailableError(new Error(`no answer within ${limitMs} ms`));
        reject(unanswered);
      }, limitMs);
    });
    return Promise.race([result, timeout]).finally(() => clearTimeout(timer));
  };
  return {
    query: (...args: unknown[]) => {
      if (unanswered) return Promise.reject(unanswered);
      const result = query(...args);
      // A cursor (a streamed query) is returned as it is; a promise, with its failure described.
      if (!(result instanceof Promise)) return result;
      return answerWithin(result).catch((error: unknown) => {
        throw lostConnection(error) || cancelled(error)
          ? new DatabaseUnavailableError(error)
          : error;
      });
    },
    release: (destroy?: boolean) => {
      const lost = stopWatching();
      client.release(lost ?? unanswered ?? destroy);
    },
  } as PostgresPoolClient;
}
