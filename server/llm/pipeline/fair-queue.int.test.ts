/**
 * Provider slots as an organisation sees them, end to end over real HTTP: one token's large batch
 * does not hold another token's single call behind it, a call that waits too long for a slot is
 * told so (503 queue_timeout), never a generic 503 or 504, and with the default settings
 * hundreds of calls go upstream at once.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  ledgerWithin,
  startRig,
  uniquePrompt,
  type CompletionBody,
  type ErrorBody,
  type Rig,
} from "../../test/llm-rig.ts";

const MODEL = "gpt-4.1-mini";

/** Four slots for the provider; every other setting its default. */
let narrow: Rig;
/** One slot, one call per token, and calls wait for either at most half a second. */
let single: Rig;
/** The defaults. */
let defaults: Rig;

beforeAll(async () => {
  [narrow, single, defaults] = await Promise.all([
    startRig({ env: { PROVIDER_CONCURRENCY: "4" } }),
    startRig({
      env: {
        PROVIDER_CONCURRENCY: "1",
        TOKEN_MAX_IN_FLIGHT: "1",
        QUEUE_TIMEOUT_MS: "500",
        LLM_MAX_RETRIES: "0",
      },
    }),
    startRig(),
  ]);
});
afterAll(() => Promise.all([narrow, single, defaults].map((rig) => rig.close())));
beforeEach(() => {
  for (const rig of [narrow, single, defaults]) rig.fake.reset();
});

