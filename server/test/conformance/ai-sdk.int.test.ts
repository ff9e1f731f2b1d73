/**
 * Conformance: the Vercel AI SDK (`ai` with `@ai-sdk/openai`) against `/v1`, both with its
 * default `openai("…")` model (the Responses API) and with `openai.chat("…")` (chat
 * completions). What docs/api.md's compatibility table says for it, proven here.
 */
import { createOpenAI } from "@ai-sdk/openai";
import {
  APICallError,
  cosineSimilarity,
  embed,
  embedMany,
  generateObject,
  generateText,
  Output,
  stepCountIs,
  streamObject,
  streamText,
  tool,
  type LanguageModel,
} from "ai";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { uniquePrompt } from "../llm-rig.ts";
import { conformanceModels, rejection, useConformanceRig } from "./conformance-rig.ts";

const setting = useConformanceRig();
const provider = () => createOpenAI({ apiKey: setting.apiKey, baseURL: setting.baseURL });

const apis: { api: string; languageModel: (id: string) => LanguageModel }[] = [
  { api: 'openai("…") (Responses API)', languageModel: (id) => provider()(id) },
  { api: 'openai.chat("…")', languageModel: (id) => provider().chat(id) },
];
const cases = conformanceModels.flatMap((model) => apis.map((api) => ({ ...model, ...api })));

const Person = z.object({ name: z.string(), tags: z.array(z.enum(["a", "b"])) });

/** The APICallError a refused call ends with, wherever the SDK wraps it. */
function apiCallError(error: unknown): APICallError {
  let cause = error;
  while (cause instanceof Error && !APICallError.isInstance(cause)) cause = cause.cause;
  expect(APICallError.isInstance(cause), String(error)).toBe(true);
  return cause as APICallError;
}

describe.each(cases)("AI SDK, $api with $model ($provider)", (setup) => {
  const model = () => setup.languageModel(setup.model);

  it("generateText", async () => {
    const prompt = uniquePrompt("generate");
    const result = await generateText({ model: model(), prompt, maxRetries: 0 });
    expect(result.text).toBe(`echo: ${prompt}`);
    expect(result.usage.outputTokens).toBeGreaterThan(0);
    expect(result.finishReason).toBe("stop");
  });

  it("streamText", async () => {
    const prompt = uniquePrompt("stream");
    const result = streamText({ model: model(), prompt, maxRetries: 0 });
    let text = "";
    for await (const piece of result.textStream) text += piece;
    expect(text).toBe(`echo: ${prompt}`);
    expect((await result.usage).outputTokens).toBeGreaterThan(0);
  });

  it("generateObject", async () => {
    const result = await generateObject({
      model: model(),
      schema: Person,
      prompt: uniquePrompt("who"),
      maxRetries: 0,
    });
    expect(result.object).toEqual({ name: expect.stringMatching(/^echo: who/), tags: ["a"] });
  });

  it("streamObject", async () => {
    const result = streamObject({
      model: model(),
      schema: Person,
      prompt: uniquePrompt("who"),
      maxRetries: 0,
    });
    const partials: unknown[] = [];
    for await (const partial of result.partialObjectStream) partials.push(partial);
    expect(partials.length).toBeGreaterThan(0);
    expect(await result.object).toEqual({ name: expect.stringMatching(/^echo: who/), tags: ["a"] });
  });

  it("generateText and streamText with output: Output.object (structured output)", async () => {
    const output = Output.object({ schema: Person });
    const generated = await generateText({
      model: model(),
      prompt: uniquePrompt("who"),
      output,
      maxRetries: 0,
    });
    expect(generated.output).toEqual({ name: expect.stringMatching(/^echo: who/), tags: ["a"] });
    const streamed = streamText({
      model: model(),
      prompt: uniquePrompt("who"),
      output,
      maxRetries: 0,
    });
    const partials: unknown[] = [];
    for await (const partial of streamed.partialOutputStream) partials.push(partial);
    expect(partials.length).toBeGreaterThan(0);
    expect(await streamed.output).toEqual({
      name: expect.stringMatching(/^echo: who/),
      tags: ["a"],
    });
  });

  const weatherTools = {
    weather: tool({
      description: "The weather in a city",
      inputSchema: z.object({ city: z.string() }),
      execute: async () => "sunny",
    }),
  };

  it("tool calls: called and executed", async () => {
    setting.rig.fake.enqueue({ toolCalls: [{ name: "weather", arguments: { city: "Paris" } }] });
    const result = await generateText({
      model: model(),
      prompt: uniquePrompt("weather in Paris?"),
      tools: weatherTools,
      maxRetries: 0,
    });
    expect(result.toolCalls.map((call) => [call.toolName, call.input])).toEqual([
      ["weather", { city: "Paris" }],
    ]);
    expect(result.toolResults.map((done) => done.output)).toEqual(["sunny"]);
  });

  it("tool calls over steps, streamed: the result goes back and the model answers", async () => {
    setting.rig.fake.enqueue({ toolCalls: [{ name: "weather", arguments: { city: "Oslo" } }] });
    const result = streamText({
      model: model(),
      prompt: uniquePrompt("weather in Oslo?"),
      tools: weatherTools,
      stopWhen: stepCountIs(2),
      maxRetries: 0,
    });
    let text = "";
    for await (const piece of result.textStream) text += piece;
    const steps = await result.steps;
    expect(steps.map((step) => step.finishReason)).toEqual(["tool-calls", "stop"]);
    expect(text).toMatch(/^echo: /);
    // The second step's call upstream carries the function's result.
    expect(JSON.stringify(setting.rig.fake.calls.at(-1)?.request.body)).toContain("sunny");
  });

  it("a conversation: the answer's messages sent back with the next question", async () => {
    const question = uniquePrompt("first");
    const first = await generateText({ model: model(), prompt: question, maxRetries: 0 });
    const next = uniquePrompt("second");
    const second = await generateText({
      model: model(),
      messages: [
        { role: "user", content: question },
        ...first.response.messages,
        { role: "user", content: next },
      ],
      maxRetries: 0,
    });
    expect(second.text).toBe(`echo: ${next}`);
    expect(setting.rig.fake.calls.at(-1)?.messages).toEqual([
      { role: "user", content: question },
      { role: "assistant", content: `echo: ${question}` },
      { role: "user", content: next },
    ]);
  });
});

describe("AI SDK embed and embedMany", () => {
  const embeddingModel = () => provider().embedding("text-embedding-3-small");

  it("embed: one vector, with its usage", async () => {
    const result = await embed({ model: embeddingModel(), value: "hello", maxRetries: 0 });
    expect(result.embedding.length).toBeGreaterThan(0);
    expect(result.usage.tokens).toBeGreaterThan(0);
  });

  it("embedMany: one vector per value, in order, similar values closest", async () => {
    const values = ["Acme Corporation", "ACME Corp", "weather in Lisbon"];
    const result = await embedMany({ model: embeddingModel(), values, maxRetries: 0 });
    expect(result.embeddings).toHaveLength(3);
    const [acme, corp, weather] = result.embeddings;
    expect(cosineSimilarity(acme!, corp!)).toBeGreaterThan(cosineSimilarity(acme!, weather!));
  });

  it("embed with a chat model: refused, 400", async () => {
    const error = apiCallError(
      await rejection(
        embed({ model: provider().embedding("gpt-4.1-mini"), value: "hello", maxRetries: 0 }),
      ),
    );
    expect(error.statusCode).toBe(400);
  });
});
