/**
 * Function calling through /v1/chat/completions with the official `openai` client: OpenAI's
 * fields passed through to OpenAI, translated to and from Anthropic's tool_use / tool_result
 * blocks; plain and streamed; each call in the ledger.
 */
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  weatherTool,
  bodyOf,
  ledger,
  providerCases,
  startRig,
  uniquePrompt,
  type Rig,
} from "../test/llm-rig.ts";

let rig: Rig;
let caller: { id: string; token: string };
const client = () =>
  new OpenAI({ apiKey: caller.token, baseURL: `${rig.server.url}/v1`, maxRetries: 0 });

beforeAll(async () => {
  rig = await startRig({ env: { TOOLS_MAX: "4" } });
  caller = await rig.token();
});
afterAll(() => rig.close());

describe.each(providerCases)("tools with $model ($provider)", ({ model, provider }) => {
  it("returns the model's function calls, then answers from their results", async () => {
    rig.fake.reset();
    rig.fake.enqueue({
      toolCalls: [
        { name: "get_weather", arguments: { city: "Paris" } },
        { name: "get_weather", arguments: { city: "Oslo" } },
      ],
    });
    const question = uniquePrompt("weather in Paris and Oslo?");
    const first = await client().chat.completions.create({
      model,
      messages: [{ role: "user", content: question }],
      tools: [weatherTool],
      tool_choice: "auto",
      parallel_tool_calls: true,
    });
    const choice = first.choices[0]!;
    expect(choice.finish_reason).toBe("tool_calls");
    const calls = choice.message.tool_calls ?? [];
    expect(
      calls.map(
        (call) =>
          call.type === "function" && [call.function.name, JSON.parse(call.function.arguments)],
      ),
    ).toEqual([
      ["get_weather", { city: "Paris" }],
      ["get_weather", { city: "Oslo" }],
    ]);
    const asked = bodyOf(rig.fake.requests.at(-1));
    if (provider === "openai") {
      expect(asked.tools).toEqual([weatherTool]);
      expect([asked.tool_choice, asked.parallel_tool_calls]).toEqual(["auto", true]);
    } else {
      expect(asked.tools).toEqual([
        {
          name: "get_weather",
          description: "The weather in a city",
          input_schema: weatherTool.function.parameters,
        },
      ]);
      expect(asked.tool_choice).toEqual({ type: "auto" });
    }

    const second = await client().chat.completions.create({
      model,
      tools: [weatherTool],
      messages: [
        { role: "user", content: question },
        choice.message as OpenAI.Chat.ChatCompletionAssistantMessageParam,
        { role: "tool", tool_call_id: calls[0]!.id, content: "Paris: 21°C" },
        { role: "tool", tool_call_id: calls[1]!.id, content: "Oslo: 9°C" },
      ],
    });
    expect(second.choices[0]?.finish_reason).toBe("stop");
    expect(second.choices[0]?.message.content).toMatch(/^echo: /);
    const sent = bodyOf(rig.fake.requests.at(-1)).messages as Record<string, unknown>[];
    if (provider === "openai") {
      expect(sent.slice(1)).toEqual([
        {
          role: "assistant",
          content: null,
          tool_calls: calls.map((call) => ({
            id: call.id,
            type: "function",
            function: (call as OpenAI.Chat.ChatCompletionMessageFunctionToolCall).function,
          })),
        },
        { role: "tool", tool_call_id: calls[0]!.id, content: "Paris: 21°C" },
        { role: "tool", tool_call_id: calls[1]!.id, content: "Oslo: 9°C" },
      ]);
    } else {
      expect(sent.slice(1)).toEqual([
        {
          role: "assistant",
          content: [
            { type: "tool_use", id: calls[0]!.id, name: "get_weather", input: { city: "Paris" } },
            { type: "tool_use", id: calls[1]!.id, name: "get_weather", input: { city: "Oslo" } },
          ],
        },
        {
          // Both results in one user turn, as Anthropic requires.
          role: "user",
          content: [
            { type: "tool_result", tool_use_id: calls[0]!.id, content: "Paris: 21°C" },
            { type: "tool_result", tool_use_id: calls[1]!.id, content: "Oslo: 9°C" },
          ],
        },
      ]);
    }
    const rows = await ledger(rig, caller.id);
    expect(rows.filter((row) => row.model === model).length).toBeGreaterThanOrEqual(2);
  });

  it("streams the model's function calls, assembled, with finish_reason tool_calls", async () => {
    rig.fake.reset();
    rig.fake.enqueue({ toolCalls: [{ name: "get_weather", arguments: { city: "Lyon" } }] });
    const stream = await client().chat.completions.create({
      model,
      messages: [{ role: "user", content: uniquePrompt("weather in Lyon?") }],
      tools: [weatherTool],
      tool_choice: { type: "function", function: { name: "get_weather" } },
      stream: true,
      stream_options: { include_usage: true },
    });
    const calls = new Map<number, { id: string; name: string; arguments: string }>();
    let finish: string | null | undefined;
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      usage ??= chunk.usage;
      const choice = chunk.choices[0];
      if (!choice) continue;
      finish = choice.finish_reason ?? finish;
      for (const part of choice.delta.tool_calls ?? []) {
        const call = calls.get(part.index) ?? { id: "", name: "", arguments: "" };
        call.id ||= part.id ?? "";
        call.name += part.function?.name ?? "";
        call.arguments += part.function?.arguments ?? "";
        calls.set(part.index, call);
      }
    }
    expect(finish).toBe("tool_calls");
    const [call] = [...calls.values()];
    expect(call?.id).toMatch(/fake/);
    expect([call?.name, JSON.parse(call?.arguments ?? "null")]).toEqual([
      "get_weather",
      { city: "Lyon" },
    ]);
    expect(usage?.completion_tokens).toBeGreaterThan(0);
    const asked = bodyOf(rig.fake.requests.at(-1));
    expect(asked.tool_choice).toEqual(
      provider === "openai"
        ? { type: "function", function: { name: "get_weather" } }
        : { type: "tool", name: "get_weather" },
    );
  });
});

