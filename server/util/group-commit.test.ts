import { describe, expect, it } from "vitest";
import { GroupCommit } from "./group-commit.ts";

describe("GroupCommit", () => {
  it("writes the items of one turn together, and at once when maxBatch are waiting", async () => {
    const batches: number[][] = [];
    const commits = new GroupCommit<number>(async (items) => void batches.push(items), 3);

    const added = [1, 2, 3, 4, 5].map((item) => commits.add(item));
    expect(batches).toEqual([[1, 2, 3]]);
    await Promise.all(added);

    expect(batches).toEqual([
      [1, 2, 3],
      [4, 5],
    ]);
  });

  it("flushes what is queued and waits for every write, even one added meanwhile", async () => {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const batches: number[][] = [];
    const commits = new GroupCommit<number>(async (items) => {
      batches.push(items);
      await gate;
    }, 10);
    const settled: number[] = [];

    void commits.add(1).then(() => settled.push(1));
    const flushed = commits.flush();
    expect(batches).toEqual([[1]]);
    void commits.add(2).then(() => settled.push(2));
    open();
    await flushed;

    expect(batches).toEqual([[1], [2]]);
    expect(settled).toEqual([1, 2]);
  });

  it("rejects the items of a failed write only, and flushes past it", async () => {
    const refused = new Error("refused");
    const commits = new GroupCommit<number>(async (items) => {
      if (items.includes(0)) throw refused;
    }, 10);

    const failed = Promise.allSettled([commits.add(0), commits.add(1)]);
    await commits.flush();
    const later = commits.add(2);
    await commits.flush();

    expect(await failed).toEqual([
      { status: "rejected", reason: refused },
      { status: "rejected", reason: refused },
    ]);
    await expect(later).resolves.toBeUndefined();
  });
});
