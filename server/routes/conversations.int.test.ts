/**
 * /api/v1/conversations over HTTP: create, list, read, delete, each token's own; appending
 * messages, plain and streamed, with the history fitted to the model's context window. The demo
 * model (32,768-token window, 4,096 output) answers by quoting the last user message and counts
 * its input as the system prompt and messages joined by newlines, / 4; the fake provider shows
 * exactly which messages reached the model, behind the openai-compatible adapter and behind the
 * openai and anthropic providers with their official SDKs.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { catalog } from "../llm/providers/catalog.ts";
import { MESSAGE_OVERHEAD_TOKENS, messageTokens } from "../llm/request/fit-history.ts";
import { api, parseEvents, type ErrorBody } from "../test/api.ts";
import { fakeTokenCount, startFakeProvider, type FakeProvider } from "../test/fake-provider.ts";
import { startTestServer, type TestServer } from "../test/harness.ts";
import { providerCases, startRig, type Rig } from "../test/llm-rig.ts";

interface Conversation {
  id: string;
  title: string;
  model: string | null;
  systemPrompt: string | null;
  createdAt: string;
  updatedAt: string;
}

interface Message {
  id: string;
  role: "user" | "assistant";
  content: string;
  createdAt: string;
}

interface Completion {
  id: string;
  model: string;
  provider: string;
  text: string;
  usage: { inputTokens: number; outputTokens: number; costUsd: number };
  cached: boolean;
  latencyMs: number;
}

interface Appended {
  message: Message;
  completion: Completion;
  history: { sent: number; dropped: number };
}

const env = { AUTH_FAILURES_PER_MINUTE: "100000", RATE_LIMIT_RPM: "100000" };
const demoInput = (...parts: string[]) => Math.ceil(parts.join("\n").length / 4);

async function start(server: TestServer, token: string, body: object = {}) {
  const reply = await api<Conversation>(server, token, "POST", "/api/v1/conversations", body);
  expect(reply.status, reply.text).toBe(201);
  return reply.body;
}

function send(server: TestServer, token: string, id: string, body: object) {
  return api<Appended>(server, token, "POST", `/api/v1/conversations/${id}/messages`, body);
}

async function read(server: TestServer, token: string, id: string) {
  const reply = await api<Conversation & { messages: Message[] }>(
    server,
    token,
    "GET",
    `/api/v1/conversations/${id}`,
  );
  expect(reply.status, reply.text).toBe(200);
  return reply.body;
}

describe("conversations with the demo model", () => {
  let server: TestServer;
  let owner: { id: string; token: string };
  let other: string;

  beforeAll(async () => {
    server = await startTestServer({ env });
    owner = await server.token({ name: "owner" });
    other = (await server.token({ name: "other" })).token;
  });
  afterAll(() => server.close());

  describe("creating, listing and reading", () => {
    it("creates one with defaults, or with a title, model and system prompt", async () => {
      const now = server.clock.now().toISOString();
      const bare = await start(server, owner.token);
      expect(bare).toEqual({
        id: expect.stringMatching(/^conv_[A-Za-z0-9_-]{16}$/),
        title: "New conversation",
        model: null,
        systemPrompt: null,
        createdAt: now,
        updatedAt: now,
      });
      const full = await start(server, owner.token, {
        title: "  Budget 2027 ",
        model: "demo",
        systemPrompt: "You are a CFO.",
      });
      expect(full).toMatchObject({
        title: "Budget 2027",
        model: "demo",
        systemPrompt: "You are a CFO.",
      });
      expect(await read(server, owner.token, full.id)).toEqual({ ...full, messages: [] });
    });

    it("refuses an unknown model, a blank title or an unknown field with 400", async () => {
      for (const [body, path] of [
        [{ model: "nope-3" }, "body.model"],
        [{ title: " " }, "body.title"],
        [{ messages: [] }, "body.messages"],
      ] as const) {
        const reply = await api<ErrorBody>(
          server,
          owner.token,
          "POST",
          "/api/v1/conversations",
          body,
        );
        expect(reply.status, JSON.stringify(body)).toBe(400);
        expect(reply.body.error.details?.map((d) => d.path)).toContain(path);
      }
    });

    it("lists the most recently active first, up to limit", async () => {
      const token = (await server.token()).token;
      const first = await start(server, token, { title: "first" });
      server.clock.advance(1000);
      const second = await start(server, token, { title: "second" });
      server.clock.advance(1000);
      const third = await start(server, token, { title: "third" });
      server.clock.advance(1000);
      const listing = async (query = "") =>
        (
          await api<{ conversations: Conversation[] }>(
            server,
            token,
            "GET",
            `/api/v1/conversations${query}`,
          )
        ).body.conversations;
      const list = async (query = "") => (await listing(query)).map((c) => c.title);
      expect(await list()).toEqual(["third", "second", "first"]);
      // A new message makes a conversation the most recent.
      expect((await send(server, token, first.id, { content: "bump" })).status).toBe(200);
      expect(await list()).toEqual(["first", "third", "second"]);
      expect(await list("?limit=2")).toEqual(["first", "third"]);
      // Each has an id of its own, in the documented form, which the list answers with.
      const ids = [first.id, second.id, third.id];
      for (const id of ids) expect(id).toMatch(/^conv_[A-Za-z0-9_-]{16}$/);
      expect(new Set(ids).size).toBe(3);
      expect((await listing()).map((c) => c.id)).toEqual([first.id, third.id, second.id]);
      expect((await read(server, token, second.id)).title).toBe("second");
      for (const bad of ["?limit=0", "?limit=201", "?limit=two"]) {
        expect((await api(server, token, "GET", `/api/v1/conversations${bad}`)).status, bad).toBe(
          400,
        );
      }
    });
  });

  describe("appending messages", () => {
    it("stores the user message and the reply, and answers with both the reply and the completion", async () => {
      const conversation = await start(server, owner.token);
      server.clock.advance(1000);
      const reply = await send(server, owner.token, conversation.id, {
        content: "What is 2 + 2?\nShow your work.",
      });
      expect(reply.status, reply.text).toBe(200);
      const answer = '[demo] You asked: "What is 2 + 2? Show your work.".';
      expect(reply.body.message).toEqual({
        id: expect.stringMatching(/^msg_/),
        role: "assistant",
        content: expect.stringContaining(answer),
        createdAt: server.clock.now().toISOString(),
      });
      expect(reply.body.completion).toMatchObject({
        id: expect.stringMatching(/^cmpl_/),
        model: "demo",
        provider: "demo",
        text: reply.body.message.content,
        cached: false,
      });
      expect(reply.body.completion.usage.inputTokens).toBe(
        demoInput("What is 2 + 2?\nShow your work."),
      );
      expect(reply.body.history).toEqual({ sent: 1, dropped: 0 });
      expect(reply.headers.get("x-officellm-model")).toBe("demo");
      expect(reply.headers.get("x-officellm-history-dropped")).toBe("0");

      const stored = await read(server, owner.token, conversation.id);
      // The first message names an untitled conversation.
      expect(stored.title).toBe("What is 2 + 2?");
      expect(stored.updatedAt).toBe(server.clock.now().toISOString());
      expect(stored.messages.map((m) => [m.role, m.content])).toEqual([
        ["user", "What is 2 + 2?\nShow your work."],
        ["assistant", reply.body.message.content],
      ]);
      expect(stored.messages[1]!.id).toBe(reply.body.message.id);
    });

    it("sends the whole history, with the conversation's system prompt, on each turn", async () => {
      const system = "You are a careful accountant.";
      const conversation = await start(server, owner.token, {
        title: "Kept",
        systemPrompt: system,
      });
      const first = await send(server, owner.token, conversation.id, { content: "First question" });
      const second = await send(server, owner.token, conversation.id, {
        content: "Second question",
      });
      expect(second.status, second.text).toBe(200);
      expect(second.body.history).toEqual({ sent: 3, dropped: 0 });
      expect(second.body.message.content).toContain('You asked: "Second question"');
      expect(second.body.completion.usage.inputTokens).toBe(
        demoInput(system, "First question", first.body.message.content, "Second question"),
      );
      // A title given at creation stays.
      expect((await read(server, owner.token, conversation.id)).title).toBe("Kept");

      const rows = await server.store.usage.listForToken(owner.id);
      expect(rows.at(-1)!.input_tokens).toBe(second.body.completion.usage.inputTokens);
    });

    it("drops the oldest turns when the history outgrows the context window", async () => {
      const conversation = await start(server, owner.token);
      // 25,000 tokens of 28,672 usable (32,768 less 4,096 kept for the answer).
      const long = "A".repeat(100_000);
      const first = await send(server, owner.token, conversation.id, { content: long });
      expect(first.status, first.text).toBe(200);
      expect(first.body.completion.usage.inputTokens).toBe(25_000);

      // 4,000 more tokens do not fit beside it: the long turn and its answer are left out.
      const next = "B".repeat(16_000);
      const second = await send(server, owner.token, conversation.id, { content: next });
      expect(second.status, second.text).toBe(200);
      expect(second.body.history).toEqual({ sent: 1, dropped: 2 });
      expect(second.headers.get("x-officellm-history-dropped")).toBe("2");
      expect(second.body.completion.usage.inputTokens).toBe(4_000);
      const rows = await server.store.usage.listForToken(owner.id);
      expect(rows.at(-1)!.input_tokens).toBe(4_000);

      // With less room kept for the answer, the whole history fits again.
      const third = await send(server, owner.token, conversation.id, {
        content: "short",
        maxTokens: 100,
      });
      expect(third.status, third.text).toBe(200);
      expect(third.body.history).toEqual({ sent: 5, dropped: 0 });
      const stored = await read(server, owner.token, conversation.id);
      expect(third.body.completion.usage.inputTokens).toBe(
        demoInput(...stored.messages.slice(0, 5).map((m) => m.content)),
      );

      // Nothing was deleted: every turn is still in the conversation.
      expect(stored.messages.map((m) => m.role)).toEqual([
        "user",
        "assistant",
        "user",
        "assistant",
        "user",
        "assistant",
      ]);
      expect(stored.messages[0]!.content).toBe(long);
    });

    it("refuses a message too long for the model on its own with 400, storing nothing", async () => {
      const conversation = await start(server, owner.token);
      await send(server, owner.token, conversation.id, { content: "hello" });
      const reply = await api<ErrorBody>(
        server,
        owner.token,
        "POST",
        `/api/v1/conversations/${conversation.id}/messages`,
        { content: "C".repeat(120_000) },
      );
      expect(reply.status).toBe(400);
      expect(reply.body.error.message).toMatch(/context window of 32768 tokens/);
      expect(reply.body.error.details?.[0]?.path).toBe("body.content");
      expect((await read(server, owner.token, conversation.id)).messages).toHaveLength(2);
    });

    it("refuses an empty message, an unknown model or a bad temperature with 400, storing nothing", async () => {
      const conversation = await start(server, owner.token);
      for (const [body, path] of [
        [{ content: "" }, "body.content"],
        [{}, "body.content"],
        [{ content: "x", model: "nope-4" }, "body.model"],
        [{ content: "x", temperature: 3 }, "body.temperature"],
        [{ content: "x", role: "system" }, "body.role"],
      ] as const) {
        const reply = await send(server, owner.token, conversation.id, body);
        expect(reply.status, JSON.stringify(body)).toBe(400);
        expect((reply.body as unknown as ErrorBody).error.details?.map((d) => d.path)).toContain(
          path,
        );
      }
      expect((await read(server, owner.token, conversation.id)).messages).toEqual([]);
    });

    it("keeps the user message when the model call fails", async () => {
      const capped = await server.token({ budgetUsd: 1 });
      const conversation = await start(server, capped.token);
      await server.store.usage.record({
        id: "spent-it-all",
        token_id: capped.id,
        request_id: "req",
        provider: "openai",
        model: "gpt-x",
        key_label: null,
        input_tokens: 1,
        output_tokens: 1,
        cost_nano_usd: 2_000_000_000,
        cached: 0,
        latency_ms: 1,
        status: "ok",
        error_code: null,
        created_at: server.clock.now().toISOString(),
      });
      const reply = await send(server, capped.token, conversation.id, { content: "Still here?" });
      expect(reply.status).toBe(429);
      expect((reply.body as unknown as ErrorBody).error.code).toBe("budget_exceeded");
      const streamed = await send(server, capped.token, conversation.id, {
        content: "And now?",
        stream: true,
      });
      expect(streamed.status).toBe(429);
      const stored = await read(server, capped.token, conversation.id);
      expect(stored.messages.map((m) => [m.role, m.content])).toEqual([
        ["user", "Still here?"],
        ["user", "And now?"],
      ]);
    });

    it("streams the reply like POST /api/v1/completions and stores it when the stream ends", async () => {
      const conversation = await start(server, owner.token, { title: "Streamed" });
      await send(server, owner.token, conversation.id, { content: "Earlier turn" });
      const response = await server.fetch(`/api/v1/conversations/${conversation.id}/messages`, {
        method: "POST",
        token: owner.token,
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ content: "Tell me a story", stream: true }),
      });
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
      expect(response.headers.get("x-officellm-model")).toBe("demo");
      expect(response.headers.get("x-officellm-history-dropped")).toBe("0");
      const events = parseEvents(await response.text());
      const deltas = events.filter((e) => e.event === "delta");
      expect(deltas.length).toBeGreaterThan(1);
      expect(events.at(-1)!.event).toBe("done");
      expect(events.filter((e) => e.event !== "delta")).toHaveLength(1);
      const done = events.at(-1)!.data as Completion & Pick<Appended, "message" | "history">;
      const text = deltas.map((e) => (e.data as { text: string }).text).join("");
      expect(done.text).toBe(text);
      expect(text).toContain('You asked: "Tell me a story"');
      expect(done).toMatchObject({ model: "demo", provider: "demo", cached: false });
      expect(done.message).toMatchObject({ role: "assistant", content: text });
      expect(done.history).toEqual({ sent: 3, dropped: 0 });

      const stored = await read(server, owner.token, conversation.id);
      expect(stored.messages.map((m) => m.role)).toEqual([
        "user",
        "assistant",
        "user",
        "assistant",
      ]);
      expect(stored.messages.at(-1)).toEqual(done.message);
    });
  });

  describe("deleting and ownership", () => {
    it("deletes with 204, with its messages", async () => {
      const conversation = await start(server, owner.token);
      await send(server, owner.token, conversation.id, { content: "to be forgotten" });
      const reply = await api(
        server,
        owner.token,
        "DELETE",
        `/api/v1/conversations/${conversation.id}`,
      );
      expect(reply.status).toBe(204);
      expect(reply.text).toBe("");
      expect(
        (await api(server, owner.token, "GET", `/api/v1/conversations/${conversation.id}`)).status,
      ).toBe(404);
      expect(await server.store.conversations.messages(conversation.id)).toEqual([]);
      expect(
        (await api(server, owner.token, "DELETE", `/api/v1/conversations/${conversation.id}`))
          .status,
      ).toBe(404);
      expect((await send(server, owner.token, conversation.id, { content: "hi" })).status).toBe(
        404,
      );
    });

    it("hides a conversation from every other token", async () => {
      const conversation = await start(server, owner.token, { title: "Private" });
      await send(server, owner.token, conversation.id, { content: "secret plans" });
      const path = `/api/v1/conversations/${conversation.id}`;
      const reading = await api<ErrorBody>(server, other, "GET", path);
      expect(reading.status).toBe(404);
      expect(reading.body.error.code).toBe("not_found");
      expect((await send(server, other, conversation.id, { content: "let me in" })).status).toBe(
        404,
      );
      expect((await api(server, other, "DELETE", path)).status).toBe(404);
      const list = await api<{ conversations: Conversation[] }>(
        server,
        other,
        "GET",
        "/api/v1/conversations",
      );
      expect(list.body.conversations.map((c) => c.id)).not.toContain(conversation.id);
      expect((await read(server, owner.token, conversation.id)).messages).toHaveLength(2);
    });
  });
});

describe("a conversation's length", () => {
  let server: TestServer;
  let token: string;

  beforeAll(async () => {
    server = await startTestServer({ env: { ...env, CONVERSATION_MAX_MESSAGES: "4" } });
    token = (await server.token()).token;
  });
  afterAll(() => server.close());

  it("refuses a message that, with its reply, would pass CONVERSATION_MAX_MESSAGES, storing nothing", async () => {
    const { id } = await start(server, token);
    for (const content of ["one", "two"]) {
      const reply = await send(server, token, id, { content });
      expect(reply.status, reply.text).toBe(200);
    }
    const refused = await api<ErrorBody>(
      server,
      token,
      "POST",
      `/api/v1/conversations/${id}/messages`,
      { content: "three" },
    );
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe("invalid_request");
    expect(refused.body.error.message).toMatch(/holds 4 messages and may hold 4/);
    expect((await read(server, token, id)).messages.map((m) => m.content)).toEqual([
      "one",
      expect.stringContaining("one"),
      "two",
      expect.stringContaining("two"),
    ]);
  });
});

describe("conversations through a provider", () => {
  let fake: FakeProvider;
  let server: TestServer;
  let token: string;

  beforeAll(async () => {
    fake = await startFakeProvider();
    server = await startTestServer({
      env: {
        ...env,
        LLM_MAX_RETRIES: "0",
        OPENAI_COMPATIBLE_BASE_URL: fake.openaiBaseUrl,
        OPENAI_COMPATIBLE_MODELS: "local-a,local-b",
      },
    });
    token = (await server.token()).token;
  });
  afterAll(async () => {
    await server.close();
    await fake.close();
  });

  it("sends the history in order, with the conversation's model and system prompt", async () => {
    const conversation = await start(server, token, {
      model: "local-b",
      systemPrompt: "Answer as a pirate.",
    });
    fake.reset();
    const first = await send(server, token, conversation.id, { content: "Where is the gold?" });
    expect(first.body.message.content).toBe("echo: Where is the gold?");
    await send(server, token, conversation.id, { content: "And the map?", temperature: 0.2 });
    expect(fake.calls).toHaveLength(2);
    expect(fake.calls[1]).toMatchObject({
      model: "local-b",
      system: "Answer as a pirate.",
      messages: [
        { role: "user", content: "Where is the gold?" },
        { role: "assistant", content: "echo: Where is the gold?" },
        { role: "user", content: "And the map?" },
      ],
    });
    expect((fake.calls[1]!.request.body as { temperature?: number }).temperature).toBe(0.2);

    // A message may name another model for itself only.
    await send(server, token, conversation.id, { content: "Once more", model: "local-a" });
    expect(fake.calls[2]!.model).toBe("local-a");
    expect(fake.calls[2]!.messages).toHaveLength(5);
    await send(server, token, conversation.id, { content: "Last" });
    expect(fake.calls[3]!.model).toBe("local-b");
  });

  it("falls back to the caller's settings for model and system prompt", async () => {
    const own = (await server.token()).token;
    await api(server, own, "PUT", "/api/v1/me/settings", {
      model: "local-b",
      systemPrompt: "From settings.",
    });
    const conversation = await start(server, own);
    fake.reset();
    const reply = await send(server, own, conversation.id, { content: "Hi" });
    expect(reply.body.completion.model).toBe("local-b");
    expect(fake.calls[0]).toMatchObject({ model: "local-b", system: "From settings." });
  });

  it("stores no reply when the stream breaks, but keeps the user message", async () => {
    const conversation = await start(server, token);
    fake.enqueue({ cutStreamAfterChunks: 1 });
    const response = await server.fetch(`/api/v1/conversations/${conversation.id}/messages`, {
      method: "POST",
      token,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ content: "Break please", stream: true }),
    });
    expect(response.status).toBe(200);
    const events = parseEvents(await response.text());
    expect(events.at(-1)!.event).toBe("error");
    expect((events.at(-1)!.data as ErrorBody).error.code).toMatch(/^upstream_/);
    const stored = await read(server, token, conversation.id);
    expect(stored.messages.map((m) => [m.role, m.content])).toEqual([["user", "Break please"]]);
  });

  it("keeps the user message when the provider refuses the call", async () => {
    const conversation = await start(server, token);
    fake.enqueue({ status: 400, message: "bad request upstream" });
    const reply = await api<ErrorBody>(
      server,
      token,
      "POST",
      `/api/v1/conversations/${conversation.id}/messages`,
      { content: "Refused" },
    );
    expect(reply.status, reply.text).toBe(502);
    expect(reply.body.error.code).toBe("upstream_error");
    expect(reply.body.error.message).toContain("bad request upstream");
    const stored = await read(server, token, conversation.id);
    expect(stored.messages.map((m) => m.content)).toEqual(["Refused"]);
    // The next turn carries on after it.
    const next = await send(server, token, conversation.id, { content: "Try again" });
    expect(next.status, next.text).toBe(200);
    expect(next.body.history).toEqual({ sent: 2, dropped: 0 });
  });
});

describe("conversations through openai and anthropic (official SDKs)", () => {
  let rig: Rig;
  let token: string;
  const answer = "Noted.";

  beforeAll(async () => {
    rig = await startRig();
    token = (await rig.token()).token;
  });
  afterAll(() => rig.close());
  beforeEach(() => {
    rig.fake.reset();
    rig.fake.setResponder(() => ({ text: answer }));
  });

  /** Messages as role, length and first letter: the texts are too long to compare in a diff. */
  const digest = (messages: { role: string; content: string }[]) =>
    messages.map((m) => `${m.role} ${m.content.length}×${m.content.slice(0, 1)}`);

  describe.each(providerCases)("with $provider", (c) => {
    // The provider's catalog chat model with the smallest context window.
    const model = catalog
      .filter((m) => m.provider === c.provider && m.kind !== "embedding")
      .reduce((smallest, m) => (m.contextWindow < smallest.contextWindow ? m : smallest));

    it(`sends upstream the newest turns that fill ${model.id}'s context window, the oldest dropped`, async () => {
      const system = "You are a careful accountant.";
      const conversation = await start(rig.server, token, {
        model: model.id,
        systemPrompt: system,
      });
      const maxTokens = 1000;
      // Room for the history: the window, less the answer's room and the system prompt.
      const room = model.contextWindow - maxTokens - messageTokens({ content: system });
      const sized = (letter: string, tokens: number) =>
        letter.repeat((tokens - MESSAGE_OVERHEAD_TOKENS) * 4);
      const oldest = sized("A", Math.floor(room * 0.45));
      const older = sized("B", Math.floor(room * 0.45));
      // With the turn before it and that turn's answer, the newest fills the room exactly.
      const newest = sized(
        "C",
        room - messageTokens({ content: older }) - messageTokens({ content: answer }),
      );

      for (const content of [oldest, older]) {
        const reply = await send(rig.server, token, conversation.id, { content, maxTokens });
        expect(reply.status, reply.text.slice(0, 500)).toBe(200);
        expect(reply.body.history.dropped).toBe(0);
      }
      const last = await send(rig.server, token, conversation.id, { content: newest, maxTokens });
      expect(last.status, last.text.slice(0, 500)).toBe(200);
      expect(last.body.history).toEqual({ sent: 3, dropped: 2 });
      expect(last.headers.get("x-officellm-history-dropped")).toBe("2");
      expect(last.body.completion).toMatchObject({
        provider: c.provider,
        model: model.id,
        text: answer,
      });

      // What the provider received: the system prompt and the newest turns only, in order.
      expect(rig.fake.calls).toHaveLength(3);
      expect(rig.fake.calls.map((call) => call.provider)).toEqual([
        c.provider,
        c.provider,
        c.provider,
      ]);
      expect(digest(rig.fake.calls[1]!.messages)).toEqual(
        digest([
          { role: "user", content: oldest },
          { role: "assistant", content: answer },
          { role: "user", content: older },
        ]),
      );
      const sent = rig.fake.calls[2]!;
      expect(sent).toMatchObject({ model: model.id, system, maxTokens });
      expect(digest(sent.messages)).toEqual(
        digest([
          { role: "user", content: older },
          { role: "assistant", content: answer },
          { role: "user", content: newest },
        ]),
      );
      expect(last.body.completion.usage.inputTokens).toBe(
        fakeTokenCount(system + older + answer + newest),
      );

      // Nothing was deleted from the conversation.
      const stored = await read(rig.server, token, conversation.id);
      expect(digest(stored.messages)).toEqual(
        digest(
          [oldest, answer, older, answer, newest, answer].map((content, index) => ({
            role: index % 2 === 0 ? "user" : "assistant",
            content,
          })),
        ),
      );
    });
  });
});
