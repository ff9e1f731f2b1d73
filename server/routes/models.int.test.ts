import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../config.ts";
import { createGateway } from "../llm/gateway.ts";
import { createLogger } from "../logger.ts";
import { api, type ErrorBody } from "../test/api.ts";
import { startFakeProvider, type FakeProvider } from "../test/fake-provider.ts";
import { LogCapture, startTestServer, type TestServer } from "../test/harness.ts";
import { ANTHROPIC_KEY, OPENAI_KEY } from "../test/llm-rig.ts";

interface ModelList {
  catalogVersion: string;
  defaultModel: string;
  models: {
    id: string;
    provider: string;
    contextWindow: number;
    maxOutputTokens: number;
    pricePerMillionTokens: { input: number; output: number };
    structuredOutput: boolean;
    vision: boolean;
    default: boolean;
  }[];
}

/** id, provider, context window, output cap, USD per million tokens in and out, JSON schemas. */
type Row = [string, string, number, number, number, number, boolean];

const rows = (list: ModelList): Row[] =>
  list.models.map((m) => [
    m.id,
    m.provider,
    m.contextWindow,
    m.maxOutputTokens,
    m.pricePerMillionTokens.input,
    m.pricePerMillionTokens.output,
    m.structuredOutput,
  ]);

const defaults = (list: ModelList) => list.models.filter((m) => m.default).map((m) => m.id);

async function models(server: TestServer): Promise<ModelList> {
  const { token } = await server.token();
  const reply = await api<ModelList>(server, token, "GET", "/api/v1/models");
  expect(reply.status, reply.text).toBe(200);
  return reply.body;
}

