/**
 * Function calling on the native API: POST /api/v1/completions (plain and streamed) and
 * conversations, which keep the assistant's calls and the tool results as turns; against the
 * fake provider over real HTTP, for OpenAI and Anthropic.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  bodyOf,
  parseSse,
  providerCases,
  startRig,
  uniquePrompt,
  type Rig,
} from "../test/llm-rig.ts";

const weather = {
  name: "get_weather",
  description: "The weather in a city",
  parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
};

interface ToolCall {
  id: string;
  name: string;
  arguments: string;
}

interface Completion {
  text: string;
  toolCalls?: ToolCall[];
}

let rig: Rig;
let caller: { id: string; token: string };

beforeAll(async () => {
  rig = await startRig();
  caller = await rig.token();
});
afterAll(() => rig.close());

/** The messages after the first of the last request the fake received. */
function sentAfterQuestion(): unknown[] {
  return (bodyOf(rig.fake.requests.at(-1)).messages as unknown[]).slice(1);
}

/** What the provider must receive for an assistant's calls and their results. */
function expectedTurns(provider: "openai" | "anthropic", calls: ToolCall[], results: string[]) {
  if (provider === "openai")
    return [
      {
        role: "assistant",
        content: null,
        tool_calls: calls.map((call) => ({
          id: call.id,
          type: "function",
          function: { name: call.name, arguments: call.arguments },
        })),
      },
      ...calls.map((call, index) => ({
        role: "tool",
        tool_call_id: call.id,
        content: results[index],
      })),
    ];
  return [
    {
      role: "assistant",
      content: calls.map((call) => ({
        type: "tool_use",
        id: call.id,
        name: call.name,
        input: JSON.parse(call.arguments) as unknown,
      })),
    },
    {
      role: "user",
      content: calls.map((call, index) => ({
        type: "tool_result",
        tool_use_id: call.id,
        content: results[index],
      })),
    },
  ];
}

describe.each(providerCases)("native function calling with $model ($provider)", (setup) => {
  const { model, provider } = setup;

  it("completions: returns toolCalls, then answers from the results sent back", async () => {
    rig.fake.reset();
    rig.fake.enqueue({
      toolCalls: [
        { name: "get_weather", arguments: { city: "Paris" } },
        { name: "get_weather", arguments: { city: "Oslo" } },
      ],
    });
    const question = uniquePrompt("weather in Paris and Oslo?");
    const first = await rig.post<Completion>("/api/v1/completions", caller.token, {
      model,
      messages: [{ role: "user", content: question }],
      tools: [weather],
      toolChoice: "auto",
      parallelToolCalls: false,
    });
    expect(first.status).toBe(200);
    const calls = first.body.toolCalls ?? [];
    expect(calls.map((call) => [call.name, JSON.parse(call.arguments)])).toEqual([
      ["get_weather", { city: "Paris" }],
      ["get_weather", { city: "Oslo" }],
    ]);
    const asked = bodyOf(rig.fake.requests.at(-1));
    if (provider === "openai") {
      expect(asked.tools).toEqual([{ type: "function", function: weather }]);
      expect([asked.tool_choice, asked.parallel_tool_calls]).toEqual(["auto", false]);
    } else {
      expect(asked.tools).toEqual([
        { name: weather.name, description: weather.description, input_schema: weather.parameters },
      ]);
      expect(asked.tool_choice).toEqual({ type: "auto", disable_parallel_tool_use: true });
    }

    const second = await rig.post<Completion>("/api/v1/completions", caller.token, {
      model,
      tools: [weather],
      messages: [
        { role: "user", content: question },
        { role: "assistant", content: "", toolCalls: calls },
        { role: "tool", toolCallId: calls[0]!.id, content: "Paris: 21°C" },
        { role: "tool", toolCallId: calls[1]!.id, content: "Oslo: 9°C" },
      ],
    });
    expect(second.status).toBe(200);
    expect(second.body.text).toMatch(/^echo: /);
    expect(second.body.toolCalls).toBeUndefined();
    expect(sentAfterQuestion()).toEqual(
      expectedTurns(provider, calls, ["Paris: 21°C", "Oslo: 9°C"]),
    );
  });

  it("completions, streamed: the done event carries the calls", async () => {
    rig.fake.reset();
    rig.fake.enqueue({ toolCalls: [{ name: "get_weather", arguments: { city: "Lyon" } }] });
    const reply = await rig.post("/api/v1/completions", caller.token, {
      model,
      messages: [{ role: "user", content: uniquePrompt("weather in Lyon?") }],
      tools: [weather],
      toolChoice: { name: "get_weather" },
      stream: true,
    });
    expect(reply.status).toBe(200);
    const done = parseSse(reply.text).find((event) => event.event === "done");
    const calls = (done?.data as Completion).toolCalls ?? [];
    expect(calls.map((call) => [call.name, JSON.parse(call.arguments)])).toEqual([
      ["get_weather", { city: "Lyon" }],
    ]);
    expect(calls[0]?.id).toBeTruthy();
  });

  it("conversations: keep the calls and the results as turns, and send them on", async () => {
    rig.fake.reset();
    const created = await rig.post<{ id: string }>("/api/v1/conversations", caller.token, {
      model,
    });
    const path = `/api/v1/conversations/${created.body.id}/messages`;
    rig.fake.enqueue({ toolCalls: [{ name: "get_weather", arguments: { city: "Rome" } }] });
    const question = uniquePrompt("weather in Rome?");
    const first = await rig.post<{ message: { role: string; toolCalls?: ToolCall[] } }>(
      path,
      caller.token,
      { content: question, tools: [weather] },
    );
    expect(first.status).toBe(200);
    const calls = first.body.message.toolCalls ?? [];
    expect(calls.map((call) => call.name)).toEqual(["get_weather"]);

    const unanswered = await rig.post<{ error: { code: string; message: string } }>(
      path,
      caller.token,
      { content: "and tomorrow?", tools: [weather] },
    );
    expect(unanswered.status).toBe(400);
    expect(unanswered.body.error.message).toMatch(/send a result for each/);
    const unknown = await rig.post<{ error: { message: string } }>(path, caller.token, {
      toolResults: [{ toolCallId: "call_other", content: "?" }],
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.message).toMatch(/'call_other' is no unanswered call/);

    const second = await rig.post<{ message: { content: string } }>(path, caller.token, {
      toolResults: [{ toolCallId: calls[0]!.id, content: "Rome: 25°C" }],
      tools: [weather],
    });
    expect(second.status).toBe(200);
    expect(second.body.message.content).toMatch(/^echo: /);
    expect(sentAfterQuestion()).toEqual(expectedTurns(provider, calls, ["Rome: 25°C"]));

    const stored = await rig.server.fetch(`/api/v1/conversations/${created.body.id}`, {
      token: caller.token,
    });
    const { messages } = (await stored.json()) as {
      messages: { role: string; content: string; toolCalls?: ToolCall[]; toolCallId?: string }[];
    };
    expect(
      messages.map(({ role, toolCalls, toolCallId }) => [role, toolCalls, toolCallId]),
    ).toEqual([
      ["user", undefined, undefined],
      ["assistant", calls, undefined],
      ["tool", undefined, calls[0]!.id],
      ["assistant", undefined, undefined],
    ]);
  });
});
