import type { Redis } from "ioredis";
import type { Logger } from "./logger.ts";
import { safeAddress } from "./startup-failures.ts";
import { errorText } from "./util/error-text.ts";

/**
 * How long a Redis command may go unanswered (a server that hangs, a network that drops its
 * packets) before it fails, and its caller falls back as when Redis is down.
 */
export const REDIS_COMMAND_TIMEOUT_MS = 1000;

/**
 * The shared Redis connection. Commands fail fast while it is down (callers fall back or
 * answer `unavailable`) instead of queueing behind a reconnect, or waiting for an answer that
 * does not come.
 */
export async function connectRedis(url: string, logger: Logger): Promise<Redis> {
  // Loaded here, not at start-up: a server without REDIS_URL never holds the client in memory.
  const { Redis } = await import("ioredis");
  const redis = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 5000,
    commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
  });
  const address = safeAddress(url);
  let lastError = "";
  redis.on("error", (error: Error) => {
    // ioredis repeats the same error on every reconnect attempt; log each kind once.
    const reason = errorText(error);
    if (reason === lastError) return;
    lastError = reason;
    logger.warn({ redis: address, reason }, `redis unavailable: ${reason}`);
  });
  redis.on("ready", () => {
    if (lastError) logger.info({ redis: address }, "redis is back");
    lastError = "";
  });
  try {
    await redis.connect();
  } catch (error) {
    logger.warn(
      { redis: address, reason: errorText(error) },
      "redis did not answer at start (REDIS_URL); limits use per-instance memory until it does",
    );
  }
  return redis;
}
