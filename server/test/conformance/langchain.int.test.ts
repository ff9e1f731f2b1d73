/**
 * Conformance: LangChain's `ChatOpenAI` (`@langchain/openai`) against `/v1`, unchanged but for
 * its base URL and an OfficeLLM token. What docs/api.md's compatibility table says for it,
 * proven here.
 */
import { tool } from "@langchain/core/tools";
import { ChatOpenAI } from "@langchain/openai";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { uniquePrompt } from "../llm-rig.ts";
import { conformanceModels, rejection, useConformanceRig } from "./conformance-rig.ts";

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

    it("invoke and stream over the Responses API (useResponsesApi)", async () => {
      const responses = new ChatOpenAI({
        model,
        apiKey: setting.apiKey,
        configuration: { baseURL: setting.baseURL },
        maxRetries: 0,
        useResponsesApi: true,
      });
      const prompt = uniquePrompt("responses");
      expect((await responses.invoke(prompt)).text).toBe(`echo: ${prompt}`);
      let text = "";
      for await (const chunk of await responses.stream(prompt)) text += chunk.text;
      expect(text).toBe(`echo: ${prompt}`);
      expect(setting.rig.server.logs.text).toContain('"path":"/v1/responses"');
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

    it("bindTools: refused, 400 naming the field", async () => {
      const weather = tool(async () => "sunny", {
        name: "weather",
        description: "The weather in a city",
        schema: z.object({ city: z.string() }),
      });
      const error = await rejection(chat(model).bindTools([weather]).invoke("weather in Paris?"));
      expect((error as { status?: number }).status).toBe(400);
      expect((error as Error).message).toMatch(
        /body\.tools: tools \(function calling\) is not supported/,
      );
    });
  },
);
