/**
 * /api/v1/templates over HTTP: create, list, read, change and delete, each token's own; and
 * templates used by id in POST /api/v1/completions and in batch items (demo model), and through
 * the openai and anthropic providers against the fake provider (what reached the model).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { api, parseEvents, type ErrorBody } from "../test/api.ts";
import { startTestServer, type TestServer } from "../test/harness.ts";
import { providerCases, startRig, type CompletionBody, type Rig } from "../test/llm-rig.ts";

interface Template {
  id: string;
  name: string;
  body: string;
  description: string | null;
  systemPrompt: string | null;
  model: string | null;
  variables: string[];
  createdAt: string;
  updatedAt: string;
}

interface Completion {
  text: string;
  model: string;
  usage: { inputTokens: number };
}

type BatchResult =
  | ({ id: string; ok: true } & Completion)
  | { id: string; ok: false; error: { code: string; message: string } };

let server: TestServer;
let owner: string;
let other: string;

beforeAll(async () => {
  server = await startTestServer({
    env: { AUTH_FAILURES_PER_MINUTE: "100000", RATE_LIMIT_RPM: "100000" },
  });
  owner = (await server.token({ name: "owner" })).token;
  other = (await server.token({ name: "other" })).token;
});
afterAll(() => server.close());

async function create(
  body: Record<string, unknown>,
  token = owner,
  on: TestServer = server,
): Promise<Template> {
  const reply = await api<Template>(on, token, "POST", "/api/v1/templates", body);
  expect(reply.status, reply.text).toBe(201);
  return reply.body;
}

const demoInput = (...parts: string[]) => Math.ceil(parts.join("\n").length / 4);

describe("creating templates", () => {
  it("answers 201 with the template, its variables and times", async () => {
    const template = await create({
      name: "  Summary  ",
      body: "Summarise {{ topic }} in {{count}} words; {{topic}} again, {{tone.style}}.",
      description: "Short summaries",
      systemPrompt: "Be concise.",
      model: "demo",
    });
    const now = server.clock.now().toISOString();
    expect(template).toEqual({
      id: expect.stringMatching(/^tpl_[A-Za-z0-9_-]{16}$/),
      name: "Summary",
      body: "Summarise {{ topic }} in {{count}} words; {{topic}} again, {{tone.style}}.",
      description: "Short summaries",
      systemPrompt: "Be concise.",
      model: "demo",
      variables: ["topic", "count", "tone.style"],
      createdAt: now,
      updatedAt: now,
    });
  });

  it("fills the optional fields with null", async () => {
    const template = await create({ name: "Bare", body: "No variables here" });
    expect(template).toMatchObject({
      description: null,
      systemPrompt: null,
      model: null,
      variables: [],
    });
  });

  it("gives each template its own id", async () => {
    const a = await create({ name: "Twin", body: "x" });
    const b = await create({ name: "Twin", body: "x" });
    expect(a.id).not.toBe(b.id);
  });

  const invalid: [string, Record<string, unknown>, string][] = [
    ["no name", { body: "x" }, "body.name"],
    ["a blank name", { name: "   ", body: "x" }, "body.name"],
    ["no body", { name: "n" }, "body.body"],
    ["an empty body", { name: "n", body: "" }, "body.body"],
    ["an unknown model", { name: "n", body: "x", model: "nope-1" }, "body.model"],
    ["an unknown field", { name: "n", body: "x", variables: ["a"] }, "body.variables"],
  ];
  for (const [label, body, path] of invalid) {
    it(`refuses ${label} with 400 naming ${path}`, async () => {
      const reply = await api<ErrorBody>(server, owner, "POST", "/api/v1/templates", body);
      expect(reply.status).toBe(400);
      expect(reply.body.error.code).toBe(
        path === "body.model" ? "unknown_model" : "invalid_request",
      );
      expect(reply.body.error.details?.map((d) => d.path)).toContain(path);
    });
  }
});

describe("reading, changing and deleting", () => {
  it("lists the caller's templates by name, and reads one", async () => {
    const token = (await server.token()).token;
    const b = await create({ name: "beta", body: "b" }, token);
    const a = await create({ name: "alpha", body: "a {{x}}" }, token);
    const list = await api<{ templates: Template[] }>(server, token, "GET", "/api/v1/templates");
    expect(list.status).toBe(200);
    expect(list.body.templates).toEqual([a, b]);
    const one = await api<Template>(server, token, "GET", `/api/v1/templates/${a.id}`);
    expect(one.status).toBe(200);
    expect(one.body).toEqual(a);
  });

  it("changes only the fields sent, clears with null and moves updatedAt", async () => {
    const template = await create({
      name: "Patch me",
      body: "Hello {{name}}",
      description: "greeting",
      systemPrompt: "Be warm.",
    });
    server.clock.advance(60_000);
    const reply = await api<Template>(server, owner, "PATCH", `/api/v1/templates/${template.id}`, {
      body: "Goodbye {{name}} from {{place}}",
      description: null,
    });
    expect(reply.status, reply.text).toBe(200);
    expect(reply.body).toEqual({
      ...template,
      body: "Goodbye {{name}} from {{place}}",
      description: null,
      variables: ["name", "place"],
      updatedAt: server.clock.now().toISOString(),
    });
    const read = await api<Template>(server, owner, "GET", `/api/v1/templates/${template.id}`);
    expect(read.body).toEqual(reply.body);
  });

  it("refuses an empty change, an unknown model or null for a required field", async () => {
    const template = await create({ name: "Strict", body: "x" });
    for (const [body, path] of [
      [{}, "body"],
      [{ model: "nope-2" }, "body.model"],
      [{ name: null }, "body.name"],
      [{ body: null }, "body.body"],
    ] as const) {
      const reply = await api<ErrorBody>(
        server,
        owner,
        "PATCH",
        `/api/v1/templates/${template.id}`,
        body,
      );
      expect(reply.status, JSON.stringify(body)).toBe(400);
      expect(reply.body.error.details?.map((d) => d.path)).toContain(path);
    }
  });

  it("deletes with 204 and no body; then the template is gone", async () => {
    const template = await create({ name: "Doomed", body: "x" });
    const reply = await api(server, owner, "DELETE", `/api/v1/templates/${template.id}`);
    expect(reply.status).toBe(204);
    expect(reply.text).toBe("");
    expect((await api(server, owner, "GET", `/api/v1/templates/${template.id}`)).status).toBe(404);
    expect((await api(server, owner, "DELETE", `/api/v1/templates/${template.id}`)).status).toBe(
      404,
    );
  });

  it("answers 404 naming the id for a template that does not exist", async () => {
    const reply = await api<ErrorBody>(server, owner, "GET", "/api/v1/templates/tpl_missing");
    expect(reply.status).toBe(404);
    expect(reply.body.error).toMatchObject({ code: "not_found" });
    expect(reply.body.error.message).toContain("tpl_missing");
  });
});

describe("ownership", () => {
  it("hides a template from every other token: 404 to read, change, delete or use", async () => {
    const template = await create({ name: "Mine", body: "Private {{x}}" });
    const path = `/api/v1/templates/${template.id}`;
    expect((await api(server, other, "GET", path)).status).toBe(404);
    expect((await api(server, other, "PATCH", path, { name: "Stolen" })).status).toBe(404);
    expect((await api(server, other, "DELETE", path)).status).toBe(404);
    const list = await api<{ templates: Template[] }>(server, other, "GET", "/api/v1/templates");
    expect(list.body.templates.map((t) => t.id)).not.toContain(template.id);
    const use = await api<ErrorBody>(server, other, "POST", "/api/v1/completions", {
      templateId: template.id,
      variables: { x: 1 },
    });
    expect(use.status).toBe(404);
    expect(use.body.error.code).toBe("not_found");

    // Still there, unchanged, for its owner.
    const mine = await api<Template>(server, owner, "GET", path);
    expect(mine.status).toBe(200);
    expect(mine.body).toEqual(template);
  });
});

describe("using templates in completions", () => {
  it("renders the variables into the prompt and applies the template's system prompt", async () => {
    const system = "You are a financial analyst. ".repeat(4);
    const template = await create({
      name: "Explain",
      body: "Explain {{metric}} for {{ year }} in {{words}} words.",
      systemPrompt: system,
      model: "demo",
    });
    const reply = await api<Completion>(server, owner, "POST", "/api/v1/completions", {
      templateId: template.id,
      variables: { metric: "EBITDA", year: 2026, words: 50 },
    });
    expect(reply.status, reply.text).toBe(200);
    const rendered = "Explain EBITDA for 2026 in 50 words.";
    expect(reply.body.text).toContain(`You asked: "${rendered}"`);
    expect(reply.body.model).toBe("demo");
    expect(reply.body.usage.inputTokens).toBe(demoInput(system, rendered));

    // The request's own system prompt wins over the template's.
    const own = await api<Completion>(server, owner, "POST", "/api/v1/completions", {
      templateId: template.id,
      variables: { metric: "EBITDA", year: 2026, words: 50 },
      system: "Short.",
    });
    expect(own.body.usage.inputTokens).toBe(demoInput("Short.", rendered));
  });

  it("streams a templated completion too", async () => {
    const template = await create({ name: "Stream", body: "Stream about {{thing}}" });
    const response = await server.fetch("/api/v1/completions", {
      method: "POST",
      token: owner,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        templateId: template.id,
        variables: { thing: "rivers" },
        stream: true,
      }),
    });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain("Stream about rivers");
  });

  it("refuses missing variables with 400 naming each of them", async () => {
    const template = await create({ name: "Needs", body: "{{a}} and {{b}} and {{c}}" });
    const reply = await api<ErrorBody>(server, owner, "POST", "/api/v1/completions", {
      templateId: template.id,
      variables: { b: "x" },
    });
    expect(reply.status).toBe(400);
    expect(reply.body.error.code).toBe("invalid_request");
    expect(reply.body.error.message).toBe("Missing template variables: a, c");
    expect(reply.body.error.details?.map((d) => d.path)).toEqual([
      "body.variables.a",
      "body.variables.c",
    ]);
    const none = await api<ErrorBody>(server, owner, "POST", "/api/v1/completions", {
      templateId: template.id,
    });
    expect(none.body.error.message).toBe("Missing template variables: a, b, c");
  });

  it("refuses a template together with a prompt", async () => {
    const template = await create({ name: "Either", body: "x" });
    const reply = await api<ErrorBody>(server, owner, "POST", "/api/v1/completions", {
      templateId: template.id,
      prompt: "y",
    });
    expect(reply.status).toBe(400);
  });

  it("counts only the caller's own variables: {{constructor}} and its kind are missing unless sent", async () => {
    const template = await create({
      name: "Object members",
      body: "{{constructor}} {{toString}} {{__proto__}} {{hasOwnProperty}}",
    });
    const reply = await api<ErrorBody>(server, owner, "POST", "/api/v1/completions", {
      templateId: template.id,
      variables: {},
    });
    expect(reply.status, reply.text).toBe(400);
    expect(reply.body.error.code).toBe("invalid_request");
    expect(reply.body.error.message).toBe(
      "Missing template variables: constructor, toString, __proto__, hasOwnProperty",
    );

    const sent = await create({ name: "Sent", body: "{{constructor}} {{toString}}" });
    const filled = await api<Completion>(server, owner, "POST", "/api/v1/completions", {
      templateId: sent.id,
      variables: { constructor: "built", toString: "said" },
    });
    expect(filled.status, filled.text).toBe(200);
    expect(filled.body.text).toContain('"built said"');
    expect(filled.body.text).not.toMatch(/native code|function/);
  });

  it("renders each batch item alone: a missing variable fails only its item", async () => {
    const template = await create({ name: "Batch", body: "Classify {{item}} as {{labels}}" });
    const reply = await api<{ results: BatchResult[] }>(server, owner, "POST", "/api/v1/batch", {
      items: [
        { id: "apple", templateId: template.id, variables: { item: "apple", labels: "fruit/veg" } },
        { id: "broken", templateId: template.id, variables: { item: "carrot" } },
        { id: "empty", templateId: template.id },
        { id: "plain", prompt: "No template here" },
        { id: "foreign", templateId: "tpl_unknown", variables: {} },
      ],
    });
    expect(reply.status, reply.text).toBe(200);
    const [apple, broken, empty, plain, foreign] = reply.body.results;
    expect(apple).toMatchObject({ id: "apple", ok: true });
    expect((apple as { text: string }).text).toContain('"Classify apple as fruit/veg"');
    expect(broken).toEqual({
      id: "broken",
      ok: false,
      error: { code: "invalid_request", message: "Missing template variables: labels" },
    });
    expect(empty).toMatchObject({
      ok: false,
      error: { code: "invalid_request", message: "Missing template variables: item, labels" },
    });
    expect(plain).toMatchObject({ id: "plain", ok: true });
    expect(foreign).toMatchObject({ ok: false, error: { code: "not_found" } });
  });
});

describe("bounds: TEMPLATE_MAX_BYTES=1kb, BODY_LIMIT=64kb", () => {
  let small: TestServer;
  let token: string;
  beforeAll(async () => {
    small = await startTestServer({
      env: { TEMPLATE_MAX_BYTES: "1kb", BODY_LIMIT: "64kb", RATE_LIMIT_RPM: "100000" },
    });
    token = (await small.token()).token;
  });
  afterAll(() => small.close());

  it("refuses a template text over TEMPLATE_MAX_BYTES, counted in bytes, on create and change", async () => {
    // 600 characters, 1,200 bytes.
    const accented = "é".repeat(600);
    const refused = await api<ErrorBody>(small, token, "POST", "/api/v1/templates", {
      name: "Too long",
      body: accented,
    });
    expect(refused.status, refused.text).toBe(400);
    expect(refused.body.error.details).toEqual([
      { path: "body.body", message: "must be at most 1024 bytes" },
    ]);

    const template = await create({ name: "Fits", body: "x".repeat(1024) }, token, small);
    const change = await api<ErrorBody>(small, token, "PATCH", `/api/v1/templates/${template.id}`, {
      body: accented,
    });
    expect(change.status, change.text).toBe(400);
    expect(change.body.error.details?.map((d) => d.path)).toEqual(["body.body"]);
  });

  it("refuses with 400 a template whose filled text would be larger than BODY_LIMIT", async () => {
    const template = await create({ name: "Repeats", body: "{{v}} ".repeat(150) }, token, small);
    const value = "x".repeat(1000);
    const reply = await api<ErrorBody>(small, token, "POST", "/api/v1/completions", {
      templateId: template.id,
      variables: { v: value },
    });
    expect(reply.status, reply.text).toBe(400);
    expect(reply.body.error.code).toBe("invalid_request");
    expect(reply.body.error.message).toBe(
      "The filled template would be 150150 bytes; at most 65536 are allowed",
    );

    const fits = await api<Completion>(small, token, "POST", "/api/v1/completions", {
      templateId: template.id,
      variables: { v: "x".repeat(400) },
    });
    expect(fits.status, fits.text).toBe(200);
  });
});

describe("templates through openai and anthropic (official SDKs)", () => {
  let rig: Rig;
  let token: string;

  beforeAll(async () => {
    rig = await startRig();
    token = (await rig.token()).token;
  });
  afterAll(() => rig.close());
  beforeEach(() => rig.fake.reset());

  describe.each(providerCases)("with $provider ($model)", (c) => {
    it("sends the rendered prompt and the template's system prompt to the template's model", async () => {
      const system = "You are a financial analyst.";
      const template = await create(
        {
          name: "Explain",
          body: "Explain {{metric}} for {{ year }} in {{words}} words.",
          systemPrompt: system,
          model: c.model,
        },
        token,
        rig.server,
      );
      const variables = { metric: "EBITDA", year: 2026, words: 50 };
      const rendered = "Explain EBITDA for 2026 in 50 words.";
      const reply = await rig.post<CompletionBody>("/api/v1/completions", token, {
        templateId: template.id,
        variables,
      });
      expect(reply.status, reply.text).toBe(200);
      expect(reply.body).toMatchObject({
        provider: c.provider,
        model: c.model,
        text: `echo: ${rendered}`,
      });
      expect(rig.fake.calls).toHaveLength(1);
      expect(rig.fake.calls[0]).toMatchObject({
        provider: c.provider,
        model: c.model,
        system,
        messages: [{ role: "user", content: rendered }],
        stream: false,
      });

      // Streamed, the same rendered prompt goes up.
      const streamed = await rig.post("/api/v1/completions", token, {
        templateId: template.id,
        variables,
        stream: true,
      });
      expect(streamed.status, streamed.text).toBe(200);
      expect(parseEvents(streamed.text).at(-1)).toMatchObject({
        event: "done",
        data: { text: `echo: ${rendered}` },
      });
      expect(rig.fake.calls).toHaveLength(2);
      expect(rig.fake.calls[1]).toMatchObject({
        model: c.model,
        system,
        messages: [{ role: "user", content: rendered }],
        stream: true,
      });
    });

    it("refuses missing variables with 400 naming each of them, and calls no provider", async () => {
      const template = await create(
        { name: "Needs", body: "{{a}} and {{b}} and {{c}}", model: c.model },
        token,
        rig.server,
      );
      for (const stream of [false, true]) {
        const reply = await rig.post<ErrorBody>("/api/v1/completions", token, {
          templateId: template.id,
          variables: { b: "x" },
          stream,
        });
        expect(reply.status, reply.text).toBe(400);
        expect(reply.body.error.code).toBe("invalid_request");
        expect(reply.body.error.message).toBe("Missing template variables: a, c");
        expect(reply.body.error.details?.map((d) => d.path)).toEqual([
          "body.variables.a",
          "body.variables.c",
        ]);
      }
      expect(rig.fake.requests).toEqual([]);
    });
  });
});
