import { existsSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { createApp } from "./app.ts";
import { withReadCache } from "./cache/cached-store.ts";
import { systemClock } from "./clock.ts";
import { ConfigError, loadConfig } from "./config.ts";
import { sendConsoleToLog } from "./console-log.ts";
import { createRateLimits } from "./limits/rate-limits.ts";
import { createGateway } from "./llm/gateway.ts";
import { createServer, LISTEN_BACKLOG } from "./http/server.ts";
import { createLogger } from "./logger.ts";
import { connectRedis } from "./redis.ts";
import { stopGracefullyOnSignals } from "./shutdown.ts";
import { BackupSchedule } from "./store/backup-schedule.ts";
import { databaseFailure, listenFailure } from "./startup-failures.ts";
import { openStore } from "./store/store.ts";
import { TokenService } from "./auth/token-service.ts";

/** Wires the real parts together, serves, and shuts down gracefully on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  if (existsSync(".env")) process.loadEnvFile(".env");
  let config;
  try {
    config = loadConfig(process.env, { terminal: process.stdout.isTTY === true });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`officellm: ${error.message}\n`);
    process.exit(1);
  }

  const logger = createLogger(config);
  sendConsoleToLog(logger);
  const redis = config.redisUrl ? await connectRedis(config.redisUrl, logger) : undefined;
  const opened = await openStore(config.databaseUrl).catch((error: unknown) => {
    throw databaseFailure(config.databaseUrl, error);
  });
  const store = await withReadCache(opened, {
    clock: systemClock,
    logger,
    redis,
  });
  const backups = config.backup
    ? new BackupSchedule({ store, ...config.backup, clock: systemClock, logger })
    : undefined;
  const limits = createRateLimits({
    authFailuresPerMinute: config.rateLimit.authFailuresPerMinute,
    redis,
  });
  const gateway = await createGateway(config, { logger, redis });
  if (gateway.registry.demoOnly) {
    logger.warn(
      "No provider is configured: the offline demo model answers. Set OPENAI_API_KEY, ANTHROPIC_API_KEY or OPENAI_COMPATIBLE_BASE_URL for real answers.",
    );
  }
  const app = createApp({
    config,
    gateway,
    store,
    limits,
    logger,
    clock: systemClock,
    backups,
    readinessChecks: redis ? { redis: async () => void (await redis.ping()) } : {},
  });

  const server = createServer(app, config).listen({
    port: config.port,
    host: config.host,
    backlog: LISTEN_BACKLOG,
  });
  await new Promise<void>((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", (error) => reject(listenFailure(error, config)));
  });
  backups?.start();
  stopGracefullyOnSignals(server, config.shutdownTimeoutMs, logger, async () => {
    await backups?.stop();
    gateway.registry.stop();
    await store.close();
    redis?.disconnect();
  });

  const { port } = server.address() as AddressInfo;
  logger.info(
    {
      url: `${config.tls ? "https" : "http"}://${config.host}:${port}`,
      publicUrl: config.publicUrl,
      store: store.dialect,
      redis: Boolean(redis),
    },
    "OfficeLLM is listening",
  );
  if (!(await new TokenService(store, systemClock).hasAny())) {
    logger.info(
      "No tokens yet. Create one with: npm run cli -- token create --name <who> --scopes llm,calendar",
    );
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `officellm: could not start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