/** Resolves once `reached()` holds, checked every few milliseconds; fails after `timeoutMs`. */
async function until(reached: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!reached()) {
    if (Date.now() > deadline) throw new Error(`waited ${timeoutMs} ms for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Calls of a token waiting for a provider slot so far, as the log tells them. */
function queuedCalls(rig: Rig, tokenId: string): number {
  const mark = `"tokenId":"${tokenId}"`;
  return rig.server.logs.lines.filter(
    (line) => line.includes("call queued for a provider slot") && line.includes(mark),
  ).length;
}

const complete = (rig: Rig, token: string, prompt: string, extra: Record<string, unknown> = {}) =>
  rig.post<CompletionBody>("/api/v1/completions", token, { model: MODEL, prompt, ...extra });

describe("provider slots shared among tokens", () => {
  it("gives the next free slot to another token's single call, not to the batch queued before it", async () => {
    const a = await narrow.token();
    const b = await narrow.token();
    // A's answers are held until the test lets each one go; B's come at once.
    const letGo: (() => void)[] = [];
    narrow.fake.setResponder((call) =>
      call.lastUserText.startsWith("batch")
        ? { text: "a", gate: new Promise<void>((resolve) => letGo.push(resolve)) }
        : { text: "b" },
    );

    const batch = Array.from({ length: 40 }, () =>
      complete(narrow, a.token, uniquePrompt("batch")),
    );
    await narrow.fake.waitForRequests(4);
    await until(() => queuedCalls(narrow, a.id) === 36, "36 of A's calls to queue");

    const lone = complete(narrow, b.token, uniquePrompt("single"));
    await until(() => queuedCalls(narrow, b.id) === 1, "B's call to queue");
    expect(narrow.fake.calls).toHaveLength(4);

    // One of A's calls ends: its slot goes to B, who holds none, before A's 36 waiting calls.
    letGo[0]!();
    const reply = await lone;
    expect(reply.status, reply.text).toBe(200);
    const arrivals = narrow.fake.calls.map((call) => call.lastUserText.split(" ")[0]);
    expect(arrivals.indexOf("single")).toBe(4);
    expect(arrivals.slice(0, 4)).toEqual(["batch", "batch", "batch", "batch"]);

    // A's calls then all go, in their turn, and are answered.
    const answered = until(() => narrow.fake.calls.length === 41, "every call upstream");
    const release = setInterval(() => letGo.forEach((go) => go()), 5);
    try {
      await answered;
      const replies = await Promise.all(batch);
      expect(replies.map((each) => each.status)).toEqual(Array(40).fill(200));
    } finally {
      clearInterval(release);
    }
  });
});

describe("a call that waits too long for a slot", () => {
  it("is answered 503 queue_timeout with Retry-After, never sent, and its ledger row says so", async () => {
    const holder = await single.token();
    // Two other tokens, each with one call, so that each waits for the slot, not for its turn.
    const waiters = [await single.token(), await single.token()];
    single.fake.setResponder((call) =>
      call.lastUserText.startsWith("hold") ? { hang: true } : undefined,
    );
    const leaving = new AbortController();
    const held = single
      .post(
        "/api/v1/completions",
        holder.token,
        { model: MODEL, prompt: uniquePrompt("hold") },
        {
          signal: leaving.signal,
        },
      )
      .catch(() => undefined);
    await single.fake.waitForRequests(1);

    const [plain, streamed] = await Promise.all([
      single.post<ErrorBody>("/api/v1/completions", waiters[0]!.token, {
        model: MODEL,
        prompt: uniquePrompt("queued"),
      }),
      single.post<ErrorBody>("/api/v1/completions", waiters[1]!.token, {
        model: MODEL,
        prompt: uniquePrompt("queued"),
        stream: true,
      }),
    ]);
    for (const reply of [plain, streamed]) {
      expect(reply.status, reply.text).toBe(503);
      expect(reply.headers.get("retry-after")).toBe("5");
      expect(reply.body.error).toMatchObject({
        code: "queue_timeout",
        message: expect.stringMatching(
          /^openai is busy: the call waited \d+\.\d s for one of the 1 calls/,
        ),
        requestId: expect.any(String),
      });
    }
    expect(single.fake.requests).toHaveLength(1);
    for (const waiter of waiters)
      expect(await ledgerWithin(single, waiter.id, 1)).toMatchObject([
        { status: "error", error_code: "queue_timeout" },
      ]);
    expect(single.server.logs.text).toContain("call waited too long for a provider slot");
    leaving.abort();
    await held;
  });
});

describe("a call that waits too long for its token's turn", () => {
  it("is answered 503 queue_timeout too, saying the token's calls are at their limit", async () => {
    const { id, token } = await single.token();
    single.fake.setResponder(() => ({ hang: true }));
    const leaving = new AbortController();
    const held = single
      .post(
        "/api/v1/completions",
        token,
        { model: MODEL, prompt: uniquePrompt("hold") },
        {
          signal: leaving.signal,
        },
      )
      .catch(() => undefined);
    await single.fake.waitForRequests(1);

    const reply = await single.post<ErrorBody>("/api/v1/completions", token, {
      model: MODEL,
      prompt: uniquePrompt("second"),
    });
    expect(reply.status, reply.text).toBe(503);
    expect(reply.headers.get("retry-after")).toBe("5");
    expect(reply.body.error.code).toBe("queue_timeout");
    expect(reply.body.error.message).toMatch(
      /^This token's calls in flight are at their limit \(1 at once\); this one waited \d+\.\d s/,
    );
    expect(single.fake.requests).toHaveLength(1);
    expect(await ledgerWithin(single, id, 1)).toMatchObject([
      { status: "error", error_code: "queue_timeout" },
    ]);
    leaving.abort();
    await held;
  });
});

describe("the default settings", () => {
  // 600: well past the old caps (16 calls, 256 connections) and cheap enough for a test whose
  // client, gateway and provider share one process; 5,000 at once is the benchmark's to count.
  it("send 600 calls upstream at once, and answer every one", async () => {
    const { token } = await defaults.token();
    let open!: () => void;
    const opened = new Promise<void>((resolve) => (open = resolve));
    defaults.fake.setResponder(() => ({ text: "ok", gate: opened }));

    const replies = Array.from({ length: 600 }, () =>
      complete(defaults, token, uniquePrompt("load")),
    );
    // Every call is at the provider before any is answered: no slot or socket held one back.
    await defaults.fake.waitForRequests(600, 50_000);
    expect(defaults.fake.inflight).toBe(600);
    open();
    const statuses = (await Promise.all(replies)).map((reply) => reply.status);
    expect(statuses.filter((status) => status !== 200)).toEqual([]);
  }, 120_000);
});
