import type { Kysely, Updateable } from "kysely";
import type { Redis } from "ioredis";
import type { Clock } from "../clock.ts";
import type { Logger } from "../logger.ts";
import type { Database, TokensTable } from "../store/schema.ts";
import { SettingsRepository, type SettingsRow } from "../store/settings-repository.ts";
import type { Store } from "../store/store.ts";
import { TokenRepository, type TokenRow } from "../store/token-repository.ts";
import { joinInvalidationBus, type Invalidation, type InvalidationBus } from "./invalidation.ts";
import { ReadThroughCache } from "./read-through-cache.ts";

/**
 * How long a copy is used without asking the database: the most a change can go unseen where no
 * invalidation reaches (a command line without Redis, Redis down).
 */
export const READ_CACHE_TTL_MS = 5_000;
const MAX_ENTRIES = 10_000;

/**
 * The store, with the two reads every request makes (its token by secret hash, its caller's
 * settings) served from memory for up to READ_CACHE_TTL_MS. Each write through it that changes
 * them drops the copies here at once, and, with `redis`, on every other instance too. Expiry is
 * still checked against the clock on each request (TokenService.authenticate).
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

  const apply = (invalidation: Invalidation) => {
    // Lookups go by secret hash, not by id: drop every token (revokes and rotations are rare).
    if (invalidation.kind === "tokens") tokens.clear();
    else settings.delete(invalidation.tokenId);
  };
  const bus: InvalidationBus | undefined = options.redis
    ? await joinInvalidationBus(options.redis, options.logger, {
        apply,
        forgetAll: () => {
          tokens.clear();
          settings.clear();
        },
      })
    : undefined;
  const changed = async (invalidation: Invalidation) => {
    apply(invalidation);
    await bus?.publish(invalidation);
  };

  return {
    ...store,
    tokens: new CachedTokenRepository(store.db, tokens, changed),
    settings: new CachedSettingsRepository(store.db, settings, changed),
    async close() {
      bus?.close();
      await store.close();
    },
  };
}

type Changed = (invalidation: Invalidation) => Promise<void>;

class CachedTokenRepository extends TokenRepository {
  readonly #rows: ReadThroughCache<TokenRow | undefined>;
  readonly #changed: Changed;

  constructor(
    db: Kysely<Database>,
    rows: ReadThroughCache<TokenRow | undefined>,
    changed: Changed,
  ) {
    super(db);
    this.#rows = rows;
    this.#changed = changed;
  }

  override findBySecretHash(hash: string): Promise<TokenRow | undefined> {
    return this.#rows.get(hash);
  }

  // insert() needs no invalidation: nobody can have looked up a fresh random secret before.
  override async update(id: string, patch: Updateable<TokensTable>): Promise<void> {
    await super.update(id, patch);
    // last_used_at is bookkeeping, which TokenService keeps current in the copy it holds; any
    // other column may decide whether a secret is accepted.
    if (Object.keys(patch).some((column) => column !== "last_used_at")) {
      await this.#changed({ kind: "tokens" });
    }
  }
}

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
