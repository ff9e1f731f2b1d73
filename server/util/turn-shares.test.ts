import { setImmediate as nextTurn } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { TurnShares } from "./turn-shares.ts";

describe("TurnShares", () => {
  it("resumes at most perTurn callers a turn, in the order they asked", async () => {
    const shares = new TurnShares(2);
    const resumed: number[][] = [];
    let turn = 0;
    const waits = [0, 1, 2, 3, 4].map((caller) =>
      shares.next().then(() => (resumed[turn] ??= []).push(caller)),
    );
    // One tick of this counter per turn of the event loop, scheduled before the shares were.
    while (resumed.flat().length < 5) {
      await nextTurn();
      turn++;
    }
    await Promise.all(waits);
    expect(resumed.filter(Boolean)).toEqual([[0, 1], [2, 3], [4]]);
  });

  it("never resumes a caller in the turn it asked in", async () => {
    const shares = new TurnShares(10);
    let resumed = false;
    const waited = shares.next().then(() => (resumed = true));
    await Promise.resolve();
    expect(resumed).toBe(false);
    await waited;
    expect(resumed).toBe(true);
  });

  it("resumes thousands of callers in the order they asked, perTurn a turn", async () => {
    const shares = new TurnShares(1000);
    const order: number[] = [];
    const turns = new Set<number>();
    let turn = 0;
    const waits = Array.from({ length: 3500 }, (_, caller) =>
      shares.next().then(() => {
        order.push(caller);
        turns.add(turn);
      }),
    );
    while (order.length < 3500) {
      await nextTurn();
      turn++;
    }
    await Promise.all(waits);
    expect(order).toEqual(Array.from({ length: 3500 }, (_, caller) => caller));
    expect(turns.size).toBe(4);
  });

  it("takes owners in turn: one owner's thousands delay another's single caller by a share", async () => {
    const shares = new TurnShares(4);
    const order: string[] = [];
    const fill = Array.from({ length: 2000 }, (_, caller) =>
      shares.next("fill").then(() => order.push(`fill ${caller}`)),
    );
    while (order.length === 0) await nextTurn();
    // Asked after the fill's 2,000, once its first share has gone: served in the next share.
    const single = shares.next("neighbour").then(() => order.push("neighbour"));
    const other = shares.next("other").then(() => order.push("other"));
    await Promise.all([...fill, single, other]);
    expect(order.slice(0, 8)).toEqual([
      "fill 0",
      "fill 1",
      "fill 2",
      "fill 3",
      "fill 4",
      "neighbour",
      "other",
      "fill 5",
    ]);
    // The fill's own callers keep the order they asked in.
    const fillOrder = order.filter((entry) => entry.startsWith("fill"));
    expect(fillOrder).toEqual(Array.from({ length: 2000 }, (_, caller) => `fill ${caller}`));
  });
});
