/**
 * GET/PUT /api/v1/me/settings over HTTP, and the defaults they set for completions: through the
 * offline demo model (whose usage counts the system prompt) and through the fake provider (which
 * shows exactly what reached the model), behind the openai-compatible adapter and behind the
 * openai and anthropic providers with their official SDKs.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { api, type ErrorBody } from "../test/api.ts";
import { startFakeProvider, type FakeProvider } from "../test/fake-provider.ts";
import { startTestServer, type TestServer } from "../test/harness.ts";
import {
  bodyOf,
  providerCases,
  startRig,
  uniquePrompt,
  type CompletionBody,
  type ProviderCase,
  type Rig,
} from "../test/llm-rig.ts";

interface Settings {
  model: string | null;
  systemPrompt: string | null;
  temperature: number | null;
  updatedAt: string | null;
}

interface Completion {
  text: string;
  model: string;
  cached: boolean;
  usage: { inputTokens: number; outputTokens: number; costUsd: number };
}

interface AuditEntry {
  actorTokenId: string | null;
  action: string;
  subject: string | null;
  detail: Record<string, unknown>;
  createdAt: string;
}

const env = { AUTH_FAILURES_PER_MINUTE: "100000", RATE_LIMIT_RPM: "100000" };
/** The demo model's input count: the system prompt and messages joined by newlines, / 4. */
const demoInput = (...parts: string[]) => Math.ceil(parts.join("\n").length / 4);

