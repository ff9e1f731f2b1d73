import { createHash } from "node:crypto";
import type { Redis } from "ioredis";
import { LRUCache } from "lru-cache";
import type { TokenUsage } from "../types.ts";

/** A stored answer; replaying it costs nothing. */
export interface CachedAnswer {
  text: string;
  usage: TokenUsage;
  /** The model that answered (a fallback, perhaps). */
  model: string;
}

export interface ResponseCache {
  /** The answer kept under `key`; undefined when there is none, or the cache cannot be read. */
  get(key: string): Promise<CachedAnswer | undefined>;
  /**
   * As `get`, but a cache that cannot be read (Redis down or not answering) rejects instead of
   * missing: for a caller to whom "not kept" and "cannot tell" must differ.
   */
  read(key: string): Promise<CachedAnswer | undefined>;
  /**
   * Keeps an answer. Given an `owner` (a token), the entries kept for that owner are bounded too,
   * at `ownerShare` of the whole: its newest are kept, so that one owner cannot push out the
   * others' entries.
   */
  set(key: string, answer: CachedAnswer, owner?: string): Promise<void>;
  /** What it holds now, for operators; undefined when that cannot be read (Redis down). */
  stats(): Promise<CacheStats | undefined>;
}

export interface CacheStats {
  /** "memory" (this instance's) or "redis" (shared by every instance). */
  kind: "memory" | "redis";
  entries: number;
  /** As counted against CACHE_MAX_BYTES. */
  bytes: number;
  maxEntries: number;
  maxBytes: number;
}

/** How long answers are kept, and how many and how many bytes of them the cache may hold. */
export interface CacheBounds {
  ttlMs: number;
  maxEntries: number;
  maxBytes: number;
}

/** The exact-match key: a hash of everything that shapes the answer. */
export function cacheKey(parts: unknown): string {
  return createHash("sha256").update(JSON.stringify(parts)).digest("base64url");
}

/**
 * The largest answer worth keeping: a tenth of the byte bound, so that one answer can never push
 * out most of the others. A larger one is not cached at all.
 */
export function largestCachedBytes(bounds: Pick<CacheBounds, "maxBytes">): number {
  return Math.floor(bounds.maxBytes / 10);
}

/**
 * What one owner's entries may take of the cache: at most a tenth of its entries and a tenth of
 * its bytes, so that one busy owner leaves the others at least nine tenths.
 */
export function ownerShare(bounds: Pick<CacheBounds, "maxEntries" | "maxBytes">): {
  entries: number;
  bytes: number;
} {
  return {
    entries: Math.max(1, Math.floor(bounds.maxEntries / 10)),
    bytes: largestCachedBytes(bounds),
  };
}

/** Room for the usage numbers and the object around the strings. */
const entryOverheadBytes = 64;

/**
 * What an answer counts for against the byte bound: its strings in UTF-8, which is at least what
 * V8 holds for them.
 */
function answerBytes(answer: CachedAnswer): number {
  return Buffer.byteLength(answer.text) + Buffer.byteLength(answer.model) + entryOverheadBytes;
}

/**
 * This instance's cache: least recently used answers give way past either bound, and an owner's
 * oldest past its share.
 */
export function createMemoryCache(bounds: CacheBounds): ResponseCache {
  /** Each owner's keys, oldest first; and each owned key's owner. */
  const owned = new Map<string, Set<string>>();
  const ownerOf = new Map<string, string>();
  const lru = new LRUCache<string, CachedAnswer>({
    max: bounds.maxEntries,
    maxSize: bounds.maxBytes,
    maxEntrySize: largestCachedBytes(bounds),
    sizeCalculation: answerBytes,
    ttl: bounds.ttlMs,
    dispose: (_answer, key) => {
      const owner = ownerOf.get(key);
      if (owner === undefined) return;
      ownerOf.delete(key);
      const keys = owned.get(owner);
      keys?.delete(key);
      if (keys?.size === 0) owned.delete(owner);
    },
  });
  const share = ownerShare(bounds);
  /** Keeps the owner's newest keys within its share; the older ones go. */
  const trim = (keys: Set<string>) => {
    let entries = 0;
    let bytes = 0;
    for (const key of [...keys].reverse()) {
      const answer = lru.peek(key);
      if (answer) {
        entries += 1;
        bytes += answerBytes(answer);
      }
      if (!answer || entries > share.entries || bytes > share.bytes) {
        lru.delete(key);
        keys.delete(key);
        ownerOf.delete(key);
      }
    }
  };
  const get = async (key: string) => lru.get(key);
  return {
    get,
    read: get,
    async set(key, answer, owner) {
      lru.set(key, answer);
      if (owner === undefined || !lru.has(key)) return;
      ownerOf.set(key, owner);
      const keys = owned.get(owner) ?? new Set();
      keys.delete(key);
      owned.set(owner, keys.add(key));
      trim(keys);
    },
    stats: async () => ({
      kind: "memory",
      entries: lru.size,
      bytes: lru.calculatedSize,
      maxEntries: bounds.maxEntries,
      maxBytes: bounds.maxBytes,
    }),
  };
}

