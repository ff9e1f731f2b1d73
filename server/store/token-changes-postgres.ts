import { createRequire } from "node:module";
import type { Kysely } from "kysely";
import type { Client } from "pg";
import type { Logger } from "../logger.ts";
import type { Database } from "./schema.ts";
import { TOKEN_CHANGES_CHANNEL, type TokenChanges } from "./token-changes.ts";

/**
 * How often the counter is read when no notification comes: a change whose notification was
 * lost (the listening connection down) is still seen within this long.
 */
export const TOKEN_CHANGES_POLL_MS = 500;

/** The listening connection's `application_name`, to recognise it in `pg_stat_activity`. */
export const TOKEN_CHANGES_LISTENER = "officellm token changes";

/**
 * PostgreSQL's counter, kept current without a query per request: the trigger's notification
 * makes the instance read it at once; a read every TOKEN_CHANGES_POLL_MS covers notifications
 * lost while the listening connection is down (it is opened again at the next poll).
 */
export async function watchPostgresTokenChanges(
  db: Kysely<Database>,
  databaseUrl: string,
  logger: Logger,
): Promise<TokenChanges> {
  const watch = new PostgresTokenChanges(db, databaseUrl, logger);
  await watch.start();
  return watch;
}

class PostgresTokenChanges implements TokenChanges {
  readonly #db: Kysely<Database>;
  readonly #databaseUrl: string;
  readonly #logger: Logger;
  #timer: NodeJS.Timeout | undefined;
  #known = 0;
  #listener: Client | undefined;
  #polling = false;
  #pollFailing = false;
  #closed = false;

  constructor(db: Kysely<Database>, databaseUrl: string, logger: Logger) {
    this.#db = db;
    this.#databaseUrl = databaseUrl;
    this.#logger = logger;
  }

  async start(): Promise<void> {
    await this.refresh();
    await this.#listen();
    this.#timer = setInterval(() => void this.#poll(), TOKEN_CHANGES_POLL_MS).unref();
  }

  current(): number {
    return this.#known;
  }

  async refresh(): Promise<number> {
    const { generation } = await this.#db
      .selectFrom("token_changes")
      .select("generation")
      .where("id", "=", 1)
      .executeTakeFirstOrThrow();
    // Reads may finish out of order; the counter only grows.
    this.#known = Math.max(this.#known, generation);
    return this.#known;
  }

  /** Opens the listening connection; on failure the polls go on, and try again. */
  async #listen(): Promise<void> {
    // Required here, as database.ts requires it: only an instance on PostgreSQL loads the driver.
    const { Client } = createRequire(import.meta.url)("pg") as typeof import("pg");
    const client = new Client({
      connectionString: this.#databaseUrl,
      application_name: TOKEN_CHANGES_LISTENER,
    });
    const lost = (error?: Error) => {
      if (this.#listener !== client) return;
      this.#listener = undefined;
      if (!this.#closed)
        this.#logger.warn(
          { err: error },
          `token change notifications lost; reading the counter every ${TOKEN_CHANGES_POLL_MS} ms until they are back`,
        );
    };
    client.on("error", lost);
    client.on("end", () => lost());
    client.on("notification", () => {
      this.refresh().catch(() => undefined); // the next poll reads it again
    });
    try {
      await client.connect();
      await client.query(`listen ${TOKEN_CHANGES_CHANNEL}`);
      this.#listener = client;
    } catch (error) {
      this.#logger.warn({ err: error }, "could not listen for token changes; polling instead");
      await client.end().catch(() => undefined);
      return;
    }
    if (this.#closed) await this.close();
    // Whatever was announced before LISTEN took effect.
    else await this.refresh().catch(() => undefined);
  }

  async #poll(): Promise<void> {
    if (this.#polling || this.#closed) return;
    this.#polling = true;
    try {
      await this.refresh();
      if (this.#pollFailing) this.#logger.info("token change counter readable again");
      this.#pollFailing = false;
      if (!this.#listener) await this.#listen();
    } catch (error) {
      if (!this.#pollFailing)
        this.#logger.warn({ err: error }, "could not read the token change counter");
      this.#pollFailing = true;
    } finally {
      this.#polling = false;
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    const listener = this.#listener;
    this.#listener = undefined;
    await listener?.end().catch(() => undefined);
  }
}
