/**
 * GET /api/v1/usage and GET /api/v1/admin/usage over HTTP: the numbers come from real
 * completion calls plus ledger rows written directly across days, models and tokens (some
 * outside the range), and they add up across every breakdown.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, type ErrorBody } from "../test/api.ts";
import { startTestServer, TestClock, type TestServer } from "../test/harness.ts";
import type { UsageRow } from "../store/usage-repository.ts";

interface Sums {
  calls: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
}
interface Totals extends Sums {
  cachedCalls: number;
  failedCalls: number;
}
interface Usage {
  from: string;
  to: string;
  totals: Totals;
  byDay: (Sums & { day: string })[];
  byModel: (Sums & { model: string; provider: string })[];
}
interface AdminUsage extends Usage {
  byToken: (Sums & { tokenId: string; name: string | null })[];
}
interface Completion {
  usage: { inputTokens: number; outputTokens: number; costUsd: number };
  cached: boolean;
}

let server: TestServer;
let alice: { id: string; token: string };
let bob: { id: string; token: string };
let admin: { id: string; token: string };
/** Alice's three demo calls today: in and out tokens. */
const demo = { inputTokens: 0, outputTokens: 0 };

function ledgerRow(overrides: Partial<UsageRow> & Pick<UsageRow, "created_at">): UsageRow {
  return {
    id: randomUUID(),
    token_id: alice.id,
    request_id: `req_${randomUUID()}`,
    provider: "openai",
    model: "gpt-x",
    key_label: null,
    input_tokens: 1000,
    output_tokens: 100,
    cost_nano_usd: 250_000_000,
    cached: 0,
    latency_ms: 10,
    status: "ok",
    error_code: null,
    ...overrides,
  };
}

const sumOf = (entries: Sums[]) =>
  entries.reduce(
    (total, e) => ({
      calls: total.calls + e.calls,
      inputTokens: total.inputTokens + e.inputTokens,
      outputTokens: total.outputTokens + e.outputTokens,
      costUsd: total.costUsd + e.costUsd,
    }),
    { calls: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 },
  );

function expectConsistent(usage: Usage) {
  const { cachedCalls: _c, failedCalls: _f, ...totals } = usage.totals;
  for (const breakdown of [usage.byDay, usage.byModel]) {
    const sum = sumOf(breakdown);
    expect({ ...sum, costUsd: 0 }).toEqual({ ...totals, costUsd: 0 });
    expect(sum.costUsd).toBeCloseTo(totals.costUsd, 10);
  }
}

beforeAll(async () => {
  server = await startTestServer({
    clock: new TestClock("2026-11-25T12:00:00.000Z"),
    env: { AUTH_FAILURES_PER_MINUTE: "100000", RATE_LIMIT_RPM: "100000" },
  });
  alice = await server.token({ name: "Alice" });
  bob = await server.token({ name: "Bob" });
  admin = await server.token({ name: "Ops", scopes: ["admin"] });

  // Three real calls by Alice today: two answered upstream, one from the cache.
  const ask = (prompt: string) =>
    api<Completion>(server, alice.token, "POST", "/api/v1/completions", {
      prompt,
      temperature: 0,
    });
  for (const prompt of [
    "How many days in November?",
    "Spell Excel backwards",
    "Spell Excel backwards",
  ]) {
    const reply = await ask(prompt);
    expect(reply.status, reply.text).toBe(200);
    demo.inputTokens += reply.body.usage.inputTokens;
    demo.outputTokens += reply.body.usage.outputTokens;
  }

  for (const row of [
    // Alice, earlier this month: gpt-x, and a failed claude-x call.
    ledgerRow({ created_at: "2026-11-03T09:00:00.000Z" }),
    ledgerRow({
      created_at: "2026-11-03T17:00:00.000Z",
      input_tokens: 500,
      output_tokens: 50,
      cost_nano_usd: 125_000_000,
    }),
    ledgerRow({
      created_at: "2026-11-10T08:00:00.000Z",
      provider: "anthropic",
      model: "claude-x",
      input_tokens: 0,
      output_tokens: 0,
      cost_nano_usd: 0,
      status: "error",
      error_code: "upstream_timeout",
    }),
    // Alice, outside the default range: last month, and tomorrow.
    ledgerRow({ created_at: "2026-10-31T23:59:59.999Z", cost_nano_usd: 40_000_000_000 }),
    ledgerRow({ created_at: "2026-11-26T00:00:00.000Z", cost_nano_usd: 80_000_000_000 }),
    // Bob this month.
    ledgerRow({
      created_at: "2026-11-20T12:00:00.000Z",
      token_id: bob.id,
      provider: "anthropic",
      model: "claude-x",
      input_tokens: 2000,
      output_tokens: 300,
      cost_nano_usd: 1_500_000_000,
    }),
  ])
    await server.store.usage.record(row);
});
afterAll(() => server.close());