describe("GET /api/v1/models", () => {
  let fake: FakeProvider;
  let server: TestServer | undefined;

  beforeAll(async () => {
    fake = await startFakeProvider({ models: ["served-a", "served-b"] });
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
    fake.reset();
  });
  afterAll(async () => {
    await fake.close();
  });

  it("offers the demo models alone when no provider is configured", async () => {
    server = await startTestServer();
    expect(await models(server)).toEqual({
      catalogVersion: "2026-12-05",
      defaultModel: "demo",
      models: [
        {
          id: "demo",
          provider: "demo",
          kind: "chat",
          contextWindow: 32_768,
          maxOutputTokens: 4096,
          pricePerMillionTokens: { input: 0, output: 0 },
          structuredOutput: true,
          vision: false,
          default: true,
        },
        {
          id: "demo-embedding",
          provider: "demo",
          kind: "embedding",
          contextWindow: 8192,
          maxOutputTokens: 0,
          pricePerMillionTokens: { input: 0, output: 0 },
          structuredOutput: false,
          vision: false,
          default: false,
        },
      ],
    });
  });

  it("offers the catalog of each keyed provider at its prices, the first model by default", async () => {
    server = await startTestServer({
      env: { OPENAI_API_KEY: OPENAI_KEY, ANTHROPIC_API_KEY: ANTHROPIC_KEY },
    });
    const list = await models(server);
    expect(list.catalogVersion).toBe("2026-12-05");
    expect(rows(list)).toEqual([
      ["gpt-5", "openai", 400_000, 128_000, 1.25, 10, true],
      ["gpt-5-mini", "openai", 400_000, 128_000, 0.25, 2, true],
      ["gpt-5-nano", "openai", 400_000, 128_000, 0.05, 0.4, true],
      ["gpt-4.1", "openai", 1_047_576, 32_768, 2, 8, true],
      ["gpt-4.1-mini", "openai", 1_047_576, 32_768, 0.4, 1.6, true],
      ["gpt-4.1-nano", "openai", 1_047_576, 32_768, 0.1, 0.4, true],
      ["gpt-4o", "openai", 128_000, 16_384, 2.5, 10, true],
      ["gpt-4o-mini", "openai", 128_000, 16_384, 0.15, 0.6, true],
      ["o4-mini", "openai", 200_000, 100_000, 1.1, 4.4, true],
      ["o3", "openai", 200_000, 100_000, 2, 8, true],
      ["text-embedding-3-small", "openai", 8191, 0, 0.02, 0, false],
      ["text-embedding-3-large", "openai", 8191, 0, 0.13, 0, false],
      ["claude-opus-4-1", "anthropic", 200_000, 32_000, 15, 75, true],
      ["claude-sonnet-4-5", "anthropic", 200_000, 64_000, 3, 15, true],
      ["claude-haiku-4-5", "anthropic", 200_000, 64_000, 1, 5, true],
      ["claude-3-5-haiku-latest", "anthropic", 200_000, 8_192, 0.8, 4, false],
    ]);
    expect(list.defaultModel).toBe("gpt-5");
    expect(defaults(list)).toEqual(["gpt-5"]);
    // Every chat model but one reads images; no embedding model does.
    expect(list.models.filter((m) => !m.vision).map((m) => m.id)).toEqual([
      "text-embedding-3-small",
      "text-embedding-3-large",
      "claude-3-5-haiku-latest",
    ]);
  });

  it("offers one provider's catalog only, with DEFAULT_MODEL as the default", async () => {
    server = await startTestServer({
      env: { ANTHROPIC_API_KEY: ANTHROPIC_KEY, DEFAULT_MODEL: "claude-haiku-4-5" },
    });
    const list = await models(server);
    expect(list.models.map((m) => m.id)).toEqual([
      "claude-opus-4-1",
      "claude-sonnet-4-5",
      "claude-haiku-4-5",
      "claude-3-5-haiku-latest",
    ]);
    expect(list.defaultModel).toBe("claude-haiku-4-5");
    expect(defaults(list)).toEqual(["claude-haiku-4-5"]);
  });

  it("refuses a DEFAULT_MODEL no configured provider offers", async () => {
    await expect(
      createGateway(loadConfig({ ANTHROPIC_API_KEY: ANTHROPIC_KEY, DEFAULT_MODEL: "gpt-4o" })),
    ).rejects.toThrow(/Unknown model 'gpt-4o'/);
  });

  it("offers a local server's models from OPENAI_COMPATIBLE_MODELS without asking it", async () => {
    server = await startTestServer({
      env: {
        OPENAI_COMPATIBLE_BASE_URL: fake.openaiBaseUrl,
        OPENAI_COMPATIBLE_MODELS: "local-a, local-b",
      },
    });
    const list = await models(server);
    expect(rows(list)).toEqual([
      ["local-a", "openai-compatible", 8192, 4096, 0, 0, true],
      ["local-b", "openai-compatible", 8192, 4096, 0, 0, true],
    ]);
    expect(list.defaultModel).toBe("local-a");
    expect(fake.requests.filter((r) => r.path.endsWith("/models"))).toEqual([]);
  });

  it.each([
    ["none of them without OPENAI_COMPATIBLE_VISION_MODELS", undefined, [false, false]],
    ["those OPENAI_COMPATIBLE_VISION_MODELS names", "local-b", [false, true]],
    ["every one with OPENAI_COMPATIBLE_VISION_MODELS=*", "*", [true, true]],
  ])("says which local models read images: %s", async (_label, vision, expected) => {
    server = await startTestServer({
      env: {
        OPENAI_COMPATIBLE_BASE_URL: fake.openaiBaseUrl,
        OPENAI_COMPATIBLE_MODELS: "local-a, local-b",
        ...(vision ? { OPENAI_COMPATIBLE_VISION_MODELS: vision } : {}),
      },
    });
    expect((await models(server)).models.map((m) => m.vision)).toEqual(expected);
  });

  it("refuses a model the local server did not list, and another provider's", async () => {
    server = await startTestServer({
      env: { OPENAI_COMPATIBLE_BASE_URL: fake.openaiBaseUrl, OPENAI_COMPATIBLE_MODELS: "local-a" },
    });
    const { token } = await server.token();
    const refusals = [
      ["local-late", "Unknown model 'local-late'. Did you mean 'local-a'?"],
      ["gpt-4o", "Unknown model 'gpt-4o'. Available: local-a."],
    ];
    for (const [model, message] of refusals) {
      const refused = await api<ErrorBody>(server, token, "POST", "/api/v1/completions", {
        model,
        prompt: "hi",
      });
      expect(refused.status).toBe(400);
      expect(refused.body.error.code).toBe("unknown_model");
      expect(refused.body.error.message).toBe(message);
    }
    expect(fake.calls).toEqual([]);
  });

  it("asks the local server for its models when the settings name none", async () => {
    server = await startTestServer({ env: { OPENAI_COMPATIBLE_BASE_URL: fake.openaiBaseUrl } });
    expect((await models(server)).models.map((m) => [m.id, m.provider])).toEqual([
      ["served-a", "openai-compatible"],
      ["served-b", "openai-compatible"],
    ]);
  });

  it("warns, naming the setting, when the local server cannot list its models", async () => {
    const logs = new LogCapture();
    const logger = createLogger({ log: { level: "info", format: "json" } }, logs);
    fake.enqueue({ status: 500 });
    const gateway = await createGateway(
      loadConfig({ OPENAI_COMPATIBLE_BASE_URL: fake.openaiBaseUrl }),
      { logger },
    );
    expect(gateway.registry.list()).toEqual([]);
    expect(gateway.registry.demoOnly).toBe(false);
    const warning = logs.records().find((record) => record.level === 40);
    expect(warning?.msg).toBe(
      "could not list the local server's models; set OPENAI_COMPATIBLE_MODELS",
    );
  });
});