describe("settings through the demo model", () => {
  let server: TestServer;
  let admin: string;

  beforeAll(async () => {
    server = await startTestServer({ env });
    admin = (await server.token({ name: "operator", scopes: ["admin"] })).token;
  });
  afterAll(() => server.close());

  it("are all null before anything is saved", async () => {
    const { token } = await server.token();
    const reply = await api<Settings>(server, token, "GET", "/api/v1/me/settings");
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({
      model: null,
      systemPrompt: null,
      temperature: null,
      updatedAt: null,
    });
  });

  it("saves, reads back, keeps fields left out and clears fields sent as null", async () => {
    const { token } = await server.token();
    const saved = await api<Settings>(server, token, "PUT", "/api/v1/me/settings", {
      model: "demo",
      systemPrompt: "Answer in French.",
      temperature: 0.4,
    });
    expect(saved.status, saved.text).toBe(200);
    const first = {
      model: "demo",
      systemPrompt: "Answer in French.",
      temperature: 0.4,
      updatedAt: server.clock.now().toISOString(),
    };
    expect(saved.body).toEqual(first);
    expect((await api<Settings>(server, token, "GET", "/api/v1/me/settings")).body).toEqual(first);

    server.clock.advance(5000);
    const partial = await api<Settings>(server, token, "PUT", "/api/v1/me/settings", {
      temperature: 1.5,
    });
    expect(partial.body).toEqual({
      ...first,
      temperature: 1.5,
      updatedAt: server.clock.now().toISOString(),
    });

    server.clock.advance(5000);
    const cleared = await api<Settings>(server, token, "PUT", "/api/v1/me/settings", {
      systemPrompt: null,
      model: null,
    });
    expect(cleared.body).toEqual({
      model: null,
      systemPrompt: null,
      temperature: 1.5,
      updatedAt: server.clock.now().toISOString(),
    });
    expect((await api<Settings>(server, token, "GET", "/api/v1/me/settings")).body).toEqual(
      cleared.body,
    );
  });

  it("are each token's own", async () => {
    const a = await server.token();
    const b = await server.token();
    await api(server, a.token, "PUT", "/api/v1/me/settings", { temperature: 0.1 });
    expect(
      (await api<Settings>(server, b.token, "GET", "/api/v1/me/settings")).body.temperature,
    ).toBeNull();
  });

  const invalid: [string, unknown, string][] = [
    ["an unknown model", { model: "gpt-nonexistent" }, "body.model"],
    ["an empty model", { model: "" }, "body.model"],
    ["a temperature above 2", { temperature: 2.5 }, "body.temperature"],
    ["a negative temperature", { temperature: -0.1 }, "body.temperature"],
    ["a temperature as text", { temperature: "0.5" }, "body.temperature"],
    ["a system prompt that is not text", { systemPrompt: 42 }, "body.systemPrompt"],
    ["an unknown field", { maxTokens: 100 }, "body.maxTokens"],
  ];
  for (const [label, body, path] of invalid) {
    it(`refuses ${label} with 400 naming ${path}, and saves nothing`, async () => {
      const { token } = await server.token();
      const reply = await api<ErrorBody>(server, token, "PUT", "/api/v1/me/settings", {
        temperature: 1,
        ...(body as object),
      });
      expect(reply.status).toBe(400);
      expect(reply.body.error.code).toBe(
        label === "an unknown model" ? "unknown_model" : "invalid_request",
      );
      expect(reply.body.error.details?.map((d) => d.path)).toContain(path);
      const after = await api<Settings>(server, token, "GET", "/api/v1/me/settings");
      expect(after.body.updatedAt).toBeNull();
    });
  }

  it("names the unknown model and the ones on offer", async () => {
    const { token } = await server.token();
    const reply = await api<ErrorBody>(server, token, "PUT", "/api/v1/me/settings", {
      model: "gpt-nonexistent",
    });
    expect(reply.body.error.message).toMatch(/body\.model: Unknown model 'gpt-nonexistent'.*demo/);
  });

  it("records each change in the audit log: actor, fields and values, never the system prompt", async () => {
    const { id, token } = await server.token({ name: "audited" });
    const secretPrompt = "Internal pricing rule: margin is 37% on SKU-9";
    server.clock.advance(1000);
    await api(server, token, "PUT", "/api/v1/me/settings", {
      model: "demo",
      systemPrompt: secretPrompt,
    });
    server.clock.advance(1000);
    await api(server, token, "PUT", "/api/v1/me/settings", { temperature: 0.7 });
    server.clock.advance(1000);
    // Nothing changes: nothing is written.
    await api(server, token, "PUT", "/api/v1/me/settings", { temperature: 0.7, model: "demo" });

    const audit = await api<{ entries: AuditEntry[] }>(
      server,
      admin,
      "GET",
      "/api/v1/admin/audit?limit=1000",
    );
    expect(audit.text).not.toContain(secretPrompt);
    const mine = audit.body.entries.filter(
      (entry) => entry.action === "settings.changed" && entry.subject === id,
    );
    expect(mine.map((entry) => entry.detail)).toEqual([
      { changed: ["temperature"], temperature: 0.7 },
      { changed: ["model", "systemPrompt"], model: "demo" },
    ]);
    for (const entry of mine) expect(entry.actorTokenId).toBe(id);
  });

  it("apply to completions that leave out system prompt and temperature", async () => {
    const configured = await server.token();
    const plain = await server.token();
    const system = "You are terse. ".repeat(20);
    await api(server, configured.token, "PUT", "/api/v1/me/settings", {
      model: "demo",
      systemPrompt: system,
      temperature: 0,
    });
    const prompt = "What is the capital of Peru?";
    const ask = (token: string, extra: object = {}) =>
      api<Completion>(server, token, "POST", "/api/v1/completions", { prompt, ...extra });

    const first = await ask(configured.token);
    expect(first.status, first.text).toBe(200);
    expect(first.headers.get("x-officellm-model")).toBe("demo");
    expect(first.body.text).toContain(prompt);
    // The saved system prompt reached the model: the demo counts it as input.
    expect(first.body.usage.inputTokens).toBe(demoInput(system, prompt));
    expect(first.body.cached).toBe(false);
    // temperature 0 from the settings makes the answer cacheable.
    const again = await ask(configured.token);
    expect(again.body.cached).toBe(true);
    expect(again.headers.get("x-officellm-cache")).toBe("hit");

    // What the request says wins over the settings.
    const own = await ask(configured.token, { system: "Be brief.", temperature: 0.9 });
    expect(own.body.usage.inputTokens).toBe(demoInput("Be brief.", prompt));
    expect(
      (await ask(configured.token, { system: "Be brief.", temperature: 0.9 })).body.cached,
    ).toBe(false);

    // Another token without settings: no system prompt, no caching.
    const bare = await ask(plain.token);
    expect(bare.body.usage.inputTokens).toBe(demoInput(prompt));
    expect((await ask(plain.token)).body.cached).toBe(false);

    // The ledger has the same counts.
    const rows = await server.store.usage.listForToken(configured.id);
    expect(rows.map((row) => row.input_tokens)).toEqual([
      demoInput(system, prompt),
      demoInput(system, prompt),
      demoInput("Be brief.", prompt),
      demoInput("Be brief.", prompt),
    ]);
    expect(rows.map((row) => row.cached)).toEqual([0, 1, 0, 0]);
  });
});

