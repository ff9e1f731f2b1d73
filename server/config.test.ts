import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "./config.ts";

/** Runs `loadConfig` and returns the ConfigError it must throw. */
function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

const validKey = "3f9c2a7b1d8e4f60a5b9c7d2e1f08a6b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f";

describe("loadConfig defaults", () => {
  it("starts with an empty environment", () => {
    const config = loadConfig({});
    expect(config.port).toBe(3000);
    expect(config.host).toBe("127.0.0.1");
    expect(config.databaseUrl).toBe("sqlite:./data/officellm.db");
    expect(config.publicUrl).toBe("http://127.0.0.1:3000");
    expect(config.connectorAllowsInsecureHost).toBe(false);
    expect(config.limits).toEqual({
      bodyBytes: 1024 * 1024,
      jsonDepth: 64,
      headersTimeoutMs: 10_000,
      bodyTimeoutMs: 10_000,
      schemaBytes: 64 * 1024,
      schemaDepth: 32,
      schemaNodes: 1_000,
      schemaCacheEntries: 200,
      schemaPatternSize: 1000,
      generatedOutputBytes: 256 * 1024,
      batchItems: 500,
      batchInFlight: 1_000,
      jobItems: 1_000,
      jobsPerToken: 20,
      jobRetentionMs: 3_600_000,
      jobBytes: 64 * 1024 * 1024,
      templateBytes: 100 * 1024,
      conversationMessages: 1_000,
      inFlightPerToken: 5_000,
      queueWaitMs: 30_000,
      cacheEntries: 10_000,
      cacheBytes: 32 * 1024 * 1024,
      localModels: 500,
      tools: 128,
      images: { perRequest: 20, dataUrlBytes: 5 * 1024 * 1024 },
      adminPageRows: 1000,
      embeddings: { inputs: 256, chars: 400_000 },
      files: {
        bytes: 10 * 1024 * 1024,
        unzippedBytes: 50 * 1024 * 1024,
        pages: 300,
        sheets: 50,
        cells: 200_000,
        textChars: 1_000_000,
        extractTimeoutMs: 20_000,
      },
    });
    expect(config.fileRetentionMs).toBe(7 * 24 * 3_600_000);
    expect(config.redisUrl).toBeUndefined();
    expect(config.encryptionKey).toBeUndefined();
    expect(config.google).toBeUndefined();
  });

  it("sizes the provider connection pool from the calls in flight it may carry, unless told", () => {
    expect(loadConfig({}).llm).toMatchObject({ providerConcurrency: 5_000, maxSockets: 5_000 });
    expect(
      loadConfig({ PROVIDER_CONCURRENCY: "200", OPENAI_COMPATIBLE_CONCURRENCY: "300" }).llm,
    ).toMatchObject({ providerConcurrency: 200, maxSockets: 300 });
    expect(loadConfig({ PROVIDER_MAX_SOCKETS: "64" }).llm.maxSockets).toBe(64);
    expect(() => loadConfig({ QUEUE_TIMEOUT_MS: "0" })).toThrow(/QUEUE_TIMEOUT_MS/);
  });

  it("treats empty strings as unset", () => {
    const config = loadConfig({
      PORT: "",
      HOST: "",
      DATABASE_URL: "",
      REDIS_URL: "",
      LOG_LEVEL: "",
      CORS_ORIGINS: "",
      BODY_LIMIT: "",
      PUBLIC_URL: "",
      ENCRYPTION_KEY: "",
      GOOGLE_CLIENT_ID: "",
      GOOGLE_CLIENT_SECRET: "",
      OPENAI_API_KEY: "",
    });
    expect(config).toEqual(loadConfig({}));
    expect(config.providers.settings.openai).toBeUndefined();
  });

  it("configures no provider but the demo, and no default model", () => {
    expect(loadConfig({}).providers).toEqual({
      settings: { demo: {} },
      defaultModel: undefined,
      aliases: {},
    });
  });

  it("reads each provider's settings, base URLs without their trailing slash", () => {
    const config = loadConfig({
      OPENAI_API_KEY: "sk-openai",
      OPENAI_BASE_URL: "https://openai-proxy.example.com/v1/",
      ANTHROPIC_API_KEY: "sk-ant",
      OPENAI_COMPATIBLE_BASE_URL: "http://127.0.0.1:11434/v1/",
      OPENAI_COMPATIBLE_MODELS: " llama3.1:8b, ,qwen2.5:7b ",
      DEFAULT_MODEL: "qwen2.5:7b",
    });
    expect(config.providers).toEqual({
      settings: {
        openai: {
          keys: [
            {
              label: "default",
              apiKey: "sk-openai",
              baseUrl: "https://openai-proxy.example.com/v1",
            },
          ],
        },
        anthropic: { keys: [{ label: "default", apiKey: "sk-ant", baseUrl: undefined }] },
        "openai-compatible": {
          servers: [{ label: "default", apiKey: undefined, baseUrl: "http://127.0.0.1:11434/v1" }],
          models: ["llama3.1:8b", "qwen2.5:7b"],
          concurrency: 16,
          prices: {},
          visionModels: [],
          refreshMs: 300_000,
        },
        demo: {},
      },
      defaultModel: "qwen2.5:7b",
      aliases: {},
    });
  });

  it("reads aliases and local models' prices, a model name keeping its ':' and '/'", () => {
    const config = loadConfig({
      OPENAI_COMPATIBLE_BASE_URL: "http://127.0.0.1:11434/v1",
      OPENAI_COMPATIBLE_PRICES: "qwen3:8b=0.1/0.4, meta-llama/Llama-3.1-8B=0/0.125",
      MODEL_LIST_REFRESH_SECONDS: "0",
      MODEL_ALIASES: "fast=qwen3:8b, smart = meta-llama/Llama-3.1-8B",
    });
    expect(config.providers.settings["openai-compatible"]).toMatchObject({
      prices: {
        "qwen3:8b": { input: 0.1, output: 0.4 },
        "meta-llama/Llama-3.1-8B": { input: 0, output: 0.125 },
      },
      refreshMs: 0,
    });
    expect(config.providers.aliases).toEqual({
      fast: "qwen3:8b",
      smart: "meta-llama/Llama-3.1-8B",
    });
  });

  it("refuses malformed aliases and prices, naming the variable", () => {
    const problems = (env: Record<string, string>) => {
      try {
        loadConfig({ OPENAI_COMPATIBLE_BASE_URL: "http://127.0.0.1:11434/v1", ...env });
      } catch (error) {
        return (error as ConfigError).problems;
      }
      return [];
    };
    expect(problems({ MODEL_ALIASES: "fast" })).toEqual([
      "MODEL_ALIASES 'fast' must be alias=model (fast=gpt-5-mini)",
    ]);
    expect(problems({ MODEL_ALIASES: "a=b,c=a" })).toEqual([
      "MODEL_ALIASES alias 'c' names another alias, 'a'",
    ]);
    expect(problems({ MODEL_ALIASES: "a=b,a=c" })).toEqual([
      "MODEL_ALIASES names the alias 'a' twice",
    ]);
    expect(problems({ OPENAI_COMPATIBLE_PRICES: "llama=0.0001/1" })[0]).toMatch(
      /^OPENAI_COMPATIBLE_PRICES 'llama=0.0001\/1' must be model=input\/output/,
    );
    expect(problems({ OPENAI_COMPATIBLE_PRICES: "llama=1" })).toHaveLength(1);
  });

  it("derives the public URL from HOST and PORT unless PUBLIC_URL is given", () => {
    expect(loadConfig({ PORT: "8080" }).publicUrl).toBe("http://127.0.0.1:8080");
    expect(loadConfig({ PUBLIC_URL: "https://llm.example.com/" }).publicUrl).toBe(
      "https://llm.example.com",
    );
  });

  it("reads CONNECTOR_ALLOW_INSECURE as true or false", () => {
    expect(loadConfig({ CONNECTOR_ALLOW_INSECURE: "true" }).connectorAllowsInsecureHost).toBe(true);
    expect(loadConfig({ CONNECTOR_ALLOW_INSECURE: "false" }).connectorAllowsInsecureHost).toBe(
      false,
    );
  });

  it("accepts a valid Google setup with an encryption key", () => {
    const config = loadConfig({
      GOOGLE_CLIENT_ID: "id",
      GOOGLE_CLIENT_SECRET: "google-secret",
      ENCRYPTION_KEY: validKey,
    });
    expect(config.google).toMatchObject({
      clientId: "id",
      clientSecret: "google-secret",
      redirectUri: "http://127.0.0.1:3000/api/v1/calendar/oauth/callback",
      baseUrl: undefined,
    });
    expect(config.encryptionKey?.length).toBe(32);
  });
});

