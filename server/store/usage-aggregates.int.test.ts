/**
 * The ledger's aggregate queries (totals, by day, by model, by token) on SQLite always and on
 * PostgreSQL when DATABASE_URL points at one (each run in its own throw-away schema): the same
 * numbers, as numbers, from both.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backends } from "../test/backends.ts";
import { openStore, type Store } from "./store.ts";
import type { TokenRow } from "./token-repository.ts";
import type { UsageRange, UsageRow } from "./usage-repository.ts";

function tokenRow(id: string, name: string): TokenRow {
  return {
    id,
    name,
    prefix: "ollm_AbC1234",
    secret_hash: `hash-${id}`,
    previous_secret_hash: null,
    previous_expires_at: null,
    scopes: "llm",
    rpm: null,
    budget_usd: null,
    expires_at: null,
    revoked_at: null,
    last_used_at: null,
    created_at: "2026-11-01T00:00:00.000Z",
  };
}

function row(overrides: Partial<UsageRow> & Pick<UsageRow, "created_at">): UsageRow {
  return {
    id: `use_${randomUUID()}`,
    token_id: "tok_a",
    request_id: `req_${randomUUID()}`,
    provider: "openai",
    model: "gpt-x",
    key_label: null,
    input_tokens: 100,
    output_tokens: 10,
    cost_nano_usd: 500_000_000,
    cached: 0,
    latency_ms: 20,
    status: "ok",
    error_code: null,
    ...overrides,
  };
}

/** November 2026, UTC days, both ends included. */
const november: UsageRange = {
  since: "2026-11-01T00:00:00.000Z",
  until: "2026-12-01T00:00:00.000Z",
};

const rows: UsageRow[] = [
  // Just outside, on either side.
  row({
    created_at: "2026-10-31T23:59:59.999Z",
    cost_nano_usd: 100_000_000_000,
    input_tokens: 100_000,
  }),
  row({
    created_at: "2026-12-01T00:00:00.000Z",
    cost_nano_usd: 200_000_000_000,
    input_tokens: 200_000,
  }),
  // Day 1: two gpt-x calls of token a (the first exactly at the start), one cached.
  row({
    created_at: "2026-11-01T00:00:00.000Z",
    input_tokens: 1000,
    output_tokens: 200,
    cost_nano_usd: 125_000_000,
  }),
  row({
    created_at: "2026-11-01T08:30:00.000Z",
    input_tokens: 1000,
    output_tokens: 200,
    cost_nano_usd: 0,
    cached: 1,
  }),
  // Day 3: claude-x for token b, one failed; and gpt-x for token a.
  row({
    created_at: "2026-11-03T10:00:00.000Z",
    token_id: "tok_b",
    provider: "anthropic",
    model: "claude-x",
    input_tokens: 400,
    output_tokens: 50,
    cost_nano_usd: 2_250_000_000,
  }),
  row({
    created_at: "2026-11-03T11:00:00.000Z",
    token_id: "tok_b",
    provider: "anthropic",
    model: "claude-x",
    input_tokens: 0,
    output_tokens: 0,
    cost_nano_usd: 0,
    status: "error",
    error_code: "upstream_error",
  }),
  row({
    created_at: "2026-11-03T23:59:59.999Z",
    input_tokens: 7,
    output_tokens: 3,
    cost_nano_usd: 62_500_000,
  }),
  // Day 30: a token the tokens table does not know.
  row({
    created_at: "2026-11-30T12:00:00.000Z",
    token_id: "tok_gone",
    provider: "demo",
    model: "demo",
    input_tokens: 5,
    output_tokens: 6,
    cost_nano_usd: 0,
  }),
];

