/**
 * Conformance: LangChain's `ChatOpenAI` (`@langchain/openai`) against `/v1`, unchanged but for
 * its base URL and an OfficeLLM token. What docs/api.md's compatibility table says for it,
 * proven here.
 */
import { HumanMessage } from "@langchain/core/messages";
import { tool } from "@langchain/core/tools";
import { ChatOpenAI } from "@langchain/openai";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { uniquePrompt } from "../llm-rig.ts";
import { conformanceModels, useConformanceRig } from "./conformance-rig.ts";

const setting = useConformanceRig();
const chat = (model: string) =>
  new ChatOpenAI({
    model,
    apiKey: setting.apiKey,
    configuration: { baseURL: setting.baseURL },
    maxRetries: 0,
  });

const Person = z.object({ name: z.string(), tags: z.array(z.enum(["a", "b"])) });

describe.each(conformanceModels)(
  "LangChain ChatOpenAI with $model ($provider)",
  ({ model, provider }) => {
    it("invoke", async () => {
      const prompt = uniquePrompt("invoke");
      const message = await chat(model).invoke(prompt);
      expect(message.content).toBe(`echo: ${prompt}`);
      expect(message.usage_metadata?.output_tokens).toBeGreaterThan(0);
    });

    const overResponses = () =>
      new ChatOpenAI({
        model,
        apiKey: setting.apiKey,
        configuration: { baseURL: setting.baseURL },
        maxRetries: 0,
        useResponsesApi: true,
      });

    it("invoke and stream over the Responses API (useResponsesApi)", async () => {
      const responses = overResponses();
      const prompt = uniquePrompt("responses");
      expect((await responses.invoke(prompt)).text).toBe(`echo: ${prompt}`);
      let text = "";
      for await (const chunk of await responses.stream(prompt)) text += chunk.text;
      expect(text).toBe(`echo: ${prompt}`);
      expect(setting.rig.server.logs.text).toContain('"path":"/v1/responses"');
    });

    it("withStructuredOutput and a bindTools round trip over the Responses API", async () => {
      const structured = overResponses().withStructuredOutput(Person, { name: "person" });
      expect(await structured.invoke(uniquePrompt("who"))).toEqual({
        name: expect.stringMatching(/^echo: who/),
        tags: ["a"],
      });
      const weather = tool(async () => "sunny", {
        name: "weather",
        description: "The weather in a city",
        schema: z.object({ city: z.string() }),
      });
      setting.rig.fake.enqueue({ toolCalls: [{ name: "weather", arguments: { city: "Paris" } }] });
      const bound = overResponses().bindTools([weather]);
      const question = new HumanMessage(uniquePrompt("weather?"));
      const called = await bound.invoke([question]);
      expect(called.tool_calls?.map((call) => [call.name, call.args])).toEqual([
        ["weather", { city: "Paris" }],
      ]);
      const result = await weather.invoke(called.tool_calls![0]!);
      const next = uniquePrompt("thanks");
      const answer = await bound.invoke([question, called, result, new HumanMessage(next)]);
      expect(answer.text).toBe(`echo: ${next}`);
    });

    it("stream", async () => {
      const prompt = uniquePrompt("stream");
      let text = "";
      for await (const chunk of await chat(model).stream(prompt)) text += chunk.text;
      expect(text).toBe(`echo: ${prompt}`);
    });

    it("withStructuredOutput (a zod schema, sent with its 2020-12 $schema)", async () => {
      // A tuple is where drafts differ: 2020-12 `prefixItems` then `items: false`.
      const Located = Person.extend({ at: z.tuple([z.string(), z.number()]) });
      const structured = chat(model).withStructuredOutput(Located, { name: "person" });
      const person = await structured.invoke(uniquePrompt("who"));
      expect(person).toEqual({
        name: expect.stringMatching(/^echo: who/),
        tags: ["a"],
        at: [expect.stringMatching(/^echo: who/), 0],
      });
      if (provider === "openai") {
        const sent = setting.rig.fake.calls.at(-1)?.json?.schema;
        expect(sent?.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
      }
    });

    it("bindTools: the model's tool calls, with their arguments", async () => {
      const weather = tool(async () => "sunny", {
        name: "weather",
        description: "The weather in a city",
        schema: z.object({ city: z.string() }),
      });
      setting.rig.fake.enqueue({ toolCalls: [{ name: "weather", arguments: { city: "Paris" } }] });
      const answer = await chat(model).bindTools([weather]).invoke(uniquePrompt("weather?"));
      expect(answer.tool_calls?.map((call) => [call.name, call.args])).toEqual([
        ["weather", { city: "Paris" }],
      ]);
    });
  },
);