describe("loadConfig rejects bad settings, naming each", () => {
  const cases: [string, Record<string, string>, string, RegExp][] = [
    ["a port that is not a number", { PORT: "abc" }, "PORT", /whole number/],
    ["a port out of range", { PORT: "70000" }, "PORT", /65535/],
    ["a port written in hex", { PORT: "0x10" }, "PORT", /whole number/],
    ["a negative port", { PORT: "-1" }, "PORT", /whole number/],
    ["an unknown database", { DATABASE_URL: "mysql://x" }, "DATABASE_URL", /sqlite:|postgres/],
    ["a Redis URL of another scheme", { REDIS_URL: "http://x" }, "REDIS_URL", /redis:\/\//],
    ["an unknown log level", { LOG_LEVEL: "loud" }, "LOG_LEVEL", /info/],
    ["an origin that is not one", { CORS_ORIGINS: "notanorigin" }, "CORS_ORIGINS", /origin/],
    ["a body limit that is not a size", { BODY_LIMIT: "huge" }, "BODY_LIMIT", /size|mb|kb/],
    [
      "a pattern size that is not a number",
      { SCHEMA_MAX_PATTERN_SIZE: "lots" },
      "SCHEMA_MAX_PATTERN_SIZE",
      /positive whole number/,
    ],
    [
      "an insecure-host switch that is not true or false",
      { CONNECTOR_ALLOW_INSECURE: "yes" },
      "CONNECTOR_ALLOW_INSECURE",
      /true or false/,
    ],
    ["a public URL that is not http(s)", { PUBLIC_URL: "ftp://x" }, "PUBLIC_URL", /https?:\/\//],
    ["a short encryption key", { ENCRYPTION_KEY: "short" }, "ENCRYPTION_KEY", /32/],
    [
      "a Google client id without its secret",
      { GOOGLE_CLIENT_ID: "id", ENCRYPTION_KEY: validKey },
      "GOOGLE_CLIENT_SECRET",
      /must be set/,
    ],
    [
      "Google with a weak encryption key",
      {
        GOOGLE_CLIENT_ID: "id",
        GOOGLE_CLIENT_SECRET: "google-secret",
        ENCRYPTION_KEY: "a".repeat(64),
      },
      "ENCRYPTION_KEY",
      /too regular/,
    ],
    [
      "an OpenAI base URL that is not http(s)",
      { OPENAI_API_KEY: "sk-x", OPENAI_BASE_URL: "ftp://x" },
      "OPENAI_BASE_URL",
      /^OPENAI_BASE_URL must be an http:\/\/ or https:\/\/ URL$/,
    ],
    [
      "an Anthropic base URL that is not a URL",
      { ANTHROPIC_BASE_URL: "anthropic" },
      "ANTHROPIC_BASE_URL",
      /^ANTHROPIC_BASE_URL must be an http:\/\/ or https:\/\/ URL$/,
    ],
    [
      "a local server's URL that is not a URL",
      { OPENAI_COMPATIBLE_BASE_URL: "localhost:11434" },
      "OPENAI_COMPATIBLE_BASE_URL",
      /^OPENAI_COMPATIBLE_BASE_URL must be an http:\/\/ or https:\/\/ URL$/,
    ],
    [
      "a local server's key without its URL",
      { OPENAI_COMPATIBLE_API_KEY: "local-key" },
      "OPENAI_COMPATIBLE_BASE_URL",
      /^OPENAI_COMPATIBLE_BASE_URL must be set when OPENAI_COMPATIBLE_API_KEY is set$/,
    ],
    [
      "Google without an encryption key",
      { GOOGLE_CLIENT_ID: "id", GOOGLE_CLIENT_SECRET: "google-secret" },
      "ENCRYPTION_KEY",
      /must be set/,
    ],
  ];
  for (const [label, env, variable, what] of cases) {
    it(`rejects ${label}`, () => {
      const error = configError(env);
      expect(error.message).toContain(variable);
      const problem = error.problems.find((p) => p.includes(variable));
      expect(problem, error.message).toBeDefined();
      expect(problem).toMatch(what);
    });
  }

  it("reports every bad variable at once", () => {
    const error = configError({ PORT: "abc", LOG_LEVEL: "loud", BODY_LIMIT: "huge" });
    for (const variable of ["PORT", "LOG_LEVEL", "BODY_LIMIT"]) {
      expect(error.message).toContain(variable);
    }
  });

  it("never echoes a secret value in the message", () => {
    const secrets: Record<string, string>[] = [
      { ENCRYPTION_KEY: "hunter2-my-very-private-key" },
      { DATABASE_URL: "mysql://admin:hunter2-db-password@db.internal/app" },
      { REDIS_URL: "http://:hunter2-redis-password@cache.internal" },
      { GOOGLE_CLIENT_ID: "id", GOOGLE_CLIENT_SECRET: "hunter2-google-secret" },
      { OPENAI_COMPATIBLE_API_KEY: "hunter2-local-key" },
      { OPENAI_API_KEY: "hunter2-openai-key", OPENAI_BASE_URL: "hunter2" },
    ];
    for (const env of secrets) {
      const error = configError(env);
      expect(error.message).not.toContain("hunter2");
      expect(error.problems.join("\n")).not.toContain("hunter2");
    }
  });
});
