/**
 * POST /api/v1/batch end to end: results in order, one item's failure never fails the others,
 * identical items are asked once and their copies recorded at no cost.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  expectNoKeys,
  ledger,
  ledgerWithin,
  OPENAI_KEY,
  ANTHROPIC_KEY,
  providerCases,
  startRig,
  uniquePrompt,
  type Rig,
} from "../test/llm-rig.ts";

interface BatchReply {
  results: (
    | {
        id: string;
        ok: true;
        completionId: string;
        model: string;
        provider: string;
        text: string;
        json?: unknown;
        usage: { inputTokens: number; outputTokens: number; costUsd: number };
        cached: boolean;
        latencyMs: number;
      }
    | { id: string; ok: false; error: { code: string; message: string } }
  )[];
}

let rig: Rig;

beforeAll(async () => {
  rig = await startRig();
});
afterAll(async () => {
  expectNoKeys([...rig.seen, rig.server.logs.text]);
  await rig.close();
});
beforeEach(() => rig.fake.reset());

describe.each(providerCases)("batch through $provider ($model)", (c) => {
  it("answers in order, fails only the bad item, and asks identical items once", async () => {
    const { id, token } = await rig.token();
    const [a, b, cPrompt] = [uniquePrompt("A"), uniquePrompt("B"), uniquePrompt("C")];
    const reply = await rig.post<BatchReply>("/api/v1/batch", token, {
      items: [
        { id: "a", model: c.model, prompt: a },
        { id: "b", model: c.model, prompt: b },
        { id: "a-again", model: c.model, prompt: a },
        { id: "bad", model: "no-such-model", prompt: a },
        { model: c.model, prompt: b },
        { id: "c", model: c.model, prompt: cPrompt, temperature: 0 },
        { id: "c-again", model: c.model, prompt: cPrompt, temperature: 0 },
      ],
    });
    expect(reply.status, reply.text).toBe(200);
    const { results } = reply.body;
    expect(results.map((result) => result.id)).toEqual([
      "a",
      "b",
      "a-again",
      "bad",
      "4",
      "c",
      "c-again",
    ]);
    expect(results.map((result) => result.ok)).toEqual([true, true, true, false, true, true, true]);
    const bad = results[3]!;
    if (bad.ok) throw new Error("unreachable");
    expect(bad.error.code).toBe("unknown_model");
    expect(bad.error.message).toMatch(/Unknown model 'no-such-model'/);

    const texts = results.map((result) => (result.ok ? result.text : undefined));
    expect(texts).toEqual([
      `echo: ${a}`,
      `echo: ${b}`,
      `echo: ${a}`,
      undefined,
      `echo: ${b}`,
      `echo: ${cPrompt}`,
      `echo: ${cPrompt}`,
    ]);
    // Three distinct questions, three upstream calls.
    expect(rig.fake.requests).toHaveLength(3);
    const cached = results.map((result) => (result.ok ? result.cached : undefined));
    expect(cached).toEqual([false, false, true, undefined, true, false, true]);
    for (const result of results) {
      if (!result.ok) continue;
      expect(result.model).toBe(c.model);
      expect(result.provider).toBe(c.provider);
      expect(result.completionId).toMatch(/^cmpl_/);
      if (result.cached) expect(result.usage.costUsd).toBe(0);
      else expect(result.usage.costUsd).toBeGreaterThan(0);
    }
    expect(new Set(results.flatMap((r) => (r.ok ? [r.completionId] : []))).size).toBe(6);

    const rows = await ledger(rig, id);
    expect(rows).toHaveLength(6);
    expect(rows.filter((row) => row.cached === 0 && row.cost_nano_usd > 0)).toHaveLength(3);
    expect(rows.filter((row) => row.cached === 1 && row.cost_nano_usd === 0)).toHaveLength(3);
    expect(rows.every((row) => row.status === "ok")).toBe(true);
  });

  it("keeps the other items when one fails upstream", async () => {
    const { id, token } = await rig.token();
    const [good, failing] = [uniquePrompt("good"), uniquePrompt("failing")];
    rig.fake.setResponder((call) =>
      call.lastUserText === failing
        ? { status: 400, message: `Invalid request (fake). Key: ${OPENAI_KEY} ${ANTHROPIC_KEY}` }
        : undefined,
    );
    const reply = await rig.post<BatchReply>("/api/v1/batch", token, {
      items: [
        { id: "1", model: c.model, prompt: good },
        { id: "2", model: c.model, prompt: failing },
        { id: "3", model: c.model, prompt: failing },
      ],
    });
    expect(reply.status, reply.text).toBe(200);
    const [first, second, third] = reply.body.results;
    expect(first).toMatchObject({ id: "1", ok: true, text: `echo: ${good}` });
    expect(second).toMatchObject({ id: "2", ok: false, error: { code: "upstream_error" } });
    expect(third).toMatchObject({ id: "3", ok: false, error: { code: "upstream_error" } });
    expect(JSON.stringify(second)).toContain("Invalid request (fake).");
    // The failing question was asked once (a 400 is not retried), its copy shares the failure;
    // each item has its row.
    expect(rig.fake.requests).toHaveLength(2);
    const rows = await ledger(rig, id);
    expect(rows.map((row) => row.status).sort()).toEqual(["error", "error", "ok"]);
    const failed = rows.filter((row) => row.status === "error");
    expect(failed.map((row) => [row.error_code, row.cost_nano_usd, row.cached])).toEqual([
      ["upstream_error", 0, 0],
      ["upstream_error", 0, 0],
    ]);
  });

  it("records every item as cancelled, copies too, when the caller goes away", async () => {
    const { id, token } = await rig.token();
    rig.fake.enqueue({ hang: true });
    const prompt = uniquePrompt("Leave");
    const controller = new AbortController();
    const pending = rig.post(
      "/api/v1/batch",
      token,
      {
        items: [
          { model: c.model, prompt },
          { model: c.model, prompt },
        ],
      },
      { signal: controller.signal },
    );
    await rig.fake.waitForRequests(1);
    controller.abort();
    await expect(pending).rejects.toThrow();
    await rig.fake.waitForAborted(1);
    const rows = await ledgerWithin(rig, id, 2);
    expect(rows.map((row) => [row.status, row.error_code, row.cost_nano_usd])).toEqual([
      ["error", "cancelled", 0],
      ["error", "cancelled", 0],
    ]);
    // Asked once: the copy waited for the first asking and shares its end.
    expect(rig.fake.requests).toHaveLength(1);
  });

  it("answers structured items, mixed with another provider's model", async () => {
    const { token } = await rig.token();
    const schema = {
      type: "object",
      properties: { label: { type: "string", enum: ["yes", "no"] } },
      required: ["label"],
      additionalProperties: false,
    };
    const reply = await rig.post<BatchReply>("/api/v1/batch", token, {
      items: [
        { model: c.model, prompt: uniquePrompt("yes?"), responseFormat: { type: "json", schema } },
        { model: c.other, prompt: uniquePrompt("other") },
      ],
    });
    expect(reply.status, reply.text).toBe(200);
    expect(reply.body.results[0]).toMatchObject({ ok: true, json: { label: "yes" } });
    expect(reply.body.results[1]).toMatchObject({ ok: true, provider: c.otherProvider });
    expect(rig.fake.requests.map((r) => r.provider).sort()).toEqual(
      [c.provider, c.otherProvider].sort(),
    );
  });

  it("refuses a batch over budget item by item, without calling upstream", async () => {
    const { id, token } = await rig.token({ budgetUsd: 0.000001 });
    await rig.server.store.usage.record({
      id: `usage-${id}`,
      token_id: id,
      request_id: "earlier",
      provider: c.provider,
      model: c.model,
      key_label: null,
      input_tokens: 1000,
      output_tokens: 1000,
      cost_nano_usd: 10_000_000,
      cached: 0,
      latency_ms: 100,
      status: "ok",
      error_code: null,
      created_at: rig.server.clock.now().toISOString(),
    });
    const reply = await rig.post<BatchReply>("/api/v1/batch", token, {
      items: [
        { model: c.model, prompt: uniquePrompt("one") },
        { model: c.model, prompt: uniquePrompt("two") },
      ],
    });
    expect(reply.status, reply.text).toBe(200);
    for (const result of reply.body.results) {
      expect(result).toMatchObject({ ok: false, error: { code: "budget_exceeded" } });
    }
    expect(rig.fake.requests).toHaveLength(0);
    const refused = (await ledger(rig, id)).filter((row) => row.request_id !== "earlier");
    expect(refused.map((row) => [row.status, row.error_code, row.cost_nano_usd])).toEqual([
      ["error", "budget_exceeded", 0],
      ["error", "budget_exceeded", 0],
    ]);
  });
});

describe("batch validation", () => {
  it("answers 400 for an empty batch", async () => {
    const { token } = await rig.token();
    const reply = await rig.post("/api/v1/batch", token, { items: [] });
    expect(reply.status).toBe(400);
    expect(rig.fake.requests).toHaveLength(0);
  });

  it("answers 400 for a body that is no batch, or over BATCH_MAX_ITEMS items", async () => {
    const { token } = await rig.token();
    const item = { prompt: "x" };
    for (const [body, problem] of [
      [{ items: Array.from({ length: 501 }, () => item) }, /^body\.items: Too big/],
      [{ items: item }, /^body\.items: /],
      [{ items: [item], extra: true }, /^body\.extra: is not a known field/],
      [[item], /^body: /],
    ] as const) {
      const reply = await rig.post<{ error: { code: string; message: string } }>(
        "/api/v1/batch",
        token,
        body,
      );
      expect(reply.status, reply.text).toBe(400);
      expect(reply.body.error.message).toMatch(problem);
    }
    expect(rig.fake.requests).toHaveLength(0);
  });

  it("answers a malformed item alone with its 400, and the other items as usual", async () => {
    const { id, token } = await rig.token();
    const prompt = uniquePrompt("fine");
    const reply = await rig.post<BatchReply>("/api/v1/batch", token, {
      items: [
        { prompt },
        { prompt: 42 },
        { id: "mine", prompt: "x", temperature: "hot" },
        { id: "both", prompt: "x", messages: [{ role: "user", content: "y" }] },
        { id: 7, prompt: "x", unknown: true },
        "not an item",
      ],
    });
    expect(reply.status, reply.text).toBe(200);
    const [fine, ...malformed] = reply.body.results;
    expect(fine).toMatchObject({ id: "0", ok: true, text: `echo: ${prompt}` });
    expect(malformed).toEqual([
      {
        id: "1",
        ok: false,
        error: {
          code: "invalid_request",
          message: "body.items.1.prompt: Invalid input: expected string, received number",
        },
      },
      {
        id: "mine",
        ok: false,
        error: {
          code: "invalid_request",
          message: "body.items.2.temperature: Invalid input: expected number, received string",
        },
      },
      {
        id: "both",
        ok: false,
        error: {
          code: "invalid_request",
          message: "body.items.3.messages: send only one of prompt, messages",
        },
      },
      // An id that is not one cannot name the item: its index does.
      {
        id: "4",
        ok: false,
        error: {
          code: "invalid_request",
          message: "body.items.4.id: Invalid input: expected string, received number (and 1 more)",
        },
      },
      {
        id: "5",
        ok: false,
        error: {
          code: "invalid_request",
          message: "body.items.5: Invalid input: expected object, received string",
        },
      },
    ]);
    // Only the good item was asked and has a ledger row: a malformed one is refused beforehand.
    expect(rig.fake.requests).toHaveLength(1);
    expect(await ledger(rig, id)).toHaveLength(1);
  });
});