for (const backend of backends) {
  describe.runIf(backend.enabled)(`usage aggregates on ${backend.dialect}`, () => {
    let store: Store;
    let cleanup: () => Promise<void>;

    beforeAll(async () => {
      const database = await backend.fresh();
      cleanup = database.cleanup;
      store = await openStore(database.url);
      await store.tokens.insert(tokenRow("tok_a", "Alice"));
      await store.tokens.insert(tokenRow("tok_b", "Bob"));
      for (const r of rows) await store.usage.record(r);
    });
    afterAll(async () => {
      await store?.close();
      await cleanup?.();
    });

    it("totals a range: calls, tokens, cost, cached and failed calls, as numbers", async () => {
      const totals = await store.usage.totals(november);
      expect(totals).toEqual({
        calls: 6,
        inputTokens: 2412,
        outputTokens: 459,
        costNanoUsd: 2_437_500_000,
        cachedCalls: 1,
        failedCalls: 1,
      });
      for (const value of Object.values(totals)) expect(typeof value).toBe("number");
    });

    it("totals one token's rows", async () => {
      expect(await store.usage.totals({ ...november, tokenId: "tok_a" })).toEqual({
        calls: 3,
        inputTokens: 2007,
        outputTokens: 403,
        costNanoUsd: 187_500_000,
        cachedCalls: 1,
        failedCalls: 0,
      });
    });

    it("answers zeros for an empty range", async () => {
      expect(
        await store.usage.totals({
          since: "2020-01-01T00:00:00.000Z",
          until: "2020-02-01T00:00:00.000Z",
        }),
      ).toEqual({
        calls: 0,
        inputTokens: 0,
        outputTokens: 0,
        costNanoUsd: 0,
        cachedCalls: 0,
        failedCalls: 0,
      });
      expect(await store.usage.byDay({ ...november, tokenId: "tok_nobody" })).toEqual([]);
    });

    it("groups by UTC day, oldest first", async () => {
      expect(await store.usage.byDay(november)).toEqual([
        {
          day: "2026-11-01",
          calls: 2,
          inputTokens: 2000,
          outputTokens: 400,
          costNanoUsd: 125_000_000,
        },
        {
          day: "2026-11-03",
          calls: 3,
          inputTokens: 407,
          outputTokens: 53,
          costNanoUsd: 2_312_500_000,
        },
        { day: "2026-11-30", calls: 1, inputTokens: 5, outputTokens: 6, costNanoUsd: 0 },
      ]);
      expect(await store.usage.byDay({ ...november, tokenId: "tok_b" })).toEqual([
        {
          day: "2026-11-03",
          calls: 2,
          inputTokens: 400,
          outputTokens: 50,
          costNanoUsd: 2_250_000_000,
        },
      ]);
    });

    it("groups by model and provider, the costliest first", async () => {
      expect(await store.usage.byModel(november)).toEqual([
        {
          model: "claude-x",
          provider: "anthropic",
          calls: 2,
          inputTokens: 400,
          outputTokens: 50,
          costNanoUsd: 2_250_000_000,
        },
        {
          model: "gpt-x",
          provider: "openai",
          calls: 3,
          inputTokens: 2007,
          outputTokens: 403,
          costNanoUsd: 187_500_000,
        },
        {
          model: "demo",
          provider: "demo",
          calls: 1,
          inputTokens: 5,
          outputTokens: 6,
          costNanoUsd: 0,
        },
      ]);
    });

    it("groups by token with its name (null when the token is unknown)", async () => {
      expect(await store.usage.byToken(november)).toEqual([
        {
          tokenId: "tok_b",
          name: "Bob",
          calls: 2,
          inputTokens: 400,
          outputTokens: 50,
          costNanoUsd: 2_250_000_000,
        },
        {
          tokenId: "tok_a",
          name: "Alice",
          calls: 3,
          inputTokens: 2007,
          outputTokens: 403,
          costNanoUsd: 187_500_000,
        },
        {
          tokenId: "tok_gone",
          name: null,
          calls: 1,
          inputTokens: 5,
          outputTokens: 6,
          costNanoUsd: 0,
        },
      ]);
    });

    it("includes the range's first instant and excludes its end", async () => {
      const wide = { since: "2026-10-31T23:59:59.999Z", until: "2026-12-01T00:00:00.001Z" };
      expect((await store.usage.totals(wide)).calls).toBe(rows.length);
      const oneDay = { since: "2026-11-03T00:00:00.000Z", until: "2026-11-04T00:00:00.000Z" };
      expect((await store.usage.totals(oneDay)).calls).toBe(3);
    });
  });
}
