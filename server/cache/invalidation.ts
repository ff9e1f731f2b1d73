import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import { z } from "zod";
import type { Logger } from "../logger.ts";

/** The Redis channel on which instances announce changes to rows they may hold copies of. */
export const INVALIDATION_CHANNEL = "officellm:invalidate";

/**
 * What changed: one token's settings. (Tokens need no message: every instance follows the
 * database's token change counter, store/token-changes.ts.)
 */
export type Invalidation = { kind: "settings"; tokenId: string };

const message = z.object({ origin: z.string(), kind: z.literal("settings"), tokenId: z.string() });

/** Announces a change to every instance listening; rejects when Redis cannot be reached. */
async function publishInvalidation(
  redis: Redis,
  invalidation: Invalidation,
  origin = "",
): Promise<void> {
  await redis.publish(INVALIDATION_CHANNEL, JSON.stringify({ origin, ...invalidation }));
}

export interface InvalidationBus {
  /** Tells the other instances. Never rejects: a failure is logged, and their copies expire. */
  publish(invalidation: Invalidation): Promise<void>;
  close(): void;
}

/**
 * Listens on a connection of its own (under RESP2 a subscribed connection can run nothing else):
 * `apply` gets what the other instances announce; `forgetAll` runs on each (re)connection, since
 * what was announced while disconnected is lost, and on a message it cannot read.
 */
export async function joinInvalidationBus(
  redis: Redis,
  logger: Logger,
  handlers: { apply(invalidation: Invalidation): void; forgetAll(): void },
): Promise<InvalidationBus> {
  const origin = randomUUID();
  // No command timeout here: a SUBSCRIBE answered late (a Redis busy restarting) would fail for
  // good, and this instance would miss every invalidation until its connection next dropped.
  const subscriber = redis.duplicate({
    lazyConnect: true,
    autoResubscribe: false,
    commandTimeout: undefined,
  });
  // The shared connection already reports Redis being unreachable.
  subscriber.on("error", () => undefined);
  let subscribed = Promise.resolve();
  subscriber.on("ready", () => {
    subscribed = subscriber.subscribe(INVALIDATION_CHANNEL).then(
      () => handlers.forgetAll(),
      (error: unknown) => {
        logger.warn({ err: error }, "could not subscribe to cache invalidations");
      },
    );
  });
  subscriber.on("message", (_channel: string, text: string) => {
    const parsed = message.safeParse(parseJson(text));
    if (!parsed.success) handlers.forgetAll();
    else if (parsed.data.origin !== origin) handlers.apply(parsed.data);
  });
  await subscriber.connect().catch(() => {
    logger.warn("redis did not answer at start; cached settings expire on their own");
  });
  await subscribed;

  return {
    async publish(invalidation) {
      try {
        await publishInvalidation(redis, invalidation, origin);
      } catch (error) {
        logger.warn({ err: error }, "could not tell the other instances what changed");
      }
    },
    close: () => subscriber.disconnect(),
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
