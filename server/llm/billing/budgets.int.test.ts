/**
 * Monthly budgets end to end, over real HTTP with the fake provider: each call holds its maximum
 * cost before it goes upstream, so that neither the last call nor many at once can spend past
 * the budget, on one instance or several sharing the database (SQLite always, PostgreSQL when
 * DATABASE_URL points at one); the hold goes once the call is recorded, failed or cancelled.
 * Answers from the upstream fake are held back (`after`) until every request has either been
 * refused or reached it, so the calls are truly in flight together.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { backends, type FreshDatabase } from "../../test/backends.ts";
import { startFakeProvider, type FakeProvider } from "../../test/fake-provider.ts";
import type { TestServer } from "../../test/harness.ts";
import {
  catalogNanoUsd,
  ledger,
  ledgerWithin,
  startGatewayServer,
  startRig,
  uniquePrompt,
  type CompletionBody,
  type ErrorBody,
  type Rig,
} from "../../test/llm-rig.ts";

const MODEL = "gpt-4.1-mini";
const MAX_TOKENS = 1000;
/**
 * Room for one call of up to MAX_TOKENS output tokens and a short prompt's input (the server
 * holds at most a few dozen input tokens for these prompts): N of these hold N calls, never N+1.
 */
const ONE_CALL_NANO_USD = catalogNanoUsd(MODEL, 75, MAX_TOKENS);
/** An answer of MAX_TOKENS tokens (the fake counts three characters a token). */
const FULL_ANSWER = "x".repeat(3 * MAX_TOKENS);

