import { mkdtempSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import type { Redis } from "ioredis";
import { createApp, type AppDeps, type OfficeLlmApp } from "../app.ts";
import type { Scope } from "../auth/scopes.ts";
import { TokenService, type CreateTokenInput } from "../auth/token-service.ts";
import { withReadCache } from "../cache/cached-store.ts";
import type { Clock, Sleep } from "../clock.ts";
import { loadConfig, type Config } from "../config.ts";
import { createServer } from "../http/server.ts";
import { createGateway, type Gateway } from "../llm/gateway.ts";
import { createRateLimits, type RateLimits } from "../limits/rate-limits.ts";
import { createLogger, type Logger } from "../logger.ts";
import type { ConnectOptions } from "../store/database.ts";
import { openStore, type Store } from "../store/store.ts";

/** A clock tests can move. */
export class TestClock implements Clock {
  #now: number;
  constructor(start = "2026-11-25T12:00:00.000Z") {
    this.#now = Date.parse(start);
  }
  now(): Date {
    return new Date(this.#now);
  }
  advance(ms: number): void {
    this.#now += ms;
  }
}

/** Collects log lines so tests can search them. */
export class LogCapture extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.lines.push(...chunk.toString("utf8").split("\n").filter(Boolean));
    done();
  }
  get text(): string {
    return this.lines.join("\n");
  }
  records(): Record<string, unknown>[] {
    return this.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  }
}

export interface TestServer {
  app: OfficeLlmApp;
  url: string;
  store: Store;
  clock: TestClock;
  config: Config;
  logs: LogCapture;
  tokens: TokenService;
  /** Creates a token and returns its secret. */
  token(
    input?: Partial<CreateTokenInput> & { scopes?: Scope[] },
  ): Promise<{ id: string; token: string }>;
  fetch(path: string, init?: RequestInit & { token?: string }): Promise<Response>;
  close(): Promise<void>;
}

/** A fresh SQLite file in a temporary directory. */
export function tempSqliteUrl(): { url: string; dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), "officellm-test-"));
  const file = join(dir, "officellm.db");
  return { url: `sqlite:${file}`, dir, file };
}

/**
 * Opens a store as main.ts does: with the read cache, sharing invalidations through `redis` when
 * given. `log` sees every statement the database runs.
 */
export async function openCachedStore(
  url: string,
  options: {
    clock: Clock;
    logger?: Logger;
    redis?: Redis | undefined;
    log?: ConnectOptions["log"];
  },
): Promise<Store> {
  return withReadCache(await openStore(url, { log: options.log }), {
    clock: options.clock,
    logger:
      options.logger ?? createLogger({ log: { level: "warn", format: "json" } }, new LogCapture()),
    redis: options.redis,
  });
}

/**
 * Starts the real app on an ephemeral port over a real SQLite file (or the given store, used as
 * it is), with captured logs and a movable clock. A store it opens itself has the read cache
 * that production has (cache/cached-store.ts), sharing invalidations through `redis` when given.
 */
export async function startTestServer(
  options: {
    env?: Record<string, string>;
    store?: Store;
    limits?: RateLimits;
    readinessChecks?: AppDeps["readinessChecks"];
    backups?: AppDeps["backups"];
    gateway?: Gateway;
    clock?: TestClock;
    /** How waits between a provider's retries pass (real time when not given). */
    sleep?: Sleep;
    redis?: Redis;
    /** The add-in's build to serve (addin/dist when not given). */
    addinDirectory?: string;
  } = {},
): Promise<TestServer> {
  const sqlite = options.store ? undefined : tempSqliteUrl();
  const config = loadConfig({
    DATABASE_URL: sqlite?.url ?? "sqlite::memory:",
    LOG_LEVEL: "info",
    ...options.env,
  });
  const clock = options.clock ?? new TestClock();
  const logs = new LogCapture();
  const logger = createLogger(config, logs);
  const store =
    options.store ??
    (await openCachedStore(config.databaseUrl, { clock, logger, redis: options.redis }));
  const limits =
    options.limits ??
    createRateLimits({ authFailuresPerMinute: config.rateLimit.authFailuresPerMinute });
  const gateway = options.gateway ?? (await createGateway(config));
  const app = createApp({
    config,
    store,
    limits,
    logger,
    clock,
    sleep: options.sleep,
    gateway,
    readinessChecks: options.readinessChecks,
    backups: options.backups,
    addinDirectory: options.addinDirectory,
  });
  const server = createServer(app, config).listen(0, "127.0.0.1");
  await new Promise<void>((resolve) => server.once("listening", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const tokens = new TokenService(store, clock);

  return {
    app,
    url,
    store,
    clock,
    config,
    logs,
    tokens,
    async token(input = {}) {
      const created = await tokens.create({ name: "tester", scopes: ["llm"], ...input });
      return { id: created.id, token: created.token };
    },
    fetch(path, init = {}) {
      const { token, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (token) headers.set("authorization", `Bearer ${token}`);
      return fetch(`${url}${path}`, { ...rest, headers });
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (!options.store) await store.close();
      if (sqlite) rmSync(sqlite.dir, { recursive: true, force: true });
    },
  };
}
