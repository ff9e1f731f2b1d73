/**
 * A batch's or a job's items all under way at once, with the default settings, without holding
 * the event loop: every item reaches the provider before any answers (no cap below the
 * provider's slots), yet no more than ITEM_STARTS_PER_TURN of their calls start in one turn of
 * the event loop. The server runs in this process, so Node's `http.client.request.created`
 * diagnostics channel sees each call to the provider as it is made, and a callback that
 * schedules itself with setImmediate ticks once a turn; no clock is read.
 */
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import type { ClientRequest } from "node:http";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startRig, uniquePrompt, type Rig } from "../test/llm-rig.ts";
import { ITEM_STARTS_PER_TURN } from "./batch.ts";

const ITEMS = 300;

let rig: Rig;
beforeAll(async () => {
  rig = await startRig();
});
afterAll(() => rig.close());
beforeEach(() => rig.fake.reset());

/**
 * Runs `work` while counting the calls to the fake provider made in each turn of the event loop;
 * resolves with `work`'s result and the most calls made in one turn.
 */
async function callsPerTurn<T>(work: () => Promise<T>): Promise<{ result: T; most: number }> {
  const fakePort = new URL(rig.fake.url).port;
  let turn = 0;
  const counts = new Map<number, number>();
  const created = (message: unknown) => {
    const { request } = message as { request: ClientRequest };
    if (String(request.getHeader("host")).endsWith(`:${fakePort}`)) {
      counts.set(turn, (counts.get(turn) ?? 0) + 1);
    }
  };
  let ticking = true;
  const tick = () => {
    turn++;
    if (ticking) setImmediate(tick);
  };
  setImmediate(tick);
  subscribe("http.client.request.created", created);
  try {
    const result = await work();
    return { result, most: Math.max(...counts.values()) };
  } finally {
    unsubscribe("http.client.request.created", created);
    ticking = false;
  }
}

/**
 * Holds every answer until `count` calls are at the provider (failing if they never are), then
 * lets them all go; resolves with what `send` resolves with.
 */
async function allAtOnce<T>(count: number, send: () => Promise<T>): Promise<T> {
  let releaseAll!: () => void;
  const all = new Promise<void>((resolve) => (releaseAll = resolve));
  rig.fake.setResponder((call) => ({ text: `answer to ${call.lastUserText}`, gate: all }));
  const sent = send();
  try {
    await rig.fake.waitForRequests(count, 30_000);
  } finally {
    releaseAll();
  }
  return sent;
}

describe("a burst of items", () => {
  it("a batch's items all reach the provider at once, a few a turn", async () => {
    const { token } = await rig.token();
    const items = Array.from({ length: ITEMS }, () => ({ prompt: uniquePrompt("burst") }));

    const { result: reply, most } = await callsPerTurn(() =>
      allAtOnce(ITEMS, () =>
        rig.post<{ results: { ok: boolean }[] }>("/api/v1/batch", token, { items }),
      ),
    );

    expect(reply.status).toBe(200);
    expect(reply.body.results.filter((result) => result.ok)).toHaveLength(ITEMS);
    expect(rig.fake.calls).toHaveLength(ITEMS);
    expect(most).toBeLessThanOrEqual(ITEM_STARTS_PER_TURN);
  });

  it("so do a job's", async () => {
    const { token } = await rig.token();
    const items = Array.from({ length: ITEMS }, () => ({ prompt: uniquePrompt("job burst") }));

    const { result: done, most } = await callsPerTurn(() =>
      allAtOnce(ITEMS, async () => {
        const started = await rig.post<{ id: string }>("/api/v1/jobs", token, { items });
        expect(started.status).toBe(202);
        for (;;) {
          const response = await rig.server.fetch(`/api/v1/jobs/${started.body.id}?wait=10`, {
            token,
          });
          const job = (await response.json()) as { status: string; completed: number };
          if (job.status !== "running") return job;
        }
      }),
    );

    expect(done).toMatchObject({ status: "done", completed: ITEMS });
    expect(rig.fake.calls).toHaveLength(ITEMS);
    expect(most).toBeLessThanOrEqual(ITEM_STARTS_PER_TURN);
  });
});