/** A promise and the function that settles it: the gate the fake's answers wait behind. */
function gate(): { opened: Promise<void>; open(): void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

interface Reply<T> {
  status: number;
  body: T;
  text: string;
}

async function post<T = CompletionBody>(
  server: TestServer,
  token: string,
  body: unknown,
  path = "/api/v1/completions",
  signal?: AbortSignal,
): Promise<Reply<T>> {
  const response = await server.fetch(path, {
    method: "POST",
    token,
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
    ...(signal ? { signal } : {}),
  });
  const text = await response.text();
  const json = (response.headers.get("content-type") ?? "").includes("json");
  return { status: response.status, body: (json ? JSON.parse(text) : undefined) as T, text };
}

/** What a token's ledger rows cost, in nano-dollars. */
async function spent(server: TestServer, tokenId: string): Promise<number> {
  const rows = await server.store.usage.listForToken(tokenId);
  return rows.reduce((sum, row) => sum + row.cost_nano_usd, 0);
}

for (const backend of backends) {
  describe.runIf(backend.enabled)(`budgets on ${backend.dialect}, two instances`, () => {
    let fake: FakeProvider;
    let database: FreshDatabase;
    let instances: TestServer[];

    beforeAll(async () => {
      fake = await startFakeProvider();
      database = await backend.fresh();
      instances = [];
      // One after the other: the second finds the schema migrated.
      for (let i = 0; i < 2; i++)
        instances.push(await startGatewayServer(fake, { DATABASE_URL: database.url }));
    });
    afterAll(async () => {
      for (const instance of instances) await instance.close();
      await fake.close();
      await database.cleanup();
    });
    beforeEach(() => fake.reset());

    it("lets at most N of 3N concurrent calls through a budget that holds N calls' maximum cost", async () => {
      const n = 4;
      const budgetNanoUsd = n * ONE_CALL_NANO_USD;
      const { id, token } = await instances[0]!.token({ budgetUsd: budgetNanoUsd / 1e9 });
      const upstream = gate();
      fake.setResponder(() => ({ text: FULL_ANSWER, gate: upstream.opened }));

      let settled = 0;
      const replies = Array.from({ length: 3 * n }, (_, i) =>
        post<CompletionBody | ErrorBody>(instances[i % 2]!, token, {
          model: MODEL,
          prompt: uniquePrompt("Spend"),
          maxTokens: MAX_TOKENS,
        }).finally(() => settled++),
      );
      await until(() => settled + fake.calls.length === 3 * n, "every call is refused or upstream");
      upstream.open();
      const results = await Promise.all(replies);

      const answered = results.filter((reply) => reply.status === 200);
      expect(answered).toHaveLength(n);
      for (const reply of results.filter((each) => each.status !== 200)) {
        expect(reply.status, reply.text).toBe(429);
        expect((reply.body as ErrorBody).error.code).toBe("budget_exceeded");
      }
      const total = await spent(instances[1]!, id);
      expect(total).toBeGreaterThan((n - 1) * ONE_CALL_NANO_USD);
      expect(total).toBeLessThanOrEqual(budgetNanoUsd);
      expect(await instances[0]!.store.usage.spendSince(id, "2026-11-01T00:00:00.000Z")).toBe(
        total,
      );
    });

    it("gives a call's reservation back when the provider fails it", async () => {
      const { id, token } = await instances[0]!.token({ budgetUsd: ONE_CALL_NANO_USD / 1e9 });
      const upstream = gate();
      fake.enqueue({ status: 400, message: "Refused (fake).", gate: upstream.opened });
      const ask = (on: TestServer) =>
        post<ErrorBody>(on, token, {
          model: MODEL,
          prompt: uniquePrompt("Fails"),
          maxTokens: MAX_TOKENS,
        });

      const failing = ask(instances[0]!);
      await fake.waitForRequests(1);
      // Held for the failing call, on the other instance too.
      const meanwhile = await ask(instances[1]!);
      expect(meanwhile.status, meanwhile.text).toBe(429);
      expect(meanwhile.body.error.code).toBe("budget_exceeded");
      upstream.open();
      expect((await failing).status).toBe(502);

      const after = await ask(instances[1]!);
      expect(after.status, after.text).toBe(200);
      const rows = await instances[0]!.store.usage.listForToken(id);
      expect(rows.map((row) => row.error_code).sort()).toEqual(
        ["budget_exceeded", "upstream_error", null].sort(),
      );
    });
  });
}

describe("budgets on one instance", () => {
  let rig: Rig;

  beforeAll(async () => {
    rig = await startRig();
  });
  afterAll(() => rig.close());
  beforeEach(() => rig.fake.reset());

  const ask = <T = CompletionBody>(
    token: string,
    body: Record<string, unknown>,
    signal?: AbortSignal,
  ) =>
    rig.post<T>(
      "/api/v1/completions",
      token,
      { model: MODEL, maxTokens: MAX_TOKENS, ...body },
      signal ? { signal } : {},
    );

  it("gives a cancelled call's reservation back", async () => {
    const { id, token } = await rig.token({ budgetUsd: ONE_CALL_NANO_USD / 1e9 });
    rig.fake.enqueue({ hang: true });
    const leaving = new AbortController();
    const cancelled = ask(token, { prompt: uniquePrompt("Leaves") }, leaving.signal);
    await rig.fake.waitForRequests(1);
    const meanwhile = await ask<ErrorBody>(token, { prompt: uniquePrompt("Meanwhile") });
    expect(meanwhile.status, meanwhile.text).toBe(429);

    leaving.abort();
    await expect(cancelled).rejects.toThrow();
    const rows = await ledgerWithin(rig, id, 2);
    expect(rows.map((row) => row.error_code).sort()).toEqual(["budget_exceeded", "cancelled"]);
    const after = await ask(token, { prompt: uniquePrompt("After") });
    expect(after.status, after.text).toBe(200);
  });

  it("holds a stream's reservation until the stream ends", async () => {
    const { token } = await rig.token({ budgetUsd: ONE_CALL_NANO_USD / 1e9 });
    const upstream = gate();
    rig.fake.enqueue({ text: "streamed answer", gate: upstream.opened });
    const streaming = ask(token, { prompt: uniquePrompt("Stream"), stream: true });
    await rig.fake.waitForRequests(1);
    const meanwhile = await ask<ErrorBody>(token, {
      prompt: uniquePrompt("Meanwhile"),
      stream: true,
    });
    expect(meanwhile.status, meanwhile.text).toBe(429);
    expect(meanwhile.body.error.code).toBe("budget_exceeded");
    upstream.open();
    const streamed = await streaming;
    expect(streamed.status).toBe(200);
    expect(streamed.text).toContain("event: done");
    const after = await ask(token, { prompt: uniquePrompt("After"), stream: true });
    expect(after.status, after.text).toBe(200);
  });

  it("holds nothing for callers sharing a call, and the shared call's reservation counts", async () => {
    const { id, token } = await rig.token({ budgetUsd: ONE_CALL_NANO_USD / 1e9 });
    const upstream = gate();
    rig.fake.enqueue({ text: "shared answer", gate: upstream.opened });
    const same = { prompt: uniquePrompt("Same for all"), temperature: 0 };
    const sharing = Array.from({ length: 5 }, () => ask(token, same));
    await rig.fake.waitForRequests(1);
    // The one upstream call holds the budget; a different call does not fit beside it.
    const other = await ask<ErrorBody>(token, { prompt: uniquePrompt("Other") });
    expect(other.status, other.text).toBe(429);
    upstream.open();
    const replies = await Promise.all(sharing);
    expect(replies.map((reply) => reply.status)).toEqual([200, 200, 200, 200, 200]);
    expect(rig.fake.calls).toHaveLength(1);
    // A cache hit holds nothing either: it is answered beside a call that holds the budget.
    const holding = gate();
    rig.fake.enqueue({ text: "held", gate: holding.opened });
    const busy = ask(token, { prompt: uniquePrompt("Busy") });
    await rig.fake.waitForRequests(2);
    const hit = await ask(token, same);
    expect(hit.status, hit.text).toBe(200);
    expect(hit.body.cached).toBe(true);
    holding.open();
    expect((await busy).status).toBe(200);
    expect((await ledger(rig, id)).filter((row) => row.cost_nano_usd > 0)).toHaveLength(2);
  });

  it("compiles a caller's schema only once its call is within the budget", async () => {
    // Only compiling finds this schema wrong: its reference leads nowhere.
    const schema = { type: "object", properties: { a: { $ref: "#/$defs/missing" } } };
    const { id, token } = await rig.token({ budgetUsd: ONE_CALL_NANO_USD / 1e9 });
    rig.fake.enqueue({ text: FULL_ANSWER });
    expect((await ask(token, { prompt: uniquePrompt("Spend it") })).status).toBe(200);

    const refused = await ask<ErrorBody>(token, {
      prompt: uniquePrompt("Schema"),
      responseFormat: { type: "json", schema },
    });
    expect(refused.status, refused.text).toBe(429);
    expect(refused.body.error.code).toBe("budget_exceeded");

    // Within a budget, the same schema is the caller's error, and its reservation is given back.
    const rich = await rig.token({ budgetUsd: (10 * ONE_CALL_NANO_USD) / 1e9 });
    const invalid = await ask<ErrorBody>(rich.token, {
      prompt: uniquePrompt("Schema"),
      responseFormat: { type: "json", schema },
    });
    expect(invalid.status, invalid.text).toBe(400);
    expect(invalid.body.error.message).toMatch(/schema/i);
    const now = rig.server.clock.now().toISOString();
    expect(await rig.server.store.reservations.standing(rich.id, now, now)).toEqual({
      spentNanoUsd: 0,
      heldNanoUsd: 0,
    });
    expect(rig.fake.calls).toHaveLength(1);
    expect((await ledger(rig, id)).map((row) => row.error_code)).toEqual([null, "budget_exceeded"]);
  });
});
