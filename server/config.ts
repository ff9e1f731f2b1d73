import { z } from "zod";
import { httpUrl, modelAliases, optionalString } from "./config-values.ts";
import { isWeakKey } from "./crypto/secret-box.ts";
import { parseDuration } from "./util/duration.ts";
import {
  providerProblems,
  providerVariables,
  readProviderSettings,
  type ProviderSettings,
} from "./llm/providers/provider-list.ts";

/**
 * Every setting OfficeLLM reads, validated once at start-up. `loadConfig` is the only
 * place that touches the environment; the rest of the code receives a typed `Config`. A
 * provider's variables are declared in its definition (server/llm/providers/<name>/), and
 * validated here with the others.
 */

const logLevels = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

/** 0 asks the system for a free port (tests, benchmarks). */
const portMessage = "must be a whole number between 0 and 65535";
const port = z
  .string()
  .regex(/^\d+$/, portMessage)
  .transform(Number)
  .pipe(z.number().int(portMessage).min(0, portMessage).max(65535, portMessage));

const positiveInt = (what: string) =>
  z.coerce
    .number({ error: `must be a positive whole number (${what})` })
    .int(`must be a positive whole number (${what})`)
    .positive(`must be a positive whole number (${what})`);

const byteSize = z
  .string()
  .regex(/^\d+(b|kb|mb)?$/i, "must be a size such as 1mb, 512kb or 1048576")
  .transform((value) => {
    const match = /^(\d+)(b|kb|mb)?$/i.exec(value)!;
    const unit = (match[2] ?? "b").toLowerCase();
    return Number(match[1]) * (unit === "mb" ? 1024 * 1024 : unit === "kb" ? 1024 : 1);
  });

const databaseUrl = z
  .string()
  .refine(
    (value) => /^sqlite:.+/.test(value) || /^postgres(ql)?:\/\/.+/.test(value),
    "must be sqlite:PATH or postgres://user@host:port/database",
  );

/** A backup interval such as 6h or 1d; at least a minute, as a backup rewrites the whole file. */
const backupInterval = z.string().transform((value, ctx) => {
  try {
    const ms = parseDuration(value);
    if (ms >= 60_000) return ms;
  } catch {
    // reported below
  }
  ctx.addIssue({ code: "custom", message: "must be a duration of at least 1m, such as 6h or 1d" });
  return z.NEVER;
});

const redisUrl = z.string().regex(/^rediss?:\/\/.+/, "must be a redis:// or rediss:// URL");

const origins = z
  .string()
  .transform((value) =>
    value
      .split(",")
      .map((origin) => origin.trim().replace(/\/+$/, ""))
      .filter(Boolean),
  )
  .refine(
    (list) => list.every((origin) => /^https?:\/\/[^/\s]+$/.test(origin)),
    "must be a comma-separated list of origins such as https://example.com",
  );

/** A 32-byte key for AES-256-GCM, given as 64 hex digits or base64 of 32 bytes. */
const encryptionKey = z
  .string()
  .transform((value) =>
    /^[0-9a-f]{64}$/i.test(value) ? Buffer.from(value, "hex") : Buffer.from(value, "base64"),
  )
  .refine(
    (key) => key.length === 32,
    "must be 32 random bytes, as 64 hex digits or base64 (try: openssl rand -hex 32)",
  );

/**
 * Calls in flight per provider by default: enough for thousands of callers at once, so an
 * organisation is limited by its provider account, not by the gateway (docs/operations.md,
 * "Queues"). A local server has its own, lower default (OPENAI_COMPATIBLE_CONCURRENCY).
 */
const PROVIDER_CONCURRENCY = 5_000;

const envSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("production"),
  PORT: port.default(3000),
  HOST: z.string().min(1).default("127.0.0.1"),
  PUBLIC_URL: httpUrl.optional(),
  CONNECTOR_ALLOW_INSECURE: z
    .enum(["true", "false"], { error: "must be true or false" })
    .transform((value) => value === "true")
    .default(false),
  TLS_CERT_FILE: optionalString,
  TLS_KEY_FILE: optionalString,
  DATABASE_URL: databaseUrl.default("sqlite:./data/officellm.db"),
  REDIS_URL: redisUrl.optional(),
  BACKUP_DIR: optionalString,
  BACKUP_INTERVAL: backupInterval.default(86_400_000),
  BACKUP_KEEP: positiveInt("backups kept").default(7),
  LOG_LEVEL: z.enum(logLevels, { error: `must be one of ${logLevels.join(", ")}` }).default("info"),
  LOG_FORMAT: z.enum(["json", "pretty"], { error: "must be json or pretty" }).optional(),
  CORS_ORIGINS: origins.default([]),
  TRUST_PROXY: z
    .string()
    .regex(/^(true|false|\d+)$/, "must be true, false or the number of proxies in front")
    .transform((value) => (value === "true" ? true : value === "false" ? false : Number(value)))
    .default(false),
  BODY_LIMIT: byteSize.default(1024 * 1024),
  JSON_MAX_DEPTH: positiveInt("levels of nesting in a JSON body").default(64),
  HEADERS_TIMEOUT_MS: positiveInt("milliseconds").default(10_000),
  BODY_TIMEOUT_MS: positiveInt("milliseconds").default(10_000),
  SCHEMA_MAX_BYTES: byteSize.default(64 * 1024),
  SCHEMA_MAX_DEPTH: positiveInt("levels of nesting in a JSON Schema").default(32),
  SCHEMA_MAX_NODES: positiveInt("objects and arrays in a JSON Schema").default(1_000),
  SCHEMA_MAX_PATTERN_SIZE: positiveInt("compiled size of a JSON Schema's patterns").default(1_000),
  SCHEMA_CACHE_MAX: positiveInt("compiled JSON Schemas kept").default(200),
  GENERATED_OUTPUT_MAX_BYTES: byteSize.default(256 * 1024),
  TEMPLATE_MAX_BYTES: byteSize.default(100 * 1024),
  CONVERSATION_MAX_MESSAGES: positiveInt("messages in one conversation").default(1_000),
  TOKEN_MAX_IN_FLIGHT: positiveInt("model calls in flight per token").default(PROVIDER_CONCURRENCY),
  ADMIN_PAGE_MAX_ROWS: positiveInt("rows in one page of an admin list").default(1_000),
  REQUEST_TIMEOUT_MS: positiveInt("milliseconds").default(120_000),
  SHUTDOWN_TIMEOUT_MS: positiveInt("milliseconds").default(10_000),
  RATE_LIMIT_RPM: positiveInt("requests per minute").default(60),
  AUTH_FAILURES_PER_MINUTE: positiveInt("failed sign-ins per client address").default(20),
  METRICS_TOKEN: z
    .string()
    .min(32, "must be at least 32 characters (try: openssl rand -hex 32)")
    .optional(),
  LLM_TIMEOUT_MS: positiveInt("milliseconds").default(60_000),
  LLM_MAX_RETRIES: z.coerce
    .number({ error: "must be a whole number from 0 to 10" })
    .int("must be a whole number from 0 to 10")
    .min(0, "must be a whole number from 0 to 10")
    .max(10, "must be a whole number from 0 to 10")
    .default(2),
  PROVIDER_CONCURRENCY: positiveInt("calls in flight per provider").default(PROVIDER_CONCURRENCY),
  PROVIDER_MAX_SOCKETS: positiveInt("connections per provider").optional(),
  PROVIDER_KEY_COOLDOWN_SECONDS: positiveInt("seconds").default(60),
  PROVIDER_KEY_REFUSED_COOLDOWN_SECONDS: positiveInt("seconds").default(600),
  QUEUE_TIMEOUT_MS: positiveInt("milliseconds").default(30_000),
  CACHE_TTL_SECONDS: positiveInt("seconds").default(7 * 86_400),
  CACHE_MAX_ENTRIES: positiveInt("answers the response cache keeps").default(10_000),
  CACHE_MAX_BYTES: byteSize.default(32 * 1024 * 1024),
  BATCH_MAX_ITEMS: positiveInt("items per batch").default(500),
  BATCH_MAX_IN_FLIGHT: positiveInt("items of one batch or job under way at once").default(1_000),
  JOB_MAX_ITEMS: positiveInt("items per job").default(1_000),
  JOBS_PER_TOKEN: positiveInt("jobs one token may hold").default(20),
  JOB_RETENTION_SECONDS: positiveInt("seconds").default(3_600),
  JOBS_MAX_BYTES: byteSize.default(64 * 1024 * 1024),
  FILE_MAX_BYTES: byteSize.default(10 * 1024 * 1024),
  FILE_MAX_UNZIPPED_BYTES: byteSize.default(50 * 1024 * 1024),
  FILE_MAX_PAGES: positiveInt("pages of a PDF").default(300),
  FILE_MAX_CELLS: positiveInt("cells of a spreadsheet, all sheets together").default(200_000),
  FILE_MAX_SHEETS: positiveInt("sheets of a workbook").default(50),
  FILE_MAX_TEXT_CHARS: positiveInt("characters of text kept from a file").default(1_000_000),
  FILE_EXTRACT_TIMEOUT_MS: positiveInt("milliseconds").default(20_000),
  FILE_RETENTION_HOURS: positiveInt("hours").default(7 * 24),
  ENCRYPTION_KEY: encryptionKey.optional(),
  // OPENAI_API_KEY, ANTHROPIC_API_KEY, OPENAI_COMPATIBLE_BASE_URL…: each provider's own.
  ...providerVariables,
  DEFAULT_MODEL: optionalString,
  MODEL_ALIASES: modelAliases.optional(),
  TOOLS_MAX: positiveInt("functions offered in one request").default(128),
  EMBEDDING_MAX_INPUTS: positiveInt("texts in one embeddings request")
    .max(2048, "must be at most 2048 (texts in one embeddings request)")
    .default(256),
  EMBEDDING_MAX_CHARS: positiveInt("characters of one embeddings request's texts").default(400_000),
  IMAGES_MAX: positiveInt("image parts in one request").default(20),
  IMAGE_MAX_BYTES: byteSize.default(5 * 1024 * 1024),
  LOCAL_MODELS_MAX: positiveInt("models kept from a local server's list").default(500),
  GOOGLE_CLIENT_ID: optionalString,
  GOOGLE_CLIENT_SECRET: optionalString,
  GOOGLE_REDIRECT_URI: httpUrl.optional(),
  /** Tests and proxies only: one origin serving Google's OAuth endpoints and the Calendar API. */
  GOOGLE_BASE_URL: httpUrl.optional(),
});

