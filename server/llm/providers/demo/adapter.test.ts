import { Ajv2020 } from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../../config.ts";
import { LlmError } from "../../errors.ts";
import { ProviderError } from "../../provider.ts";
import { createDemoProvider, type DemoLimits } from "./adapter.ts";
import { collect, providerRequest, rejection } from "../shared/testing.ts";

const demo = createDemoProvider(loadConfig({}).limits);

/** Ajv for 2020-12 schemas, with the formats the demo fills in (ajv-formats is not installed). */
function validator() {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  ajv.addFormat("date-time", /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/);
  ajv.addFormat("date", /^\d{4}-\d{2}-\d{2}$/);
  ajv.addFormat("email", /^[^@\s]+@[^@\s]+\.[^@\s]+$/);
  ajv.addFormat("uri", /^[a-z][a-z0-9+.-]*:\S+$/i);
  ajv.addFormat("uuid", /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
  return ajv;
}

async function jsonFor(schema: Record<string, unknown>): Promise<unknown> {
  const result = await demo.complete(providerRequest({ json: { schema } }));
  return JSON.parse(result.text);
}

const schemas: [string, Record<string, unknown>][] = [
  [
    "an extraction with enums, numbers and a nested array",
    {
      type: "object",
      properties: {
        name: { type: "string", minLength: 10 },
        sentiment: { type: "string", enum: ["positive", "negative", "neutral"] },
        score: { type: "number", minimum: 1, maximum: 5 },
        count: { type: "integer", exclusiveMinimum: 3, multipleOf: 2 },
        active: { type: "boolean" },
        tags: { type: "array", items: { type: "string" }, minItems: 2, uniqueItems: true },
        address: {
          type: "object",
          properties: { city: { type: "string" }, zip: { type: ["string", "null"], maxLength: 3 } },
          required: ["city", "zip"],
          additionalProperties: false,
        },
      },
      required: ["name", "sentiment", "score", "count", "active", "tags", "address"],
      additionalProperties: false,
    },
  ],
  [
    "calendar events with formats, const and anyOf",
    {
      type: "object",
      properties: {
        events: {
          type: "array",
          minItems: 1,
          items: {
            type: "object",
            properties: {
              title: { type: "string" },
              start: { type: "string", format: "date-time" },
              day: { type: "string", format: "date" },
              attendee: { type: "string", format: "email" },
              link: { type: "string", format: "uri" },
              id: { type: "string", format: "uuid" },
              kind: { const: "event" },
              duration: { anyOf: [{ type: "integer", minimum: 15 }, { type: "null" }] },
            },
            required: ["title", "start", "kind", "duration"],
          },
        },
      },
      required: ["events"],
    },
  ],
  [
    "a classification answer: oneOf branches and required without properties",
    {
      type: "object",
      properties: {
        label: { oneOf: [{ type: "string", enum: ["spam", "ham"] }, { type: "number" }] },
      },
      required: ["label", "confidence"],
      additionalProperties: { type: "number", minimum: 0, maximum: 1 },
    },
  ],
  [
    "references to $defs, allOf and a 2020-12 tuple",
    {
      $schema: "https://json-schema.org/draft/2020-12/schema",
      type: "object",
      $defs: {
        cell: {
          type: "object",
          properties: { row: { type: "integer", minimum: 1 } },
          required: ["row"],
        },
      },
      properties: {
        first: { $ref: "#/$defs/cell" },
        cells: { type: "array", items: { $ref: "#/$defs/cell" }, minItems: 3 },
        merged: {
          allOf: [
            { type: "object", properties: { a: { type: "string" } }, required: ["a"] },
            { properties: { b: { type: "number", minimum: 2 } }, required: ["b"] },
          ],
        },
        pair: {
          type: "array",
          prefixItems: [{ type: "string" }, { type: "integer" }],
          items: false,
        },
      },
      required: ["first", "cells", "merged", "pair"],
    },
  ],
  ["a bare list", { type: "array", items: { type: "number", maximum: -5 } }],
];

describe("demo provider", () => {
  it("answers text plainly marked, saying what was asked, the same every time", async () => {
    const request = providerRequest({
      messages: [
        { role: "user", content: "Earlier question" },
        { role: "assistant", content: "Earlier answer" },
        { role: "user", content: "Summarize   this\nrange" },
      ],
    });
    const first = await demo.complete(request);
    const second = await demo.complete(request);
    expect(first).toEqual(second);
    expect(first.text).toBe(
      '[demo] You asked: "Summarize this range". Configure OPENAI_API_KEY or ANTHROPIC_API_KEY for real answers.',
    );
    expect(first.finishReason).toBe("stop");
  });

  it("counts usage as ceil(characters / 4)", async () => {
    const request = providerRequest({
      system: "Be brief.",
      messages: [{ role: "user", content: "Hi" }],
    });
    const result = await demo.complete(request);
    // "Be brief.\nHi" is 12 characters.
    expect(result.usage).toEqual({
      inputTokens: 3,
      outputTokens: Math.ceil(result.text.length / 4),
    });
  });

  it("shortens a long question", async () => {
    const result = await demo.complete(
      providerRequest({ messages: [{ role: "user", content: "x".repeat(1000) }] }),
    );
    expect(result.text.length).toBeLessThan(250);
    expect(result.text).toContain("…");
  });

  it("answers JSON without a schema with a marked object", async () => {
    const result = await demo.complete(providerRequest({ json: { schema: undefined } }));
    const value = JSON.parse(result.text) as { demo: boolean; answer: string };
    expect(value.demo).toBe(true);
    expect(value.answer).toMatch(/^\[demo\] You asked: "What is 2\+2\?"/);
  });

  it.each(schemas)("answers JSON that validates: %s", async (_name, schema) => {
    const value = await jsonFor(schema);
    const validate = validator().compile(schema);
    expect(validate(value), JSON.stringify(validate.errors)).toBe(true);
  });

  it("fills every declared property, the first enum value and the minimum", async () => {
    const value = (await jsonFor(schemas[0]![1])) as Record<string, unknown>;
    expect(value).toMatchObject({
      name: "demooooooo",
      sentiment: "positive",
      score: 1,
      count: 4,
      active: false,
    });
    expect(value.tags).toEqual(["demo", "demo2"]);
  });

  it("streams the same text in word-sized deltas, then done", async () => {
    const request = providerRequest();
    const complete = await demo.complete(request);
    const chunks = await collect(demo.stream(request));
    const deltas = chunks.filter((chunk) => chunk.type === "delta");
    expect(deltas.length).toBeGreaterThan(5);
    expect(deltas.map((chunk) => chunk.text).join("")).toBe(complete.text);
    expect(chunks.at(-1)).toEqual({ type: "done", usage: complete.usage, finishReason: "stop" });
  });

  it("lists its one model", async () => {
    expect(await demo.listModels?.()).toEqual(["demo"]);
  });

  it("honours the caller's abort, before and during a stream", async () => {
    const aborted = new AbortController();
    const reason = new Error("client went away");
    aborted.abort(reason);
    expect(await rejection(demo.complete(providerRequest({ signal: aborted.signal })))).toBe(
      reason,
    );

    const controller = new AbortController();
    const seen: string[] = [];
    const error = await rejection(
      (async () => {
        for await (const chunk of demo.stream(providerRequest({ signal: controller.signal }))) {
          if (chunk.type === "delta") seen.push(chunk.text);
          controller.abort();
        }
      })(),
    );
    expect(seen).toHaveLength(1);
    expect(error).not.toBeInstanceOf(ProviderError);
    expect((error as Error).name).toBe("AbortError");
  });
});

describe("demo provider bounds", () => {
  const bounded = (limits: DemoLimits) => createDemoProvider(limits);
  const small = bounded({ generatedOutputBytes: 1000, schemaDepth: 32 });

  /** The 400 the demo refuses `schema` with. */
  async function refusal(schema: Record<string, unknown>, provider = demo): Promise<string> {
    const error = await rejection(provider.complete(providerRequest({ json: { schema } })));
    expect(error).toBeInstanceOf(LlmError);
    expect((error as LlmError).code).toBe("invalid_request");
    return (error as LlmError).message;
  }

  it("writes at most GENERATED_OUTPUT_MAX_BYTES, refusing what needs more", async () => {
    const text = async (schema: Record<string, unknown>) =>
      (await small.complete(providerRequest({ json: { schema } }))).text;
    expect(await text({ type: "string", minLength: 998 })).toHaveLength(1000);
    expect(await refusal({ type: "string", minLength: 999 }, small)).toBe(
      "The demo model cannot answer this schema: it needs an answer larger than 1000 bytes (GENERATED_OUTPUT_MAX_BYTES)",
    );
    const items = { type: "array", minItems: 60, items: { type: "object", required: ["ab"] } };
    expect(Buffer.byteLength(await text(items))).toBeLessThanOrEqual(1000);
    expect(await refusal({ ...items, minItems: 70 }, small)).toMatch(/GENERATED_OUTPUT_MAX_BYTES/);
  });

  it("refuses at once what could never fit, allocating nothing for it", async () => {
    expect(await refusal({ type: "array", minItems: 1e12 })).toMatch(/GENERATED_OUTPUT_MAX_BYTES/);
    expect(await refusal({ type: "string", minLength: 1e12 })).toMatch(
      /GENERATED_OUTPUT_MAX_BYTES/,
    );
  });

  it("refuses a recursion that never ends, by its depth", async () => {
    for (const schema of [{ $ref: "#" }, { type: "array", minItems: 3, items: { $ref: "#" } }]) {
      expect(await refusal(schema)).toMatch(/nests deeper than 32 levels/);
    }
  });

  it("spends a step per schema visited, as many as the output has bytes", async () => {
    // Each item takes 2 bytes ("1,") and 12 steps through a chain of references.
    const chain = Object.fromEntries(
      Array.from({ length: 10 }, (_, i) => [`s${i}`, { $ref: `#/$defs/s${i + 1}` }]),
    );
    const schema = {
      $defs: { ...chain, s10: { const: 1 } },
      type: "array",
      items: { $ref: "#/$defs/s0" },
    };
    await expect(
      small.complete(providerRequest({ json: { schema: { ...schema, minItems: 80 } } })),
    ).resolves.toMatchObject({ finishReason: "stop" });
    expect(await refusal({ ...schema, minItems: 90 }, small)).toBe(
      "The demo model cannot answer this schema: it takes more work to build than GENERATED_OUTPUT_MAX_BYTES allows",
    );
  });

  it("answers a recursion that can end with only what each level requires", async () => {
    const tree = {
      type: "object",
      properties: { label: { type: "string" }, children: { type: "array", items: { $ref: "#" } } },
      required: ["children"],
    };
    expect(await jsonFor(tree)).toEqual({
      label: "demo",
      children: [{ label: "demo", children: [{ children: [] }] }],
    });
  });
});

describe("demo embeddings", () => {
  const embed = (inputs: string[], dimensions?: number) =>
    demo.embed!({
      model: "demo-embedding",
      inputs,
      dimensions,
      signal: new AbortController().signal,
      timeoutMs: 1000,
    });
  const dot = (a: number[], b: number[]) => a.reduce((sum, value, i) => sum + value * b[i]!, 0);

  it("gives the same unit vector for the same text, closer for texts that share words", async () => {
    const { vectors, inputTokens } = await embed([
      "Acme Corporation",
      "ACME Corp",
      "weather in Lisbon",
      "Acme Corporation",
    ]);
    const [acme, corp, weather, again] = vectors as [number[], number[], number[], number[]];
    expect(acme).toHaveLength(256);
    expect(again).toEqual(acme);
    expect(dot(acme, acme)).toBeCloseTo(1, 10);
    expect(dot(acme, corp)).toBeGreaterThan(dot(acme, weather));
    expect(inputTokens).toBe(4 + 3 + 5 + 4);
  });

  it("makes vectors of the length asked", async () => {
    const { vectors } = await embed(["hello"], 32);
    expect(vectors[0]).toHaveLength(32);
  });
});
