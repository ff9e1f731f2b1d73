import { Redis } from "ioredis";

/** A Redis client for an address nothing listens on: every command fails at once, nothing is queued. */
export function unreachableRedis(): Redis {
  const redis = new Redis("redis://127.0.0.1:1", {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 500,
  });
  redis.on("error", () => undefined);
  return redis;
}