export type Env = z.output<typeof envSchema>;

/**
 * The limits that protect the shared service, in one place. Each is checked before the work it
 * bounds; docs/security.md says what each protects and .env.example how to set it.
 */
export interface Limits {
  /** Largest request body, in bytes (BODY_LIMIT). */
  bodyBytes: number;
  /** Deepest nesting of a JSON request body (JSON_MAX_DEPTH). */
  jsonDepth: number;
  /** Longest wait for a request's headers, and for its whole body, in ms. */
  headersTimeoutMs: number;
  bodyTimeoutMs: number;
  /** A caller's JSON Schema: its size in bytes, nesting depth and count of objects and arrays. */
  schemaBytes: number;
  schemaDepth: number;
  schemaNodes: number;
  /**
   * What a schema's regular expressions may compile to, together, in RE2 instructions (about one
   * per character or class, `a{100}` counting 100): it bounds both compiling and matching.
   */
  schemaPatternSize: number;
  /** Compiled schemas kept for reuse; an evicted one is freed. */
  schemaCacheEntries: number;
  /** Most output one generated answer may have (the demo provider's JSON, say), in bytes. */
  generatedOutputBytes: number;
  /** Items one batch may carry (BATCH_MAX_ITEMS). */
  batchItems: number;
  /**
   * Items of one batch or job under way at once (BATCH_MAX_IN_FLIGHT), at most: what bounds them
   * by default is their provider's slots (llm/batch.ts paces them), and their calls start a few
   * a turn of the event loop.
   */
  batchInFlight: number;
  /**
   * Jobs (POST /api/v1/jobs): items one may carry, jobs one token may hold on an instance
   * (running, or finished and kept), how long a finished job's results are kept, and the bytes
   * of results every job on an instance may hold together.
   */
  jobItems: number;
  jobsPerToken: number;
  jobRetentionMs: number;
  jobBytes: number;
  /** Largest prompt template text, in bytes. */
  templateBytes: number;
  /** Most messages one conversation may hold. */
  conversationMessages: number;
  /** Model calls one token may have in flight at once on this instance; more wait their turn. */
  inFlightPerToken: number;
  /** The longest a model call waits for its token's turn, or a provider's slot, in ms. */
  queueWaitMs: number;
  /** The response cache: answers and bytes it may hold. */
  cacheEntries: number;
  cacheBytes: number;
  /** Models kept from a local server's list (LOCAL_MODELS_MAX); the rest are not offered. */
  localModels: number;
  /** Functions one request may offer the model (TOOLS_MAX); each schema within the SCHEMA_ limits. */
  tools: number;
  /**
   * Images one request may show the model (IMAGES_MAX), and the longest `data:` URL one may be
   * sent as (IMAGE_MAX_BYTES); an https: URL is the provider's to fetch, never ours.
   */
  images: { perRequest: number; dataUrlBytes: number };
  /** Most rows one page of the ledger or the audit log may carry (ADMIN_PAGE_MAX_ROWS). */
  adminPageRows: number;
  /**
   * One embeddings request: its texts (EMBEDDING_MAX_INPUTS), and their characters together
   * (EMBEDDING_MAX_CHARS), which bound both what goes upstream and the vectors that come back.
   */
  embeddings: { inputs: number; chars: number };
  /** Uploaded files (POST /api/v1/files): what one may be, and what reading it may cost. */
  files: FileLimits;
}