const get = <T>(token: string, path: string) => api<T>(server, token, "GET", path);

describe("GET /api/v1/usage", () => {
  it("reports the caller's month to date by default, from the ledger", async () => {
    const reply = await get<Usage>(alice.token, "/api/v1/usage");
    expect(reply.status, reply.text).toBe(200);
    const usage = reply.body;
    expect(usage.from).toBe("2026-11-01");
    expect(usage.to).toBe("2026-11-25");
    expect(usage.totals).toEqual({
      calls: 6,
      inputTokens: 1500 + demo.inputTokens,
      outputTokens: 150 + demo.outputTokens,
      costUsd: 0.375,
      cachedCalls: 1,
      failedCalls: 1,
    });
    expect(usage.byDay).toEqual([
      { day: "2026-11-03", calls: 2, inputTokens: 1500, outputTokens: 150, costUsd: 0.375 },
      { day: "2026-11-10", calls: 1, inputTokens: 0, outputTokens: 0, costUsd: 0 },
      { day: "2026-11-25", calls: 3, ...demo, costUsd: 0 },
    ]);
    expect(usage.byModel).toEqual([
      {
        model: "gpt-x",
        provider: "openai",
        calls: 2,
        inputTokens: 1500,
        outputTokens: 150,
        costUsd: 0.375,
      },
      { model: "demo", provider: "demo", calls: 3, ...demo, costUsd: 0 },
      {
        model: "claude-x",
        provider: "anthropic",
        calls: 1,
        inputTokens: 0,
        outputTokens: 0,
        costUsd: 0,
      },
    ]);
    expectConsistent(usage);
  });

  it("takes an explicit range, both ends included", async () => {
    const wide = await get<Usage>(alice.token, "/api/v1/usage?from=2026-10-31&to=2026-11-26");
    expect(wide.status, wide.text).toBe(200);
    expect(wide.body.totals.calls).toBe(8);
    expect(wide.body.totals.costUsd).toBeCloseTo(120.375, 10);
    expect(wide.body.byDay.map((d) => d.day)).toEqual([
      "2026-10-31",
      "2026-11-03",
      "2026-11-10",
      "2026-11-25",
      "2026-11-26",
    ]);
    expectConsistent(wide.body);

    const oneDay = await get<Usage>(alice.token, "/api/v1/usage?from=2026-11-03&to=2026-11-03");
    expect(oneDay.body.totals).toMatchObject({ calls: 2, costUsd: 0.375 });
  });

  it("starts at the 1st of to's month when only to is given", async () => {
    const reply = await get<Usage>(alice.token, "/api/v1/usage?to=2026-10-31");
    expect(reply.status, reply.text).toBe(200);
    expect(reply.body).toMatchObject({ from: "2026-10-01", to: "2026-10-31" });
    expect(reply.body.totals).toMatchObject({ calls: 1, costUsd: 40 });
  });

  it("shows each caller only its own calls", async () => {
    const reply = await get<Usage>(bob.token, "/api/v1/usage");
    expect(reply.body.totals).toEqual({
      calls: 1,
      inputTokens: 2000,
      outputTokens: 300,
      costUsd: 1.5,
      cachedCalls: 0,
      failedCalls: 0,
    });
    expect(reply.body.byModel.map((m) => m.model)).toEqual(["claude-x"]);
    const fresh = await server.token();
    const empty = await get<Usage>(fresh.token, "/api/v1/usage");
    expect(empty.body).toEqual({
      from: "2026-11-01",
      to: "2026-11-25",
      totals: {
        calls: 0,
        inputTokens: 0,
        outputTokens: 0,
        costUsd: 0,
        cachedCalls: 0,
        failedCalls: 0,
      },
      byDay: [],
      byModel: [],
    });
  });

  const invalid: [string, string][] = [
    ["from=2026-13-01", "query.from"],
    ["from=2026-02-30", "query.from"],
    ["to=2026-11-31", "query.to"],
    ["from=2026/11/01", "query.from"],
    ["from=20261101", "query.from"],
    ["from=2026-11-01T00:00:00Z", "query.from"],
    ["to=yesterday", "query.to"],
    ["from=2026-11-10&to=2026-11-09", "query.from"],
    ["from=2026-12-01", "query.from"],
    ["from=2026-11-01&from=2026-11-02", "query.from"],
  ];
  for (const [query, path] of invalid) {
    it(`refuses ${query} with 400 naming ${path}`, async () => {
      const reply = await get<ErrorBody>(alice.token, `/api/v1/usage?${query}`);
      expect(reply.status).toBe(400);
      expect(reply.body.error.code).toBe("invalid_request");
      expect(reply.body.error.details?.map((d) => d.path)).toContain(path);
    });
  }
});

