/**
 * Jobs end to end (POST /api/v1/jobs, GET /api/v1/jobs/:id and its events, DELETE): a batch is
 * computed once whatever the client does; a retry joins it or reads its results.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { JobView } from "./schemas.ts";
import { expectNoKeys, startRig, uniquePrompt, type Reply, type Rig } from "../../test/llm-rig.ts";

const MODEL = "gpt-4.1-mini";

let rig: Rig;

beforeAll(async () => {
  rig = await startRig({ env: { JOBS_PER_TOKEN: "3", PROVIDER_CONCURRENCY: "8" } });
});
afterAll(async () => {
  expectNoKeys([...rig.seen, rig.server.logs.text]);
  await rig.close();
});
beforeEach(() => rig.fake.reset());

function items(prompts: string[]) {
  return {
    items: prompts.map((prompt, i) => ({ id: `i${i}`, model: MODEL, prompt, temperature: 0 })),
  };
}

async function startJob(token: string, body: unknown, key?: string): Promise<Reply<JobView>> {
  const response = await rig.server.fetch("/api/v1/jobs", {
    method: "POST",
    token,
    headers: { "content-type": "application/json", ...(key ? { "idempotency-key": key } : {}) },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  rig.seen.push(text);
  return { status: response.status, headers: response.headers, text, body: JSON.parse(text) };
}

async function getJob(token: string, id: string, after = 0): Promise<Reply<JobView>> {
  const response = await rig.server.fetch(`/api/v1/jobs/${id}?after=${after}`, { token });
  const text = await response.text();
  rig.seen.push(text);
  return { status: response.status, headers: response.headers, text, body: JSON.parse(text) };
}

/** Reads a job's event stream to its `done` event: the events, in order. */
async function jobEvents(token: string, id: string, after = 0, signal?: AbortSignal) {
  const response = await rig.server.fetch(`/api/v1/jobs/${id}/events?after=${after}`, {
    token,
    ...(signal ? { signal } : {}),
  });
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
  const events: { event: string; data: Record<string, unknown> }[] = [];
  for await (const { event, data } of readEvents(response.body!)) {
    events.push({ event, data: JSON.parse(data) as Record<string, unknown> });
    if (event === "done") break;
  }
  return events;
}

/** A response's server-sent events as they arrive: each block's event name and data. */
async function* readEvents(body: ReadableStream<Uint8Array>) {
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const bytes of body) {
    buffer += decoder.decode(bytes, { stream: true });
    let end: number;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const [eventLine, dataLine] = block.split("\n");
      yield { event: eventLine!.slice("event: ".length), data: dataLine!.slice("data: ".length) };
    }
  }
}

