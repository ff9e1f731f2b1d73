import { describe, expect, it } from "vitest";
import { ReadThroughCache } from "./read-through-cache.ts";

/** A source that counts its reads and can hold them until released. */
function source() {
  const held: (() => void)[] = [];
  const state = { reads: 0, hold: false, version: 1, rows: new Map<string, string>() };
  return {
    state,
    held,
    async load(key: string): Promise<string | undefined> {
      state.reads++;
      const value = state.rows.has(key) ? `${state.rows.get(key)}@${state.version}` : undefined;
      if (state.hold) await new Promise<void>((release) => held.push(release));
      return value;
    },
  };
}

function setup() {
  let now = Date.parse("2026-11-25T12:00:00.000Z");
  const db = source();
  db.state.rows.set("a", "alpha");
  const cache = new ReadThroughCache({
    load: (key) => db.load(key),
    ttlMs: 5000,
    maxEntries: 2,
    clock: { now: () => new Date(now) },
  });
  return { db, cache, advance: (ms: number) => (now += ms) };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe("ReadThroughCache", () => {
  it("reads the source once per key until the TTL has passed", async () => {
    const { db, cache, advance } = setup();
    expect(await cache.get("a")).toBe("alpha@1");
    db.state.version = 2;
    advance(5000);
    expect(await cache.get("a")).toBe("alpha@1");
    expect(db.state.reads).toBe(1);
    advance(1);
    expect(await cache.get("a")).toBe("alpha@2");
    expect(db.state.reads).toBe(2);
  });

  it("keeps an absent row too", async () => {
    const { db, cache } = setup();
    expect(await cache.get("missing")).toBeUndefined();
    expect(await cache.get("missing")).toBeUndefined();
    expect(db.state.reads).toBe(1);
  });

  it("shares one read among concurrent misses of a key", async () => {
    const { db, cache } = setup();
    const values = await Promise.all([cache.get("a"), cache.get("a"), cache.get("a")]);
    expect(values).toEqual(["alpha@1", "alpha@1", "alpha@1"]);
    expect(db.state.reads).toBe(1);
  });

  it("reads again after delete() and clear()", async () => {
    const { db, cache } = setup();
    await cache.get("a");
    db.state.version = 2;
    cache.delete("a");
    expect(await cache.get("a")).toBe("alpha@2");
    db.state.version = 3;
    cache.clear();
    expect(await cache.get("a")).toBe("alpha@3");
    expect(db.state.reads).toBe(3);
  });

  it("answers a read overtaken by delete() or clear(), but does not keep it", async () => {
    for (const invalidate of ["delete", "clear"] as const) {
      const { db, cache } = setup();
      db.state.hold = true;
      const early = cache.get("a");
      await settle();
      // The row changes and the change is announced while the early read is still out.
      db.state.version = 2;
      if (invalidate === "delete") cache.delete("a");
      else cache.clear();
      db.held.shift()!();
      expect(await early).toBe("alpha@1");

      db.state.hold = false;
      expect(await cache.get("a"), invalidate).toBe("alpha@2");
    }
  });

  it("keeps no failed read", async () => {
    let fail = true;
    const cache = new ReadThroughCache({
      load: async () => {
        if (fail) throw new Error("database unreachable");
        return "row";
      },
      ttlMs: 5000,
      maxEntries: 10,
      clock: { now: () => new Date(0) },
    });
    await expect(cache.get("a")).rejects.toThrow("database unreachable");
    fail = false;
    expect(await cache.get("a")).toBe("row");
  });

  it("holds at most maxEntries, dropping the least recently used", async () => {
    const { db, cache } = setup();
    db.state.rows.set("b", "beta").set("c", "gamma");
    await cache.get("a");
    await cache.get("b");
    await cache.get("a");
    await cache.get("c");
    expect(db.state.reads).toBe(3);
    await cache.get("a");
    expect(db.state.reads).toBe(3);
    await cache.get("b");
    expect(db.state.reads).toBe(4);
  });
});
