/**
 * Conformance: the official `openai` client against `/v1`, unchanged but for its base URL and
 * an OfficeLLM token. What docs/api.md's compatibility table says for it, proven here.
 */
import OpenAI from "openai";
import { zodResponseFormat, zodTextFormat } from "openai/helpers/zod";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { uniquePrompt } from "../llm-rig.ts";
import { conformanceModels, rejection, useConformanceRig } from "./conformance-rig.ts";

const setting = useConformanceRig();
const client = () =>
  new OpenAI({ apiKey: setting.apiKey, baseURL: setting.baseURL, maxRetries: 0 });

const Person = z.object({ name: z.string(), tags: z.array(z.enum(["a", "b"])) });

describe.each(conformanceModels)("openai client with $model ($provider)", ({ model }) => {
  it("chat: create", async () => {
    const prompt = uniquePrompt("chat");
    const completion = await client().chat.completions.create({
      model,
      messages: [{ role: "user", content: prompt }],
    });
    expect(completion.choices[0]?.message.content).toBe(`echo: ${prompt}`);
    expect(completion.usage?.total_tokens).toBeGreaterThan(0);
  });

  it("chat: streaming, with usage", async () => {
    const prompt = uniquePrompt("chat stream");
    const stream = await client().chat.completions.create({
      model,
      messages: [{ role: "user", content: prompt }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    let usage: OpenAI.CompletionUsage | undefined | null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? "";
      usage ??= chunk.usage;
    }
    expect(text).toBe(`echo: ${prompt}`);
    expect(usage?.completion_tokens).toBeGreaterThan(0);
  });

  it("chat: structured output (parse with a zod schema)", async () => {
    const parsed = await client().chat.completions.parse({
      model,
      messages: [{ role: "user", content: uniquePrompt("who") }],
      response_format: zodResponseFormat(Person, "person"),
    });
    expect(parsed.choices[0]?.message.parsed).toEqual({
      name: expect.stringMatching(/^echo: who/),
      tags: ["a"],
    });
  });

  it("responses: create", async () => {
    const prompt = uniquePrompt("responses");
    const response = await client().responses.create({ model, input: prompt });
    expect(response.output_text).toBe(`echo: ${prompt}`);
    expect(response.usage?.total_tokens).toBeGreaterThan(0);
  });

  it("responses: streaming (the stream helper)", async () => {
    const prompt = uniquePrompt("responses stream");
    const deltas: string[] = [];
    const stream = client()
      .responses.stream({ model, input: prompt })
      .on("response.output_text.delta", (event) => deltas.push(event.delta));
    const final = await stream.finalResponse();
    expect(deltas.join("")).toBe(`echo: ${prompt}`);
    expect(final.output_text).toBe(`echo: ${prompt}`);
  });

  it("responses: structured output (parse with a zod schema)", async () => {
    const parsed = await client().responses.parse({
      model,
      input: uniquePrompt("who"),
      text: { format: zodTextFormat(Person, "person") },
    });
    expect(parsed.output_parsed).toEqual({
      name: expect.stringMatching(/^echo: who/),
      tags: ["a"],
    });
  });

  it("embeddings: create (floats, and base64)", async () => {
    const input = [uniquePrompt("embed"), uniquePrompt("embed")];
    const floats = await client().embeddings.create({ model: "text-embedding-3-small", input });
    expect(floats.data.map((item) => item.index)).toEqual([0, 1]);
    expect(floats.data[0]?.embedding.length).toBeGreaterThan(0);
    expect(floats.usage.prompt_tokens).toBeGreaterThan(0);
    const base64 = await client().embeddings.create({
      model: "text-embedding-3-small",
      input,
      encoding_format: "base64",
    });
    expect(typeof base64.data[0]?.embedding).toBe("string");
  });

  it("embeddings: refused for this chat model, 400", async () => {
    const error = await rejection(client().embeddings.create({ model, input: "hello" }));
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as Error).message).toMatch(/not an embedding model|offers no embeddings/);
  });

  it("tools: chat returns the model's function calls", async () => {
    setting.rig.fake.enqueue({ toolCalls: [{ name: "weather", arguments: { city: "Paris" } }] });
    const completion = await client().chat.completions.create({
      model,
      messages: [{ role: "user", content: uniquePrompt("weather?") }],
      tools: [{ type: "function", function: { name: "weather", parameters: { type: "object" } } }],
    });
    const [call] = completion.choices[0]?.message.tool_calls ?? [];
    expect(completion.choices[0]?.finish_reason).toBe("tool_calls");
    expect(call?.type === "function" && [call.function.name, call.function.arguments]).toEqual([
      "weather",
      '{"city":"Paris"}',
    ]);
  });

  it("tools: chat streams the model's function calls (the stream helper)", async () => {
    setting.rig.fake.enqueue({ toolCalls: [{ name: "weather", arguments: { city: "Oslo" } }] });
    const final = await client()
      .chat.completions.stream({
        model,
        messages: [{ role: "user", content: uniquePrompt("weather?") }],
        tools: [
          { type: "function", function: { name: "weather", parameters: { type: "object" } } },
        ],
      })
      .finalChatCompletion();
    const [call] = final.choices[0]?.message.tool_calls ?? [];
    expect(final.choices[0]?.finish_reason).toBe("tool_calls");
    expect(call?.type === "function" && [call.function.name, call.function.arguments]).toEqual([
      "weather",
      '{"city":"Oslo"}',
    ]);
  });

  it("tools: responses returns function_call items, then answers from their output", async () => {
    setting.rig.fake.enqueue({ toolCalls: [{ name: "weather", arguments: { city: "Paris" } }] });
    const tools: OpenAI.Responses.Tool[] = [
      { type: "function", name: "weather", parameters: { type: "object" }, strict: false },
    ];
    const question = uniquePrompt("weather?");
    const first = await client().responses.create({ model, input: question, tools });
    const calls = first.output.filter((item) => item.type === "function_call");
    expect(calls.map((call) => [call.name, call.arguments])).toEqual([
      ["weather", '{"city":"Paris"}'],
    ]);
    const second = await client().responses.create({
      model,
      tools,
      input: [
        { role: "user", content: question },
        ...calls,
        { type: "function_call_output", call_id: calls[0]!.call_id, output: "sunny" },
      ],
    });
    expect(second.output_text).toMatch(/^echo: /);
  });

  it("tools: responses streams function_call items (the stream helper)", async () => {
    setting.rig.fake.enqueue({ toolCalls: [{ name: "weather", arguments: { city: "Oslo" } }] });
    const stream = client().responses.stream({
      model,
      input: uniquePrompt("weather?"),
      tools: [{ type: "function", name: "weather", parameters: { type: "object" }, strict: false }],
    });
    const final = await stream.finalResponse();
    const calls = final.output.filter((item) => item.type === "function_call");
    expect(calls.map((call) => [call.name, call.arguments])).toEqual([
      ["weather", '{"city":"Oslo"}'],
    ]);
  });

  it("image parts: read by the model (chat and responses)", async () => {
    const prompt = uniquePrompt("what is this?");
    const url = "https://example.com/a.png";
    const chat = await client().chat.completions.create({
      model,
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: prompt },
            { type: "image_url", image_url: { url } },
          ],
        },
      ],
    });
    expect(chat.choices[0]?.message.content).toBe(`echo: ${prompt} [images: ${url}]`);
    const response = await client().responses.create({
      model,
      input: [
        {
          role: "user",
          content: [
            { type: "input_text", text: prompt },
            { type: "input_image", image_url: url, detail: "auto" },
          ],
        },
      ],
    });
    expect(response.output_text).toBe(`echo: ${prompt} [images: ${url}]`);
  });
});
