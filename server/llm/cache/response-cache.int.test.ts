/**
 * The response cache's bounds, in memory and in a real Redis (REDIS_URL): the bytes and answers
 * it holds stay within CACHE_MAX_BYTES and CACHE_MAX_ENTRIES, the oldest giving way first, an
 * answer larger than a tenth of the byte bound is never stored, and instances storing into one
 * Redis at the same moment cannot overshoot together.
 */
import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import {
  createMemoryCache,
  createRedisCache,
  type CacheBounds,
  type CachedAnswer,
  type ResponseCache,
} from "./response-cache.ts";

const REDIS_URL = process.env.REDIS_URL;
const clients: Redis[] = [];
afterAll(() => {
  for (const client of clients) client.disconnect();
});

function redisClient(): Redis {
  const client = new Redis(REDIS_URL!);
  clients.push(client);
  return client;
}

/** A key prefix no other test or instance uses. */
const freshPrefix = () => `officellm-test:cache:${randomUUID()}:`;

/** An answer whose text is `bytes` long. */
const answer = (bytes: number, label = "a"): CachedAnswer => ({
  text: label.padEnd(bytes, "."),
  usage: { inputTokens: 1, outputTokens: 1 },
  model: "gpt-4.1-mini",
});

const bounds: CacheBounds = { ttlMs: 60_000, maxEntries: 10_000, maxBytes: 100_000 };

interface Kind {
  name: string;
  enabled: boolean;
  create(bounds: CacheBounds): ResponseCache;
}

const kinds: Kind[] = [
  { name: "memory", enabled: true, create: (b) => createMemoryCache(b) },
  {
    name: "redis",
    enabled: REDIS_URL !== undefined,
    create: (b) => createRedisCache(redisClient(), { ...b, prefix: freshPrefix() }),
  },
];

describe.each(kinds)("the $name response cache", (kind) => {
  it.runIf(kind.enabled)(
    "does not store an answer larger than a tenth of its byte bound",
    async () => {
      const cache = kind.create(bounds);
      await cache.set("large", answer(10_500));
      await cache.set("small", answer(9_000));
      expect(await cache.get("large")).toBeUndefined();
      expect(await cache.get("small")).toEqual(answer(9_000));
    },
  );

  it.runIf(kind.enabled)(
    "holds at most its byte bound, the oldest answers giving way",
    async () => {
      const cache = kind.create(bounds);
      for (let i = 0; i < 30; i++) await cache.set(`k${i}`, answer(9_000, `answer ${i}`));
      const kept: number[] = [];
      for (let i = 0; i < 30; i++) if (await cache.get(`k${i}`)) kept.push(i);
      // Ten answers of 9,000 bytes and more fill 100,000 bytes: the last ten at most are kept.
      expect(kept.length).toBeGreaterThanOrEqual(9);
      expect(kept.length).toBeLessThanOrEqual(11);
      expect(kept).toEqual(Array.from({ length: kept.length }, (_, i) => 30 - kept.length + i));
    },
  );

  it.runIf(kind.enabled)("reports the answers and bytes it holds, for operators", async () => {
    const cache = kind.create(bounds);
    expect(await cache.stats()).toMatchObject({ kind: kind.name, entries: 0, bytes: 0 });
    for (let i = 0; i < 3; i++) await cache.set(`k${i}`, answer(1_000, `answer ${i}`));
    const stats = await cache.stats();
    expect(stats).toMatchObject({ kind: kind.name, entries: 3, maxEntries: 10_000 });
    // Each answer counts its text and a little more (its model and bookkeeping, or its JSON).
    expect(stats!.bytes).toBeGreaterThanOrEqual(3_000);
    expect(stats!.bytes).toBeLessThan(3_600);
  });
});

describe.runIf(REDIS_URL)("the Redis response cache shared by several instances", () => {
  /** What Redis holds under a prefix: the answers' keys and their bytes. */
  async function stored(redis: Redis, prefix: string) {
    const keys: string[] = [];
    for (let cursor = "0"; ;) {
      const [next, batch] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
      keys.push(...batch.filter((key) => !key.startsWith(`${prefix}meta:`)));
      cursor = next;
      if (cursor === "0") break;
    }
    let bytes = 0;
    for (const key of keys) bytes += await redis.strlen(key);
    return { keys, bytes };
  }

  it("stays within its bounds when instances store at the same moment", async () => {
    const prefix = freshPrefix();
    const instances = [1, 2, 3].map(() =>
      createRedisCache(redisClient(), { ...bounds, maxEntries: 12, prefix }),
    );
    await Promise.all(
      Array.from({ length: 90 }, (_, i) =>
        instances[i % 3]!.set(`k${i}`, answer(2_000 + (i % 7) * 1_000, `answer ${i}`)),
      ),
    );
    const redis = redisClient();
    const held = await stored(redis, prefix);
    expect(held.bytes).toBeGreaterThan(bounds.maxBytes / 2);
    expect(held.bytes).toBeLessThanOrEqual(bounds.maxBytes);
    expect(held.keys.length).toBeLessThanOrEqual(12);
    // The bookkeeping agrees with what is there, so later stores trim by the truth.
    expect(Number(await redis.get(`${prefix}meta:bytes`))).toBe(held.bytes);
    expect(await redis.zcard(`${prefix}meta:index`)).toBe(held.keys.length);
    // What remains is readable by every instance.
    const key = held.keys[0]!.slice(prefix.length);
    for (const instance of instances) expect(await instance.get(key)).toBeDefined();
  });

  it("holds at most its entry bound, as the memory cache always did", async () => {
    const cache = createRedisCache(redisClient(), {
      ...bounds,
      maxEntries: 5,
      prefix: freshPrefix(),
    });
    for (let i = 0; i < 8; i++) await cache.set(`k${i}`, answer(100, `answer ${i}`));
    const kept: number[] = [];
    for (let i = 0; i < 8; i++) if (await cache.get(`k${i}`)) kept.push(i);
    expect(kept).toEqual([3, 4, 5, 6, 7]);
  });

  it("counts an answer stored again under its key once", async () => {
    const prefix = freshPrefix();
    const cache = createRedisCache(redisClient(), { ...bounds, prefix });
    for (let i = 0; i < 20; i++) await cache.set("same", answer(9_000, `answer ${i}`));
    await cache.set("other", answer(9_000));
    const redis = redisClient();
    const held = await stored(redis, prefix);
    expect(held.keys).toHaveLength(2);
    expect(Number(await redis.get(`${prefix}meta:bytes`))).toBe(held.bytes);
    expect(await cache.get("same")).toEqual(answer(9_000, "answer 19"));
  });
});