describe("settings through a provider", () => {
  let fake: FakeProvider;
  let server: TestServer;

  beforeAll(async () => {
    fake = await startFakeProvider();
    server = await startTestServer({
      env: {
        ...env,
        OPENAI_COMPATIBLE_BASE_URL: fake.openaiBaseUrl,
        OPENAI_COMPATIBLE_MODELS: "local-a,local-b",
      },
    });
  });
  afterAll(async () => {
    await server.close();
    await fake.close();
  });

  it("sends the saved model, system prompt and temperature when the request leaves them out", async () => {
    const { token } = await server.token();
    const saved = await api(server, token, "PUT", "/api/v1/me/settings", {
      model: "local-b",
      systemPrompt: "Reply in one word.",
      temperature: 0.3,
    });
    expect(saved.status, saved.text).toBe(200);

    fake.reset();
    const reply = await api<Completion>(server, token, "POST", "/api/v1/completions", {
      prompt: "Colour of the sky?",
    });
    expect(reply.status, reply.text).toBe(200);
    expect(reply.body.model).toBe("local-b");
    expect(fake.calls).toHaveLength(1);
    expect(fake.calls[0]).toMatchObject({ model: "local-b", system: "Reply in one word." });
    expect((fake.calls[0]!.request.body as { temperature?: number }).temperature).toBe(0.3);

    fake.reset();
    await api(server, token, "POST", "/api/v1/completions", {
      prompt: "Colour of grass?",
      model: "local-a",
      system: "Reply in two words.",
      temperature: 1,
    });
    expect(fake.calls[0]).toMatchObject({ model: "local-a", system: "Reply in two words." });
    expect((fake.calls[0]!.request.body as { temperature?: number }).temperature).toBe(1);
  });

  it("leaves the deployment's defaults when nothing is saved", async () => {
    const { token } = await server.token();
    fake.reset();
    const reply = await api<Completion>(server, token, "POST", "/api/v1/completions", {
      prompt: "Hello?",
    });
    expect(reply.body.model).toBe("local-a");
    expect(fake.calls[0]!.system).toBe("");
    expect((fake.calls[0]!.request.body as { temperature?: number }).temperature).toBeUndefined();
  });
});

/** A model of the same provider other than DEFAULT_MODEL, for the settings to name. */
const savedModel: Record<ProviderCase["provider"], string> = {
  openai: "gpt-4o-mini",
  anthropic: "claude-3-5-haiku-latest",
};

describe.each(providerCases)("settings through $provider, with DEFAULT_MODEL=$model", (c) => {
  let rig: Rig;

  beforeAll(async () => {
    rig = await startRig({ env: { DEFAULT_MODEL: c.model } });
  });
  afterAll(() => rig.close());
  beforeEach(() => rig.fake.reset());

  /** The temperature the provider received; Anthropic's API takes none (docs/api.md). */
  const expectTemperature = (index: number, temperature: number | undefined) => {
    const body = bodyOf(rig.fake.requests[index]);
    if (c.provider === "openai" && temperature !== undefined)
      expect(body.temperature).toBe(temperature);
    else expect(body).not.toHaveProperty("temperature");
  };

  it("sends the saved model, system prompt and temperature when the request leaves them out", async () => {
    const { token } = await rig.token();
    const saved = await api(rig.server, token, "PUT", "/api/v1/me/settings", {
      model: savedModel[c.provider],
      systemPrompt: "Reply in one word.",
      temperature: 0,
    });
    expect(saved.status, saved.text).toBe(200);

    const prompt = uniquePrompt("Colour of the sky?");
    const reply = await rig.post<CompletionBody>("/api/v1/completions", token, { prompt });
    expect(reply.status, reply.text).toBe(200);
    expect(reply.body).toMatchObject({
      provider: c.provider,
      model: savedModel[c.provider],
      text: `echo: ${prompt}`,
      cached: false,
    });
    expect(rig.fake.calls).toHaveLength(1);
    expect(rig.fake.calls[0]).toMatchObject({
      provider: c.provider,
      model: savedModel[c.provider],
      system: "Reply in one word.",
      messages: [{ role: "user", content: prompt }],
    });
    expectTemperature(0, 0);

    // The saved temperature of 0 makes the answer cacheable: asked again, no upstream call.
    const again = await rig.post<CompletionBody>("/api/v1/completions", token, { prompt });
    expect(again.status, again.text).toBe(200);
    expect(again.body).toMatchObject({ text: `echo: ${prompt}`, cached: true });
    expect(rig.fake.requests).toHaveLength(1);

    // What the request says wins over the settings.
    const own = await rig.post<CompletionBody>("/api/v1/completions", token, {
      prompt,
      model: c.model,
      system: "Reply in two words.",
      temperature: 0.5,
    });
    expect(own.status, own.text).toBe(200);
    expect(rig.fake.calls).toHaveLength(2);
    expect(rig.fake.calls[1]).toMatchObject({ model: c.model, system: "Reply in two words." });
    expectTemperature(1, 0.5);
  });

  it("answers with DEFAULT_MODEL when the settings name no model", async () => {
    const bare = await rig.token();
    const promptOnly = await rig.token();
    const saved = await api(rig.server, promptOnly.token, "PUT", "/api/v1/me/settings", {
      systemPrompt: "Be formal.",
    });
    expect(saved.status, saved.text).toBe(200);

    for (const { token } of [bare, promptOnly]) {
      const reply = await rig.post<CompletionBody>("/api/v1/completions", token, {
        prompt: uniquePrompt("Hello?"),
      });
      expect(reply.status, reply.text).toBe(200);
      expect(reply.body).toMatchObject({ provider: c.provider, model: c.model });
      expect(reply.headers.get("x-officellm-model")).toBe(c.model);
    }
    expect(rig.fake.calls.map((call) => [call.provider, call.model, call.system])).toEqual([
      [c.provider, c.model, ""],
      [c.provider, c.model, "Be formal."],
    ]);
    expectTemperature(0, undefined);
    expectTemperature(1, undefined);
  });
});
