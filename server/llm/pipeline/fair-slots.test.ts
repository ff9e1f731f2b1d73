import { describe, expect, it } from "vitest";
import { FairSlots, type Release, type SlotWait } from "./fair-slots.ts";

const settled = () => new Promise<void>((resolve) => setImmediate(resolve));
const never = new AbortController().signal;
/** A wait that does not end before the test does. */
const patient: SlotWait = {
  deadline: Infinity,
  expired: () => new Error("waited too long"),
};

/** Asks for a slot for `key`, noting in `order` when it is given. */
function ask(
  slots: FairSlots,
  key: string,
  order: string[],
  label = key,
  signal = never,
  wait = patient,
): Promise<Release> {
  return slots.acquire(key, signal, wait).then((release) => {
    order.push(label);
    return release;
  });
}

describe("FairSlots", () => {
  it("gives a free slot to the key holding the fewest, so one key's backlog does not delay another's call", async () => {
    const slots = new FairSlots(2);
    const order: string[] = [];
    const held = [await ask(slots, "a", order, "a0"), await ask(slots, "a", order, "a1")];
    // A queues a large batch, then B asks for one call.
    const aQueued = Array.from({ length: 1000 }, (_, i) => ask(slots, "a", order, `a${i + 2}`));
    const b = ask(slots, "b", order, "b");
    await settled();
    expect(slots.snapshot()).toMatchObject({ inFlight: 2, waiting: 1001, keysWaiting: 2 });

    // The next slot to free goes to B, not to the thousand calls A queued before it.
    held[0]!();
    await settled();
    expect(order).toEqual(["a0", "a1", "b"]);

    // A's calls then go in their order, and every slot is used.
    (await b)();
    held[1]!();
    await settled();
    expect(order.slice(3)).toEqual(["a2", "a3"]);
    for (const queued of aQueued) (await queued)();
    expect(order.slice(3)).toEqual(Array.from({ length: 1000 }, (_, i) => `a${i + 2}`));
    expect(slots.snapshot()).toMatchObject({ inFlight: 0, waiting: 0, keysWaiting: 0 });
    expect(slots.keys).toBe(0);
  });

  it("serves keys holding as many slots in turn", async () => {
    const slots = new FairSlots(3);
    const order: string[] = [];
    const held = await Promise.all(["a", "b", "c"].map((key) => ask(slots, key, order)));
    order.length = 0;
    const queued = ["a", "a", "b", "b", "c", "c"].map((key, i) =>
      ask(slots, key, order, `${key}${i}`),
    );
    await settled();
    // Each release frees one slot; the keys that hold fewest (the releaser's) come first, then
    // turn order among equals.
    for (const release of held) release();
    await settled();
    expect(order).toEqual(["a0", "b2", "c4"]);
    for (const first of [0, 2, 4]) (await queued[first]!)();
    await settled();
    expect(order).toEqual(["a0", "b2", "c4", "a1", "b3", "c5"]);
    for (const release of await Promise.all(queued)) release();
    expect(slots.keys).toBe(0);
  });

  it("caps each key on its own when asked to, any number of keys at once", async () => {
    const turns = new FairSlots(Infinity, 2);
    const order: string[] = [];
    const a = [await ask(turns, "a", order), await ask(turns, "a", order)];
    const a3 = ask(turns, "a", order, "a3");
    const b = await ask(turns, "b", order);
    await settled();
    expect(order).toEqual(["a", "a", "b"]);
    expect(turns.snapshot()).toMatchObject({ capacity: Infinity, inFlight: 3, waiting: 1 });
    a[0]!();
    a[0]!(); // a second release frees nothing more
    await settled();
    expect(order).toEqual(["a", "a", "b", "a3"]);
    expect(turns.snapshot()).toMatchObject({ inFlight: 3, waiting: 0 });
    for (const release of [a[1]!, await a3, b]) release();
    expect(turns.keys).toBe(0);
  });

  it("lets a waiting call whose signal aborts leave its place, and gives the slot to the next", async () => {
    const slots = new FairSlots(1);
    const order: string[] = [];
    const holder = await ask(slots, "a", order);
    const leaving = new AbortController();
    const gone = ask(slots, "b", order, "b", leaving.signal);
    const next = ask(slots, "c", order);
    leaving.abort(new Error("caller gone"));
    await expect(gone).rejects.toThrow("caller gone");
    expect(slots.snapshot()).toMatchObject({ waiting: 1, keysWaiting: 1 });
    holder();
    (await next)();
    expect(order).toEqual(["a", "c"]);
    expect(slots.keys).toBe(0);
    // An aborted signal is refused at once, and leaves nothing behind.
    await expect(slots.acquire("d", leaving.signal, patient)).rejects.toThrow("caller gone");
    expect(slots.keys).toBe(0);
  });

  it("ends a wait at its deadline with the caller's failure, told how long it waited", async () => {
    const slots = new FairSlots(1);
    const holder = await slots.acquire("a", never, patient);
    let waited = -1;
    const wait: SlotWait = {
      deadline: performance.now() + 20,
      expired: (ms) => {
        waited = ms;
        return new Error("queue_timeout");
      },
    };
    await expect(slots.acquire("b", never, wait)).rejects.toThrow("queue_timeout");
    expect(waited).toBeGreaterThanOrEqual(0);
    expect(slots.snapshot()).toMatchObject({ inFlight: 1, waiting: 0, keysWaiting: 0 });
    holder();
    expect(slots.keys).toBe(0);
    // The slot it did not get is free for the next call.
    (await slots.acquire("c", never, wait))();
  });

  it("counts every slot given and how long it waited", async () => {
    const slots = new FairSlots(1);
    const first = await slots.acquire("a", never, patient);
    const second = slots.acquire("b", never, patient);
    first();
    (await second)();
    const { waits } = slots.snapshot();
    expect(waits.count).toBe(2);
    expect(waits.maxMs).toBeGreaterThanOrEqual(0);
    expect(waits.totalMs).toBeGreaterThanOrEqual(waits.maxMs);
  });
});
