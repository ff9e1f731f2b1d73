import type { Kysely, Updateable } from "kysely";
import type { Redis } from "ioredis";
import type { Clock } from "../clock.ts";
import type { Logger } from "../logger.ts";
import type { Database, TokensTable } from "../store/schema.ts";
import { SettingsRepository, type SettingsRow } from "../store/settings-repository.ts";
import type { Store } from "../store/store.ts";
import type { TokenChanges } from "../store/token-changes.ts";
import { TokenRepository, type TokenRow } from "../store/token-repository.ts";
import { joinInvalidationBus, type Invalidation, type InvalidationBus } from "./invalidation.ts";
import { ReadThroughCache } from "./read-through-cache.ts";

/**
 * How long a copy is used without asking the database. For settings, the most a change can go
 * unseen where no invalidation reaches (no Redis, Redis down); tokens are checked against the
 * token change counter before each use, so for them it only bounds how long an idle copy is kept.
 */
export const READ_CACHE_TTL_MS = 5_000;
const MAX_ENTRIES = 10_000;

/**
 * The store, with the two reads every request makes (its token by secret hash, its caller's
 * settings) served from memory.
 *
 * Tokens: every copy is dropped as soon as the token change counter moves (store/token-changes.ts),
 * whoever changed a token: this instance, another one, the command line, a statement typed by
 * hand. On SQLite the counter is read before each use of a copy; on PostgreSQL a notification
 * brings it, and polling within TOKEN_CHANGES_POLL_MS when notifications are lost. Expiry is
 * still checked against the clock on each request (TokenService.authenticate).
 *
 * Settings: kept for up to READ_CACHE_TTL_MS; a change made through this store drops the copy
 * here at once and, with `redis`, on every other instance too.
 */
export async function withReadCache(
  store: Store,
  options: { clock: Clock; logger: Logger; redis?: Redis | undefined },
): Promise<Store> {
  const cache = <V>(load: (key: string) => Promise<V>) =>
    new ReadThroughCache({
      load,
      ttlMs: READ_CACHE_TTL_MS,
      maxEntries: MAX_ENTRIES,
      clock: options.clock,
    });
  const tokens = cache((hash) => store.tokens.findBySecretHash(hash));
  const settings = cache((tokenId) => store.settings.get(tokenId));
  const tokenChanges = await store.watchTokenChanges(options.logger);

  const bus: InvalidationBus | undefined = options.redis
    ? await joinInvalidationBus(options.redis, options.logger, {
        apply: (invalidation) => settings.delete(invalidation.tokenId),
        forgetAll: () => settings.clear(),
      })
    : undefined;
  const changed = async (invalidation: Invalidation) => {
    settings.delete(invalidation.tokenId);
    await bus?.publish(invalidation);
  };

  return {
    ...store,
    tokens: new CachedTokenRepository(store.db, tokens, tokenChanges),
    settings: new CachedSettingsRepository(store.db, settings, changed),
    async close() {
      bus?.close();
      await tokenChanges.close();
      await store.close();
    },
  };
}

class CachedTokenRepository extends TokenRepository {
  readonly #rows: ReadThroughCache<TokenRow | undefined>;
  readonly #changes: TokenChanges;
  /** The counter's value when the copies held now began to be read. */
  #seen: number;

  constructor(
    db: Kysely<Database>,
    rows: ReadThroughCache<TokenRow | undefined>,
    changes: TokenChanges,
  ) {
    super(db);
    this.#rows = rows;
    this.#changes = changes;
    this.#seen = changes.current();
  }

  override findBySecretHash(hash: string): Promise<TokenRow | undefined> {
    const current = this.#changes.current();
    if (current !== this.#seen) {
      // Cleared after the counter was read: whatever is read from here on is at least as new.
      this.#rows.clear();
      this.#seen = current;
    }
    return this.#rows.get(hash);
  }

  // insert() needs no invalidation: nobody can have looked up a fresh random secret before.
  override async update(id: string, patch: Updateable<TokensTable>): Promise<void> {
    await super.update(id, patch);
    // last_used_at is bookkeeping, which TokenService keeps current in the copy it holds, and
    // which the counter ignores; any other column may decide whether a secret is accepted.
    if (Object.keys(patch).some((column) => column !== "last_used_at")) {
      // At once for this instance's own change, without waiting for the counter to arrive.
      this.#seen = await this.#changes.refresh();
      this.#rows.clear();
    }
  }
}

type Changed = (invalidation: Invalidation) => Promise<void>;

class CachedSettingsRepository extends SettingsRepository {
  readonly #rows: ReadThroughCache<SettingsRow | undefined>;
  readonly #changed: Changed;

  constructor(
    db: Kysely<Database>,
    rows: ReadThroughCache<SettingsRow | undefined>,
    changed: Changed,
  ) {
    super(db);
    this.#rows = rows;
    this.#changed = changed;
  }

  override get(tokenId: string): Promise<SettingsRow | undefined> {
    return this.#rows.get(tokenId);
  }

  override async put(row: SettingsRow): Promise<void> {
    await super.put(row);
    await this.#changed({ kind: "settings", tokenId: row.token_id });
  }
}
