/**
 * One token's calls upstream at once can be capped (TOKEN_MAX_IN_FLIGHT, here 2; by default as
 * many as a provider's slots, which are shared fairly among tokens: fair-queue.int.test.ts): its
 * other calls wait their turn, leave the queue when their request goes away, and cache hits wait
 * for nothing.
 */
import { afterAll, beforeAll, beforeEach, expect, it } from "vitest";
import {
  ledgerWithin,
  startRig,
  uniquePrompt,
  type CompletionBody,
  type Rig,
} from "../../test/llm-rig.ts";

const MODEL = "gpt-4.1-mini";

let rig: Rig;

beforeAll(async () => {
  rig = await startRig({ env: { TOKEN_MAX_IN_FLIGHT: "2" } });
});
afterAll(() => rig.close());
beforeEach(() => rig.fake.reset());

/** Upstream calls of the prompts starting with `label`, as the fake received them. */
const upstreamOf = (label: string) =>
  rig.fake.calls.filter((call) => call.lastUserText.startsWith(label));

function batchOf(label: string, count: number) {
  return {
    items: Array.from({ length: count }, () => ({ model: MODEL, prompt: uniquePrompt(label) })),
  };
}

/**
 * Sends another token's call and waits until it is upstream: by then the batch sent before, all
 * of whose items started together, has sent upstream every call it was going to.
 */
async function otherTokenGetsThrough(): Promise<{ reply: Promise<unknown> }> {
  const other = await rig.token();
  const reply = rig.post<CompletionBody>("/api/v1/completions", other.token, {
    model: MODEL,
    prompt: uniquePrompt("other"),
  });
  const deadline = Date.now() + 10_000;
  while (upstreamOf("other").length === 0) {
    if (Date.now() > deadline) throw new Error("the other token's call never went upstream");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return { reply };
}

it("sends at most two of a token's calls upstream at once, and the others in turn", async () => {
  const { token } = await rig.token();
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  rig.fake.setResponder(() => ({ text: "in turn", gate: opened }));

  const batch = rig.post<{ results: { ok: boolean }[] }>(
    "/api/v1/batch",
    token,
    batchOf("busy", 6),
  );
  await rig.fake.waitForRequests(2);
  const other = await otherTokenGetsThrough();
  expect(upstreamOf("busy")).toHaveLength(2);

  open();
  const reply = await batch;
  expect(reply.status, reply.text).toBe(200);
  expect(reply.body.results.map((result) => result.ok)).toEqual(Array(6).fill(true));
  expect(upstreamOf("busy")).toHaveLength(6);
  await other.reply;
});

it("drops a waiting call from the queue when its request goes away; cache hits never wait", async () => {
  const { id, token } = await rig.token();
  const cachedPrompt = uniquePrompt("cached");
  const primed = await rig.post<CompletionBody>("/api/v1/completions", token, {
    model: MODEL,
    prompt: cachedPrompt,
    temperature: 0,
  });
  expect(primed.status).toBe(200);
  rig.fake.reset();
  rig.fake.setResponder((call) =>
    call.lastUserText.startsWith("queued") ? { hang: true } : undefined,
  );

  const leaving = new AbortController();
  const batch = rig.post("/api/v1/batch", token, batchOf("queued", 3), { signal: leaving.signal });
  await rig.fake.waitForRequests(2);
  const other = await otherTokenGetsThrough();
  expect(upstreamOf("queued")).toHaveLength(2);

  const hit = await rig.post<CompletionBody>("/api/v1/completions", token, {
    model: MODEL,
    prompt: cachedPrompt,
    temperature: 0,
  });
  expect(hit.status, hit.text).toBe(200);
  expect(hit.body.cached).toBe(true);

  leaving.abort();
  await expect(batch).rejects.toThrow();
  const rows = (await ledgerWithin(rig, id, 5)).filter((row) => row.error_code === "cancelled");
  expect(rows).toHaveLength(3);
  // The waiting call never went upstream, and the token's turns are free again.
  expect(upstreamOf("queued")).toHaveLength(2);
  await other.reply;
  const after = await rig.post<CompletionBody>("/api/v1/completions", token, {
    model: MODEL,
    prompt: uniquePrompt("after"),
  });
  expect(after.status, after.text).toBe(200);
});
