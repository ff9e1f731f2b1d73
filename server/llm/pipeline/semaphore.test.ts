import { describe, expect, it } from "vitest";
import { KeyedSemaphore } from "./semaphore.ts";

const settled = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("KeyedSemaphore", () => {
  it("caps each key on its own and lets waiters in, in order, as holders leave", async () => {
    const turns = new KeyedSemaphore(2);
    const order: string[] = [];
    const a1 = await turns.acquire("a");
    const a2 = await turns.acquire("a");
    const waiting = ["a3", "a4"].map((name) =>
      turns.acquire("a").then((release) => {
        order.push(name);
        return release;
      }),
    );
    // Another key is not held up.
    const b1 = await turns.acquire("b");
    await settled();
    expect(order).toEqual([]);

    a1();
    a1(); // releasing twice frees one turn only
    await settled();
    expect(order).toEqual(["a3"]);
    a2();
    const [a3, a4] = await Promise.all(waiting);
    expect(order).toEqual(["a3", "a4"]);
    for (const release of [a3!, a4!, b1]) release();
    expect(turns.size).toBe(0);
  });

  it("lets a waiter whose signal aborts leave the queue, and forgets an idle key", async () => {
    const turns = new KeyedSemaphore(1);
    const holder = await turns.acquire("a");
    const leaving = new AbortController();
    const waiter = turns.acquire("a", leaving.signal);
    leaving.abort(new Error("gone"));
    await expect(waiter).rejects.toThrow("gone");
    const next = turns.acquire("a");
    holder();
    (await next)();
    expect(turns.size).toBe(0);
    await expect(turns.acquire("a", leaving.signal)).rejects.toThrow("gone");
    expect(turns.size).toBe(0);
  });
});
