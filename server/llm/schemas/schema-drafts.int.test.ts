/**
 * A JSON Schema as zod 4 writes it (`z.toJSONSchema`, with its 2020-12 `$schema`) works on every
 * endpoint that takes one, for an OpenAI and an Anthropic model: the answer is checked by the
 * schema's own draft. A tuple is where drafts differ (2020-12 `prefixItems`, then `items: false`),
 * so an answer checked as draft-07 would be refused.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { providerCases, startRig, uniquePrompt, type Rig } from "../../test/llm-rig.ts";

const schema = z.toJSONSchema(
  z.object({ name: z.string(), at: z.tuple([z.string(), z.number()]) }),
) as Record<string, unknown>;

const fitting = { name: expect.any(String), at: [expect.any(String), 0] };

let rig: Rig;
let token: string;
beforeAll(async () => {
  rig = await startRig();
  token = (await rig.token()).token;
});
afterAll(() => rig.close());

describe("a schema of a draft the gateway does not know", () => {
  const draft4 = { $schema: "http://json-schema.org/draft-04/schema#", type: "object" };
  const refusals: [string, string, Record<string, unknown>][] = [
    [
      "/api/v1/completions",
      "responseFormat.schema",
      { prompt: "hi", responseFormat: { type: "json", schema: draft4 } },
    ],
    [
      "/v1/chat/completions",
      "body.response_format.json_schema.schema",
      {
        messages: [{ role: "user", content: "hi" }],
        response_format: { type: "json_schema", json_schema: { name: "x", schema: draft4 } },
      },
    ],
    [
      "/v1/responses",
      "body.text.format.schema",
      { input: "hi", text: { format: { type: "json_schema", name: "x", schema: draft4 } } },
    ],
  ];
  it.each(refusals)("on %s: 400 naming %s, and the drafts it knows", async (path, field, body) => {
    const reply = await rig.post<{ error: { code: string; message: string } }>(path, token, {
      model: "gpt-4.1-mini",
      ...body,
    });
    expect([reply.status, reply.body.error.code]).toEqual([400, "invalid_request"]);
    expect(reply.body.error.message.startsWith(`${field}: $schema`), reply.text).toBe(true);
    expect(reply.body.error.message).toMatch(/use draft 2020-12, 2019-09 or draft-07/);
  });
});

describe.each(providerCases)("a zod 4 schema with $model ($provider)", ({ model }) => {
  it("on /api/v1/completions", async () => {
    expect(schema.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
    const reply = await rig.post("/api/v1/completions", token, {
      model,
      prompt: uniquePrompt("who"),
      responseFormat: { type: "json", schema },
    });
    expect(reply.status, reply.text).toBe(200);
    expect(reply.body.json).toEqual(fitting);
  });

  it("on every item of /api/v1/batch", async () => {
    const reply = await rig.post<{ results: { ok: boolean; json?: unknown }[] }>(
      "/api/v1/batch",
      token,
      {
        items: [1, 2].map((n) => ({
          id: `item${n}`,
          model,
          prompt: uniquePrompt(`who ${n}`),
          responseFormat: { type: "json", schema },
        })),
      },
    );
    expect(reply.status, reply.text).toBe(200);
    expect(reply.body.results).toEqual([
      expect.objectContaining({ ok: true, json: fitting }),
      expect.objectContaining({ ok: true, json: fitting }),
    ]);
  });

  it("on every item of a job (/api/v1/jobs, as Excel's EXTRACT and TABLE send theirs)", async () => {
    const started = await rig.post<{ id: string }>("/api/v1/jobs", token, {
      items: [1, 2].map((n) => ({
        id: `item${n}`,
        model,
        prompt: uniquePrompt(`who ${n}`),
        responseFormat: { type: "json", schema },
      })),
    });
    expect(started.status, started.text).toBe(202);
    const response = await rig.server.fetch(`/api/v1/jobs/${started.body.id}?wait=30`, { token });
    const job = (await response.json()) as { status: string; results: unknown[] };
    expect(job.status).toBe("done");
    expect(job.results).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: "item1", ok: true, json: fitting }),
        expect.objectContaining({ id: "item2", ok: true, json: fitting }),
      ]),
    );
  });

  it("on /v1/chat/completions response_format", async () => {
    const reply = await rig.post<{ choices: { message: { content: string } }[] }>(
      "/v1/chat/completions",
      token,
      {
        model,
        messages: [{ role: "user", content: uniquePrompt("who") }],
        response_format: { type: "json_schema", json_schema: { name: "who", schema } },
      },
    );
    expect(reply.status, reply.text).toBe(200);
    expect(JSON.parse(reply.body.choices[0]!.message.content)).toEqual(fitting);
  });

  it("on /v1/responses text.format", async () => {
    const reply = await rig.post<{ output: { content: { text: string }[] }[] }>(
      "/v1/responses",
      token,
      {
        model,
        input: uniquePrompt("who"),
        text: { format: { type: "json_schema", name: "who", schema } },
      },
    );
    expect(reply.status, reply.text).toBe(200);
    expect(JSON.parse(reply.body.output[0]!.content[0]!.text)).toEqual(fitting);
  });
});