export interface FileLimits {
  /** Largest upload, in bytes (FILE_MAX_BYTES). */
  bytes: number;
  /** What an XLSX's or DOCX's zip entries may inflate to, together, by their own headers. */
  unzippedBytes: number;
  /** Most pages of a PDF, checked before any page is read. */
  pages: number;
  /** Most non-empty cells of a spreadsheet (CSV or XLSX), and most sheets of a workbook. */
  cells: number;
  sheets: number;
  /** Most characters of extracted text kept; more is refused, not cut. */
  textChars: number;
  /** Longest text extraction may take, in ms; it runs in a worker thread stopped when it is up. */
  extractTimeoutMs: number;
}

export interface Config {
  env: Env["NODE_ENV"];
  port: number;
  host: string;
  /** The origin clients reach this backend at; defaults to http(s)://HOST:PORT. */
  publicUrl: string;
  /**
   * Serve the Power Automate connector's definition even when PUBLIC_URL is http:// or a
   * loopback address (CONNECTOR_ALLOW_INSECURE), e.g. behind an on-premises data gateway.
   */
  connectorAllowsInsecureHost: boolean;
  /** PEM files to serve HTTPS with (development; production usually terminates TLS in front). */
  tls: { certFile: string; keyFile: string } | undefined;
  databaseUrl: string;
  redisUrl: string | undefined;
  /** Scheduled online backups of the embedded SQLite database (BACKUP_DIR); off when unset. */
  backup: { directory: string; intervalMs: number; keep: number } | undefined;
  log: { level: Env["LOG_LEVEL"]; format: "json" | "pretty" };
  corsOrigins: string[];
  trustProxy: boolean | number;
  /** Every bound that keeps one caller from stalling, starving or crashing the service. */
  limits: Limits;
  requestTimeoutMs: number;
  /** How long an uploaded file is kept before the sweep deletes it (FILE_RETENTION_HOURS). */
  fileRetentionMs: number;
  shutdownTimeoutMs: number;
  rateLimit: { defaultRpm: number; authFailuresPerMinute: number };
  /** The bearer secret a Prometheus scraper reads GET /metrics with, besides an admin token. */
  metricsToken: string | undefined;
  llm: {
    timeoutMs: number;
    maxRetries: number;
    providerConcurrency: number;
    /**
     * Connections kept per provider (PROVIDER_MAX_SOCKETS); by default the most calls any
     * provider may have in flight, so no call waits for a connection.
     */
    maxSockets: number;
    cacheTtlMs: number;
    /**
     * How long one of a provider's keys is set aside after a 429 without Retry-After, and after a
     * 401 or 403 (PROVIDER_KEY_COOLDOWN_SECONDS, PROVIDER_KEY_REFUSED_COOLDOWN_SECONDS).
     */
    keyCooldownMs: number;
    keyRefusedCooldownMs: number;
  };
  encryptionKey: Buffer | undefined;
  providers: {
    /** Each configured provider's settings, by its name (server/llm/providers/provider-list.ts). */
    settings: ProviderSettings;
    /** The model a request that names none gets (DEFAULT_MODEL); else the registry's first. */
    defaultModel: string | undefined;
    /** Names the operator gives models (MODEL_ALIASES): `fast` → `gpt-5-mini`. */
    aliases: Record<string, string>;
  };
  google:
    | {
        clientId: string;
        clientSecret: string;
        /** Defaults to PUBLIC_URL + /api/v1/calendar/oauth/callback. */
        redirectUri: string;
        /** Set only to point the Google client at a fake or a proxy (GOOGLE_BASE_URL). */
        baseUrl: string | undefined;
      }
    | undefined;
}