/** Opens a gate the fake's answers wait behind. */
function gate() {
  let open = () => {};
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

describe("jobs", () => {
  it("answers at once with an id, then gives every result, each distinct prompt asked once", async () => {
    const { token } = await rig.token();
    const [a, b] = [uniquePrompt("A"), uniquePrompt("B")];
    const started = await startJob(token, items([a, b, a]));
    expect(started.status, started.text).toBe(202);
    expect(started.body).toMatchObject({ status: "running", total: 3 });
    expect(started.headers.get("location")).toBe(`/api/v1/jobs/${started.body.id}`);

    const events = await jobEvents(token, started.body.id);
    const results = events.filter((e) => e.event === "result").map((e) => e.data);
    expect(results.map((r) => r.id).sort()).toEqual(["i0", "i1", "i2"]);
    expect(results.find((r) => r.id === "i2")).toMatchObject({ ok: true, text: `echo: ${a}` });
    expect(events.at(-1)).toMatchObject({ event: "done", data: { status: "done", completed: 3 } });
    expect(rig.fake.calls.map((call) => call.lastUserText).sort()).toEqual([a, b].sort());

    // Polling reads the same results, from where the reader left off.
    const polled = await getJob(token, started.body.id, 1);
    expect(polled.body).toMatchObject({ status: "done", completed: 3 });
    expect(polled.body.results).toHaveLength(2);
  });

  it("keeps computing when the client goes away, and a resubmitted batch reads the cache", async () => {
    const { token } = await rig.token();
    const { opened, open } = gate();
    rig.fake.setResponder(() => ({ text: "paid answer", gate: opened }));
    const prompts = [uniquePrompt("Left"), uniquePrompt("Left")];
    const started = await startJob(token, items(prompts));
    await rig.fake.waitForRequests(2);

    // The client reads the stream, then leaves mid-way.
    const leaving = new AbortController();
    const reading = jobEvents(token, started.body.id, 0, leaving.signal);
    leaving.abort();
    await expect(reading).rejects.toThrow();
    open();
    const done = await jobEvents(token, started.body.id);
    expect(done.filter((e) => e.event === "result").map((e) => e.data.ok)).toEqual([true, true]);
    expect(rig.fake.aborted).toBe(0);

    // The same items again, as after Excel reopens: answered from the cache, no call upstream.
    const again = await startJob(token, items(prompts));
    const cached = await jobEvents(token, again.body.id);
    expect(cached.filter((e) => e.event === "result").map((e) => e.data.cached)).toEqual([
      true,
      true,
    ]);
    expect(rig.fake.calls).toHaveLength(2);
  });

  it("joins the running job for a retry with the same Idempotency-Key, even at temperature 1", async () => {
    const { token } = await rig.token();
    const { opened, open } = gate();
    rig.fake.setResponder(() => ({ text: "once", gate: opened }));
    const body = { items: [{ model: MODEL, prompt: uniquePrompt("Warm"), temperature: 1 }] };
    const first = await startJob(token, body, "flow-run-1-round-1");
    await rig.fake.waitForRequests(1);
    const retry = await startJob(token, body, "flow-run-1-round-1");
    expect(retry.body.id).toBe(first.body.id);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");

    const other = await startJob(token, items([uniquePrompt("Other")]), "flow-run-1-round-1");
    expect(other.status, other.text).toBe(409);
    expect(JSON.parse(other.text)).toMatchObject({ error: { code: "conflict" } });

    // The key is the token's own: another token's same key is another job.
    const stranger = await rig.token();
    const theirs = await startJob(stranger.token, body, "flow-run-1-round-1");
    expect(theirs.body.id).not.toBe(first.body.id);

    open();
    await jobEvents(token, first.body.id);
    await jobEvents(stranger.token, theirs.body.id);
    const read = await startJob(token, body, "flow-run-1-round-1");
    expect(read.body).toMatchObject({ id: first.body.id, status: "done", completed: 1 });
    // One call for the token, one for the stranger: none for the retries.
    expect(rig.fake.calls).toHaveLength(2);
  });

  it("answers a poll with `wait` when the job ends", async () => {
    const { token } = await rig.token();
    const { opened, open } = gate();
    rig.fake.setResponder(() => ({ text: "polled", gate: opened }));
    const started = await startJob(token, items([uniquePrompt("Poll")]));
    await rig.fake.waitForRequests(1);
    const polling = rig.server.fetch(`/api/v1/jobs/${started.body.id}?wait=100`, { token });
    open();
    const polled = (await (await polling).json()) as JobView;
    expect(polled).toMatchObject({ status: "done", completed: 1, results: [{ text: "polled" }] });
  });

  it("refuses a bad Idempotency-Key", async () => {
    const { token } = await rig.token();
    const reply = await startJob(token, items([uniquePrompt("K")]), "x".repeat(201));
    expect(reply.status).toBe(400);
    expect(JSON.parse(reply.text)).toMatchObject({ error: { code: "invalid_request" } });
  });

  it("shows a job to its token only: another token gets 404", async () => {
    const owner = await rig.token();
    const started = await startJob(owner.token, items([uniquePrompt("Mine")]));
    const stranger = await rig.token();
    for (const path of [
      `/api/v1/jobs/${started.body.id}`,
      `/api/v1/jobs/${started.body.id}/events`,
    ]) {
      const reply = await rig.server.fetch(path, { token: stranger.token });
      expect(reply.status, path).toBe(404);
      expect(await reply.json()).toMatchObject({ error: { code: "not_found" } });
    }
    const cancel = await rig.server.fetch(`/api/v1/jobs/${started.body.id}`, {
      method: "DELETE",
      token: stranger.token,
    });
    expect(cancel.status).toBe(404);
    await jobEvents(owner.token, started.body.id);
  });

  it("sends heartbeats while no result comes", async () => {
    const { token } = await rig.token();
    const { opened, open } = gate();
    rig.fake.setResponder(() => ({ text: "late", gate: opened }));
    const started = await startJob(token, items([uniquePrompt("Slow")]));
    const response = await rig.server.fetch(`/api/v1/jobs/${started.body.id}/events`, { token });
    const seen: string[] = [];
    for await (const { event } of readEvents(response.body!)) {
      seen.push(event);
      if (event === "heartbeat") open();
      if (event === "done") break;
    }
    expect(seen[0]).toBe("heartbeat");
    expect(seen.slice(-2)).toEqual(["result", "done"]);
  });

  it("cancels the items not started; those under way finish", async () => {
    const { token } = await rig.token();
    const { opened, open } = gate();
    rig.fake.setResponder(() => ({ text: "started", gate: opened }));
    // PROVIDER_CONCURRENCY is 8: 8 start, the rest wait in the job.
    const prompts = Array.from({ length: 20 }, () => uniquePrompt("Many"));
    const started = await startJob(token, items(prompts));
    await rig.fake.waitForRequests(8);
    const cancel = await rig.server.fetch(`/api/v1/jobs/${started.body.id}`, {
      method: "DELETE",
      token,
    });
    expect(cancel.status).toBe(200);
    open();
    const events = await jobEvents(token, started.body.id);
    const results = events.filter((e) => e.event === "result").map((e) => e.data);
    expect(results).toHaveLength(20);
    const answered = results.filter((r) => r.ok).length;
    expect(answered).toBe(rig.fake.calls.length);
    expect(answered).toBeLessThan(20);
    expect(events.at(-1)?.data.status).toBe("cancelled");
  });

  it("holds at most JOBS_PER_TOKEN jobs per token: a finished one gives way, running ones do not", async () => {
    const { token } = await rig.token();
    const { opened, open } = gate();
    rig.fake.setResponder(() => ({ text: "held", gate: opened }));
    const running = [];
    for (let i = 0; i < 3; i++) running.push(await startJob(token, items([uniquePrompt("Busy")])));
    const refused = await startJob(token, items([uniquePrompt("Busy")]));
    expect(refused.status, refused.text).toBe(429);
    expect(refused.headers.get("retry-after")).toBe("10");
    open();
    for (const job of running) await jobEvents(token, job.body.id);
    const next = await startJob(token, items([uniquePrompt("Next")]));
    expect(next.status, next.text).toBe(202);
    // The oldest finished job gave way to it.
    expect((await getJob(token, running[0]!.body.id)).status).toBe(404);
  });
});

describe("a batch with an Idempotency-Key", () => {
  it("goes on when its client leaves, and the retry waits for the same results", async () => {
    const { token } = await rig.token();
    const { opened, open } = gate();
    rig.fake.setResponder(() => ({ text: "kept", gate: opened }));
    const body = items([uniquePrompt("Script"), uniquePrompt("Script")]);
    const post = (signal?: AbortSignal) =>
      rig.server.fetch("/api/v1/batch", {
        method: "POST",
        token,
        headers: { "content-type": "application/json", "idempotency-key": "script-run-7" },
        body: JSON.stringify(body),
        ...(signal ? { signal } : {}),
      });
    const leaving = new AbortController();
    const first = post(leaving.signal);
    await rig.fake.waitForRequests(2);
    leaving.abort();
    await expect(first).rejects.toThrow();

    const retry = post();
    open();
    const reply = await retry;
    expect(reply.status).toBe(200);
    const { results } = (await reply.json()) as { results: { id: string; text: string }[] };
    expect(results.map((r) => [r.id, r.text])).toEqual([
      ["i0", "kept"],
      ["i1", "kept"],
    ]);
    expect(rig.fake.aborted).toBe(0);
    expect(rig.fake.calls).toHaveLength(2);
  });
});

describe("a job larger than its provider's slots", () => {
  let small: Rig;
  beforeAll(async () => {
    small = await startRig({ env: { PROVIDER_CONCURRENCY: "2", QUEUE_TIMEOUT_MS: "100" } });
  });
  afterAll(() => small.close());

  it("waits for the provider in the job, not in its queue, so no item times out there", async () => {
    const { token } = await small.token();
    const { opened, open } = gate();
    small.fake.setResponder(() => ({ text: "in turn", gate: opened }));
    const prompts = Array.from({ length: 6 }, (_, i) => uniquePrompt(`Paced ${i}`));
    const response = await small.server.fetch("/api/v1/jobs", {
      method: "POST",
      token,
      headers: { "content-type": "application/json" },
      body: JSON.stringify(items(prompts)),
    });
    const started = (await response.json()) as JobView;
    await small.fake.waitForRequests(2);

    // Another caller's call waits in the provider's queue and times out there: by then, any of
    // the job's items waiting in that queue would have timed out too.
    const other = await small.token();
    const waited = await small.server.fetch("/api/v1/completions", {
      method: "POST",
      token: other.token,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: MODEL, prompt: uniquePrompt("Other") }),
    });
    expect(waited.status).toBe(503);
    expect(((await waited.json()) as { error: { code: string } }).error.code).toBe("queue_timeout");

    open();
    const done = await small.server.fetch(`/api/v1/jobs/${started.id}?wait=100`, { token });
    const view = (await done.json()) as JobView;
    expect(view.status).toBe("done");
    expect(view.results.map((result) => result.ok)).toEqual([true, true, true, true, true, true]);
    expect(small.fake.calls).toHaveLength(6);
  });
});
