import { describe, expect, it } from "vitest";
import { memoryStorage } from "../shared/storage.ts";
import { AnswerCache } from "./cache.ts";

const storage = memoryStorage();
/** A cache as the add-in has it after a reopen: nothing in memory, everything from storage. */
const reopen = (limits = {}) => new AnswerCache(storage, { memoryEntries: 1, ...limits });

describe("AnswerCache's persistent store", () => {
  it("evicts the least recently used answer, not the oldest written", async () => {
    await reopen().clear();
    const first = reopen({ persistentEntries: 10 });
    for (let i = 0; i < 10; i++) first.set(`k${i}`, { text: `answer ${i}` });
    await first.flush();

    const second = reopen({ persistentEntries: 10 });
    expect(await second.get("k0")).toEqual({ text: "answer 0" });
    second.set("k10", { text: "answer 10" });
    await second.flush();

    const third = reopen();
    expect(await third.get("k0")).toEqual({ text: "answer 0" });
    expect(await third.get("k10")).toEqual({ text: "answer 10" });
    // Beyond the bound, a batch goes at once (down to 90%): the two least recently used.
    expect(await third.get("k1")).toBeUndefined();
    expect(await third.get("k2")).toBeUndefined();
    expect(await third.get("k3")).toEqual({ text: "answer 3" });
  });

  it("stays within its byte bound", async () => {
    await reopen().clear();
    const cache = reopen({ persistentBytes: 10_000 });
    for (let i = 0; i < 30; i++) cache.set(`k${i}`, { text: "x".repeat(500), json: { i } });
    await cache.flush();
    const index = JSON.parse((await storage.get("officellm.fn-cache.v2.index"))!) as number[][];
    const bytes = index.reduce((sum, [, size]) => sum + size!, 0);
    expect(bytes).toBeLessThanOrEqual(10_000);
    expect(bytes).toBeGreaterThan(8_000);
    const reopened = reopen();
    expect(await reopened.get("k29")).toEqual({ text: "x".repeat(500), json: { i: 29 } });
    expect(await reopened.get("k0")).toBeUndefined();
  });

  it("forgets everything on clear, including the cache of earlier versions", async () => {
    await storage.set("officellm.fn-cache.v1.3", '{"e":[]}');
    const cache = reopen();
    cache.set("k", { text: "kept" });
    await cache.flush();
    await cache.clear();
    expect(await reopen().get("k")).toBeUndefined();
    expect(await storage.get("officellm.fn-cache.v1.3")).toBeNull();
  });
});