/**
 * Stores one answer and keeps the whole cache within its bounds, in one atomic step, so that
 * instances storing at the same moment cannot overshoot together. Beside each answer (a string
 * key with its TTL) the cache keeps an index of its answers by expiry time, their sizes and their
 * total. Answers past their TTL stop counting; an owner's oldest past its share go; then the
 * oldest go until both bounds hold. An owner's index may name answers the whole cache's bounds
 * pushed out: they count for nothing, and leave it at the owner's next store.
 *
 * KEYS: index (sorted set: answer key → expiry ms), sizes (hash: answer key → bytes),
 *       total (bytes counted), the answer's key, and for an owned answer its owner's index
 *       (sorted set: answer key → expiry ms).
 * ARGV: the answer, TTL ms, now (ms), the byte bound, the entry bound, and for an owned answer
 *       the owner's entry and byte shares.
 */
const storeScript = `
local index, sizes, total, entry = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local ttl, now = tonumber(ARGV[2]), tonumber(ARGV[3])
local maxBytes, maxEntries = tonumber(ARGV[4]), tonumber(ARGV[5])
local function forget(key)
  local size = redis.call('HGET', sizes, key)
  if size then
    redis.call('DECRBY', total, size)
    redis.call('HDEL', sizes, key)
  end
  redis.call('ZREM', index, key)
end
forget(entry)
for _, key in ipairs(redis.call('ZRANGEBYSCORE', index, '-inf', now)) do forget(key) end
local size = string.len(ARGV[1])
redis.call('SET', entry, ARGV[1], 'PX', ttl)
redis.call('ZADD', index, now + ttl, entry)
redis.call('HSET', sizes, entry, size)
local bytes = redis.call('INCRBY', total, size)
local owner = KEYS[5]
if owner then
  local shareEntries, shareBytes = tonumber(ARGV[6]), tonumber(ARGV[7])
  redis.call('ZADD', owner, now + ttl, entry)
  local keys = redis.call('ZRANGE', owner, 0, -1)
  local ownedEntries, ownedBytes = 0, 0
  for i = #keys, 1, -1 do
    local key = keys[i]
    local kept = tonumber(redis.call('HGET', sizes, key))
    if kept then
      ownedEntries = ownedEntries + 1
      ownedBytes = ownedBytes + kept
    end
    if not kept or ownedEntries > shareEntries or ownedBytes > shareBytes then
      if kept then
        redis.call('DEL', key)
        forget(key)
      end
      redis.call('ZREM', owner, key)
    end
  end
  redis.call('PEXPIRE', owner, ttl)
  bytes = tonumber(redis.call('GET', total))
end
while bytes > maxBytes or redis.call('ZCARD', index) > maxEntries do
  local oldest = redis.call('ZRANGE', index, 0, 0)[1]
  if not oldest then
    redis.call('SET', total, 0)
    break
  end
  redis.call('DEL', oldest)
  forget(oldest)
  bytes = tonumber(redis.call('GET', total))
end
for _, key in ipairs({index, sizes, total}) do redis.call('PEXPIRE', key, ttl) end
`;

/**
 * Shared by every instance, and bounded as a whole: each store trims the oldest answers until the
 * cache holds at most `maxEntries` answers and `maxBytes` bytes (each answer counted as its stored
 * JSON). Instances should share one setting; each store applies the bounds of the instance making
 * it. Redis trouble degrades to a miss (the call goes upstream) rather than an error for the caller.
 */
export function createRedisCache(
  redis: Redis,
  bounds: CacheBounds & { prefix?: string },
): ResponseCache {
  const prefix = bounds.prefix ?? "officellm:cache:";
  const bookkeeping = ["index", "sizes", "bytes"].map((name) => `${prefix}meta:${name}`);
  const largest = largestCachedBytes(bounds);
  const share = ownerShare(bounds);
  const read = async (key: string) => {
    const value = await redis.get(prefix + key);
    return value ? (JSON.parse(value) as CachedAnswer) : undefined;
  };
  return {
    get: (key) => read(key).catch(() => undefined),
    read,
    async set(key, answer, owner) {
      const value = JSON.stringify(answer);
      if (Buffer.byteLength(value) > largest) return;
      const ownerKeys = owner === undefined ? [] : [`${prefix}meta:owner:${owner}`];
      const ownerArgs = owner === undefined ? [] : [share.entries, share.bytes];
      try {
        await redis.eval(
          storeScript,
          4 + ownerKeys.length,
          ...bookkeeping,
          prefix + key,
          ...ownerKeys,
          value,
          bounds.ttlMs,
          Date.now(),
          bounds.maxBytes,
          bounds.maxEntries,
          ...ownerArgs,
        );
      } catch {
        // A cache that cannot store is a cache that misses next time.
      }
    },
    async stats() {
      const [index, , total] = bookkeeping as [string, string, string];
      try {
        // Answers past their TTL stay in the index until the next store trims them.
        const [entries, bytes] = await Promise.all([
          redis.zcount(index, Date.now(), "+inf"),
          redis.get(total),
        ]);
        const { maxEntries, maxBytes } = bounds;
        return { kind: "redis", entries, bytes: Number(bytes ?? 0), maxEntries, maxBytes };
      } catch {
        return undefined;
      }
    },
  };
}