describe("GET /api/v1/admin/usage", () => {
  it("reports everyone, by token with names, and the totals add up", async () => {
    const reply = await get<AdminUsage>(admin.token, "/api/v1/admin/usage");
    expect(reply.status, reply.text).toBe(200);
    const usage = reply.body;
    expect(usage).toMatchObject({ from: "2026-11-01", to: "2026-11-25" });
    expect(usage.totals).toEqual({
      calls: 7,
      inputTokens: 3500 + demo.inputTokens,
      outputTokens: 450 + demo.outputTokens,
      costUsd: 1.875,
      cachedCalls: 1,
      failedCalls: 1,
    });
    expect(usage.byToken).toEqual([
      {
        tokenId: bob.id,
        name: "Bob",
        calls: 1,
        inputTokens: 2000,
        outputTokens: 300,
        costUsd: 1.5,
      },
      {
        tokenId: alice.id,
        name: "Alice",
        calls: 6,
        inputTokens: 1500 + demo.inputTokens,
        outputTokens: 150 + demo.outputTokens,
        costUsd: 0.375,
      },
    ]);
    expect(usage.byModel.map((m) => [m.model, m.calls])).toEqual([
      ["claude-x", 2],
      ["gpt-x", 2],
      ["demo", 3],
    ]);
    expectConsistent(usage);
    const { cachedCalls: _c, failedCalls: _f, ...totals } = usage.totals;
    expect(sumOf(usage.byToken)).toEqual(totals);
  });

  it("takes the same range and refuses the same bad dates", async () => {
    const reply = await get<AdminUsage>(
      admin.token,
      "/api/v1/admin/usage?from=2026-11-20&to=2026-11-20",
    );
    expect(reply.body.byToken.map((t) => t.tokenId)).toEqual([bob.id]);
    const bad = await get<ErrorBody>(
      admin.token,
      "/api/v1/admin/usage?from=2026-11-02&to=2026-11-01",
    );
    expect(bad.status).toBe(400);
  });

  it("is for admins only", async () => {
    const reply = await get<ErrorBody>(alice.token, "/api/v1/admin/usage");
    expect(reply.status).toBe(403);
  });
});
