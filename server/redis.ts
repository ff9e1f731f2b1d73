import type { Redis } from "ioredis";
import type { Logger } from "./logger.ts";

/**
 * The shared Redis connection. Commands fail fast while it is down (callers fall back or
 * answer `unavailable`) instead of queueing behind a reconnect.
 */
export async function connectRedis(url: string, logger: Logger): Promise<Redis> {
  // Loaded here, not at start-up: a server without REDIS_URL never holds the client in memory.
  const { Redis } = await import("ioredis");
  const redis = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 5000,
  });
  let lastError = "";
  redis.on("error", (error: Error) => {
    // ioredis repeats the same error on every reconnect attempt; log each kind once.
    if (error.message === lastError) return;
    lastError = error.message;
    logger.warn({ err: { message: error.message } }, "redis unavailable");
  });
  redis.on("ready", () => {
    lastError = "";
  });
  try {
    await redis.connect();
  } catch {
    logger.warn("redis did not answer at start; limits use per-instance memory until it does");
  }
  return redis;
}