/** Raised when the environment holds a bad value; `problems` name each variable. */
export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
    this.problems = problems;
  }
}

/** What the process runs in, besides its environment. */
export interface ProcessFacts {
  /** Whether standard output is a terminal: the log is then readable lines, unless told otherwise. */
  terminal?: boolean;
}

export function loadConfig(
  environment: Record<string, string | undefined>,
  facts: ProcessFacts = {},
): Config {
  // An empty value (as in a copied .env.example) means "not set".
  const present = Object.fromEntries(
    Object.entries(environment).filter(([, value]) => value !== undefined && value !== ""),
  );
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => `${issue.path.join(".")} ${issue.message}`),
    );
  }
  const env = parsed.data;
  const problems: string[] = [];
  if (env.GOOGLE_CLIENT_ID && !env.GOOGLE_CLIENT_SECRET) {
    problems.push("GOOGLE_CLIENT_SECRET must be set when GOOGLE_CLIENT_ID is set");
  }
  if (env.GOOGLE_CLIENT_ID && !env.ENCRYPTION_KEY) {
    problems.push(
      "ENCRYPTION_KEY must be set when Google Calendar is configured (it encrypts the stored Google tokens)",
    );
  }
  if (env.GOOGLE_CLIENT_ID && env.ENCRYPTION_KEY && isWeakKey(env.ENCRYPTION_KEY)) {
    problems.push(
      "ENCRYPTION_KEY is too regular to be random; use 32 random bytes (try: openssl rand -hex 32)",
    );
  }
  problems.push(...providerProblems(env));
  if (env.BACKUP_DIR && !env.DATABASE_URL.startsWith("sqlite:")) {
    problems.push(
      "BACKUP_DIR backs up the embedded SQLite database; with PostgreSQL use pg_dump (docs/operations.md)",
    );
  }
  if (Boolean(env.TLS_CERT_FILE) !== Boolean(env.TLS_KEY_FILE)) {
    problems.push("TLS_CERT_FILE and TLS_KEY_FILE must be set together");
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const publicHost = env.HOST === "0.0.0.0" || env.HOST === "::" ? "127.0.0.1" : env.HOST;
  const publicUrl =
    env.PUBLIC_URL ?? `${env.TLS_CERT_FILE ? "https" : "http"}://${publicHost}:${env.PORT}`;
  return {
    env: env.NODE_ENV,
    port: env.PORT,
    host: env.HOST,
    publicUrl,
    connectorAllowsInsecureHost: env.CONNECTOR_ALLOW_INSECURE,
    tls:
      env.TLS_CERT_FILE && env.TLS_KEY_FILE
        ? { certFile: env.TLS_CERT_FILE, keyFile: env.TLS_KEY_FILE }
        : undefined,
    databaseUrl: env.DATABASE_URL,
    redisUrl: env.REDIS_URL,
    backup: env.BACKUP_DIR
      ? { directory: env.BACKUP_DIR, intervalMs: env.BACKUP_INTERVAL, keep: env.BACKUP_KEEP }
      : undefined,
    log: {
      level: env.LOG_LEVEL,
      // Readable lines at a terminal, JSON for a log collector (and whenever NODE_ENV=production).
      format:
        env.LOG_FORMAT ?? (facts.terminal && present.NODE_ENV !== "production" ? "pretty" : "json"),
    },
    corsOrigins: env.CORS_ORIGINS,
    trustProxy: env.TRUST_PROXY,
    limits: {
      bodyBytes: env.BODY_LIMIT,
      jsonDepth: env.JSON_MAX_DEPTH,
      headersTimeoutMs: env.HEADERS_TIMEOUT_MS,
      bodyTimeoutMs: env.BODY_TIMEOUT_MS,
      schemaBytes: env.SCHEMA_MAX_BYTES,
      schemaDepth: env.SCHEMA_MAX_DEPTH,
      schemaNodes: env.SCHEMA_MAX_NODES,
      schemaPatternSize: env.SCHEMA_MAX_PATTERN_SIZE,
      schemaCacheEntries: env.SCHEMA_CACHE_MAX,
      generatedOutputBytes: env.GENERATED_OUTPUT_MAX_BYTES,
      batchItems: env.BATCH_MAX_ITEMS,
      batchInFlight: env.BATCH_MAX_IN_FLIGHT,
      jobItems: env.JOB_MAX_ITEMS,
      jobsPerToken: env.JOBS_PER_TOKEN,
      jobRetentionMs: env.JOB_RETENTION_SECONDS * 1000,
      jobBytes: env.JOBS_MAX_BYTES,
      templateBytes: env.TEMPLATE_MAX_BYTES,
      conversationMessages: env.CONVERSATION_MAX_MESSAGES,
      inFlightPerToken: env.TOKEN_MAX_IN_FLIGHT,
      queueWaitMs: env.QUEUE_TIMEOUT_MS,
      cacheEntries: env.CACHE_MAX_ENTRIES,
      cacheBytes: env.CACHE_MAX_BYTES,
      localModels: env.LOCAL_MODELS_MAX,
      tools: env.TOOLS_MAX,
      images: { perRequest: env.IMAGES_MAX, dataUrlBytes: env.IMAGE_MAX_BYTES },
      adminPageRows: env.ADMIN_PAGE_MAX_ROWS,
      embeddings: { inputs: env.EMBEDDING_MAX_INPUTS, chars: env.EMBEDDING_MAX_CHARS },
      files: {
        bytes: env.FILE_MAX_BYTES,
        unzippedBytes: env.FILE_MAX_UNZIPPED_BYTES,
        pages: env.FILE_MAX_PAGES,
        cells: env.FILE_MAX_CELLS,
        sheets: env.FILE_MAX_SHEETS,
        textChars: env.FILE_MAX_TEXT_CHARS,
        extractTimeoutMs: env.FILE_EXTRACT_TIMEOUT_MS,
      },
    },
    /** How long an uploaded file is kept (FILE_RETENTION_HOURS), in ms. */
    fileRetentionMs: env.FILE_RETENTION_HOURS * 3_600_000,
    requestTimeoutMs: env.REQUEST_TIMEOUT_MS,
    shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
    rateLimit: {
      defaultRpm: env.RATE_LIMIT_RPM,
      authFailuresPerMinute: env.AUTH_FAILURES_PER_MINUTE,
    },
    metricsToken: env.METRICS_TOKEN,
    llm: {
      timeoutMs: env.LLM_TIMEOUT_MS,
      maxRetries: env.LLM_MAX_RETRIES,
      providerConcurrency: env.PROVIDER_CONCURRENCY,
      maxSockets:
        env.PROVIDER_MAX_SOCKETS ??
        Math.max(env.PROVIDER_CONCURRENCY, env.OPENAI_COMPATIBLE_CONCURRENCY),
      cacheTtlMs: env.CACHE_TTL_SECONDS * 1000,
      keyCooldownMs: env.PROVIDER_KEY_COOLDOWN_SECONDS * 1000,
      keyRefusedCooldownMs: env.PROVIDER_KEY_REFUSED_COOLDOWN_SECONDS * 1000,
    },
    encryptionKey: env.ENCRYPTION_KEY,
    providers: {
      settings: readProviderSettings(env),
      defaultModel: env.DEFAULT_MODEL,
      aliases: env.MODEL_ALIASES ?? {},
    },
    google:
      env.GOOGLE_CLIENT_ID && env.GOOGLE_CLIENT_SECRET
        ? {
            clientId: env.GOOGLE_CLIENT_ID,
            clientSecret: env.GOOGLE_CLIENT_SECRET,
            redirectUri: env.GOOGLE_REDIRECT_URI ?? `${publicUrl}/api/v1/calendar/oauth/callback`,
            baseUrl: env.GOOGLE_BASE_URL,
          }
        : undefined,
  };
}
