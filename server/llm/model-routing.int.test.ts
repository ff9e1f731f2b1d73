/**
 * Strict model routing: with a local OpenAI-compatible server configured beside OpenAI, only the
 * catalog's models, the models the server lists and the operator's aliases are served; any other
 * name (a typo) is refused before any upstream call, with the closest names suggested. Driven by
 * the official `openai` client over real HTTP, the providers faked at their HTTP edge.
 */
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../config.ts";
import { createGateway } from "./gateway.ts";
import { startFakeProvider, type FakeProvider } from "../test/fake-provider.ts";
import { startGatewayServer, uniquePrompt, OPENAI_KEY } from "../test/llm-rig.ts";
import type { TestServer } from "../test/harness.ts";

const localModels = ["local-a", "local-b"];

describe("strict model routing with a local server beside OpenAI", () => {
  let fake: FakeProvider;
  let server: TestServer;
  let token: { id: string; token: string };
  const client = () =>
    new OpenAI({ apiKey: token.token, baseURL: `${server.url}/v1`, maxRetries: 0 });

  beforeAll(async () => {
    fake = await startFakeProvider({ models: localModels });
    server = await startGatewayServer(fake, {
      OPENAI_COMPATIBLE_BASE_URL: fake.openaiBaseUrl,
      OPENAI_COMPATIBLE_PRICES: "local-a=1/2.5",
      MODEL_ALIASES: "fast=local-a,smart=gpt-4o",
    });
    token = await server.token({ name: "routing", scopes: ["llm"] });
  });
  afterAll(async () => {
    await server.close();
    await fake.close();
  });

  it("refuses a typo with unknown_model and the closest names, calling no provider", async () => {
    fake.reset();
    const error = await client()
      .chat.completions.create({ model: "gtp-4o", messages: [{ role: "user", content: "hi" }] })
      .then(
        () => undefined,
        (failure: unknown) => failure,
      );
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    const refused = error as InstanceType<typeof OpenAI.BadRequestError>;
    expect(refused.code).toBe("unknown_model");
    expect(refused.message).toContain("Unknown model 'gtp-4o'. Did you mean 'gpt-4o'");
    expect(fake.calls).toEqual([]);
    expect(await server.store.usage.listForToken(token.id)).toEqual([]);
  });

  it("refuses a name the local server did not list, instead of sending it there at $0", async () => {
    fake.reset();
    const reply = await server.fetch("/api/v1/completions", {
      method: "POST",
      token: token.token,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "local-c", prompt: "hi" }),
    });
    const body = (await reply.json()) as { error: { code: string; message: string } };
    expect(reply.status).toBe(400);
    expect(body.error.code).toBe("unknown_model");
    expect(body.error.message).toMatch(
      /^Unknown model 'local-c'. Did you mean 'local-a', 'local-b'\?/,
    );
    expect(fake.calls).toEqual([]);
  });

  it("serves an alias with the model it names, billed at the operator's local price", async () => {
    fake.reset();
    const prompt = uniquePrompt("alias");
    const completion = await client().chat.completions.create({
      model: "fast",
      messages: [{ role: "user", content: prompt }],
    });
    expect(completion.model).toBe("local-a");
    expect(completion.choices[0]?.message.content).toBe(`echo: ${prompt}`);
    expect(fake.calls.map((call) => call.model)).toEqual(["local-a"]);
    const rows = await server.store.usage.listForToken(token.id);
    const row = rows.at(-1)!;
    expect([row.provider, row.model]).toEqual(["openai-compatible", "local-a"]);
    // $1 and $2.5 per million tokens: 1,000 and 2,500 nano-dollars a token.
    expect(row.cost_nano_usd).toBe(row.input_tokens * 1000 + row.output_tokens * 2500);
    expect(row.cost_nano_usd).toBeGreaterThan(0);

    const smart = await client().chat.completions.create({
      model: "smart",
      messages: [{ role: "user", content: uniquePrompt("smart") }],
    });
    expect(smart.model).toBe("gpt-4o");
  });

  it("lists exactly the names a caller may use, aliases last", async () => {
    const ids: string[] = [];
    for await (const model of client().models.list()) ids.push(model.id);
    expect(ids.slice(-4)).toEqual(["local-a", "local-b", "fast", "smart"]);
    expect(ids).toContain("gpt-4o");
    expect(ids).not.toContain("demo");
    expect((await client().models.retrieve("fast")).owned_by).toBe("openai-compatible");

    const reply = await server.fetch("/api/v1/models", { token: token.token });
    const list = (await reply.json()) as {
      models: { id: string; aliasOf?: string; pricePerMillionTokens: unknown }[];
    };
    expect(list.models.find((model) => model.id === "fast")).toMatchObject({
      aliasOf: "local-a",
      pricePerMillionTokens: { input: 1, output: 2.5 },
    });
    expect(list.models.find((model) => model.id === "local-b")).toMatchObject({
      pricePerMillionTokens: { input: 0, output: 0 },
    });
  });
});

describe("the local server's model list", () => {
  let fake: FakeProvider;
  const served = ["first"];

  beforeAll(async () => {
    fake = await startFakeProvider({ models: served });
  });
  afterAll(async () => {
    await fake.close();
  });

  const config = (env: Record<string, string> = {}) =>
    loadConfig({ OPENAI_COMPATIBLE_BASE_URL: fake.openaiBaseUrl, ...env });

  it("is read again on refresh: a model pulled later becomes usable, and not before", async () => {
    const gateway = await createGateway(config());
    expect(() => gateway.registry.resolve("pulled-later")).toThrow(/Unknown model/);
    served.push("pulled-later");
    await gateway.registry.refresh();
    expect(gateway.registry.resolve("pulled-later").provider).toBe("openai-compatible");
    served.pop();
  });

  it("keeps the last list when the server cannot be reached on refresh", async () => {
    const gateway = await createGateway(config());
    fake.enqueue({ status: 500 });
    await gateway.registry.refresh();
    expect(gateway.registry.list().map((model) => model.id)).toEqual(["first"]);
  });

  it("keeps at most LOCAL_MODELS_MAX models", async () => {
    served.push("second", "third");
    const gateway = await createGateway(config({ LOCAL_MODELS_MAX: "2" }));
    served.splice(1);
    expect(gateway.registry.list().map((model) => model.id)).toEqual(["first", "second"]);
  });

  it("refuses at start an alias naming no offered model", async () => {
    await expect(
      createGateway(loadConfig({ OPENAI_API_KEY: OPENAI_KEY, MODEL_ALIASES: "fast=gpt-4o-mni" })),
    ).rejects.toThrow("Unknown model 'gpt-4o-mni'. Did you mean 'gpt-4o-mini'");
  });

  it("accepts, with a warning, an alias for a local model while the server cannot list", async () => {
    fake.enqueue({ status: 500 });
    const gateway = await createGateway(config({ MODEL_ALIASES: "fast=first" }));
    expect(gateway.registry.aliases()).toEqual([]);
    await gateway.registry.refresh();
    expect(gateway.registry.resolve("fast").id).toBe("first");
  });
});
