import { createHash } from "node:crypto";
import type { Redis } from "ioredis";
import { LRUCache } from "lru-cache";
import type { TokenUsage } from "./types.ts";

/** A stored answer; replaying it costs nothing. */
export interface CachedAnswer {
  text: string;
  usage: TokenUsage;
  /** The model that answered (a fallback, perhaps). */
  model: string;
}

export interface ResponseCache {
  get(key: string): Promise<CachedAnswer | undefined>;
  set(key: string, answer: CachedAnswer): Promise<void>;
}

/** The exact-match key: a hash of everything that shapes the answer. */
export function cacheKey(parts: unknown): string {
  return createHash("sha256").update(JSON.stringify(parts)).digest("base64url");
}

export function createMemoryCache(options: { ttlMs: number; maxEntries?: number }): ResponseCache {
  const lru = new LRUCache<string, CachedAnswer>({
    max: options.maxEntries ?? 10_000,
    ttl: options.ttlMs,
  });
  return {
    get: async (key) => lru.get(key),
    set: async (key, answer) => void lru.set(key, answer),
  };
}

/**
 * Shared by every instance. Redis trouble degrades to a miss (the call goes upstream) rather
 * than an error for the caller.
 */
export function createRedisCache(
  redis: Redis,
  options: { ttlMs: number; prefix?: string },
): ResponseCache {
  const prefix = options.prefix ?? "officellm:cache:";
  return {
    async get(key) {
      try {
        const value = await redis.get(prefix + key);
        return value ? (JSON.parse(value) as CachedAnswer) : undefined;
      } catch {
        return undefined;
      }
    },
    async set(key, answer) {
      try {
        await redis.set(prefix + key, JSON.stringify(answer), "PX", options.ttlMs);
      } catch {
        // A cache that cannot store is a cache that misses next time.
      }
    },
  };
}