describe("tools refused", () => {
  const ask = (body: Record<string, unknown>) =>
    rig.post<{ error: { code: string; message: string } }>("/v1/chat/completions", caller.token, {
      model: providerCases[0]!.model,
      messages: [{ role: "user", content: "hi" }],
      ...body,
    });

  it("refuses more functions than TOOLS_MAX, before any upstream call", async () => {
    rig.fake.reset();
    const tools = ["a", "b", "c", "d", "e"].map((name) => ({
      type: "function",
      function: { name },
    }));
    const reply = await ask({ tools });
    expect(reply.status).toBe(400);
    expect(reply.body.error.message).toMatch(/at most 4 functions.*TOOLS_MAX/);
    expect(rig.fake.requests).toEqual([]);
  });

  it("refuses a tool_choice naming no offered function, and a tool message without its call id", async () => {
    const choice = await ask({
      tools: [weatherTool],
      tool_choice: { type: "function", function: { name: "nope" } },
    });
    expect([choice.status, choice.body.error.code]).toEqual([400, "invalid_request"]);
    const orphan = await ask({ messages: [{ role: "tool", content: "x" }] });
    expect(orphan.status).toBe(400);
    expect(orphan.body.error.message).toMatch(/tool_call_id/);
  });

  it("refuses a function result that answers no call of the turn before it: 400, no upstream call", async () => {
    rig.fake.reset();
    const called = {
      role: "assistant",
      content: null,
      tool_calls: [
        { id: "call_1", type: "function", function: { name: "weather", arguments: "{}" } },
      ],
    };
    const unknown = await ask({
      tools: [weatherTool],
      messages: [
        { role: "user", content: "Weather?" },
        called,
        { role: "tool", tool_call_id: "call_2", content: "sunny" },
      ],
    });
    expect([unknown.status, unknown.body.error.code]).toEqual([400, "invalid_request"]);
    expect(unknown.body.error.message).toMatch(
      /'call_2', which the assistant turn before it did not call/,
    );
    const twice = await ask({
      tools: [weatherTool],
      messages: [
        { role: "user", content: "Weather?" },
        called,
        { role: "tool", tool_call_id: "call_1", content: "sunny" },
        { role: "tool", tool_call_id: "call_1", content: "sunny again" },
      ],
    });
    expect([twice.status, twice.body.error.code]).toEqual([400, "invalid_request"]);
    expect(rig.fake.requests).toEqual([]);
  });

  it("refuses a parameters schema beyond the schema limits", async () => {
    let deep: Record<string, unknown> = { type: "string" };
    // 41 levels: past SCHEMA_MAX_DEPTH (32), within the body's JSON_MAX_DEPTH (64).
    for (let level = 0; level < 20; level++) deep = { type: "object", properties: { x: deep } };
    const reply = await ask({
      tools: [{ type: "function", function: { name: "deep", parameters: deep } }],
    });
    expect(reply.status).toBe(400);
    // Named as the function's parameters, not as a responseFormat the caller never sent.
    expect(reply.body.error.message).toMatch(
      /^body\.tools\.0\.parameters nests deeper than \d+ levels \(SCHEMA_MAX_DEPTH\)/,
    );
  });
});
