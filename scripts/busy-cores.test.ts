import type { ChildProcess } from "node:child_process";
import { describe, expect, it } from "vitest";
import { withBusyCores } from "./busy-cores.ts";

const running = (loop: ChildProcess) => loop.exitCode === null && loop.signalCode === null;

describe("withBusyCores", () => {
  it("keeps its loops running during the work, and stops them after it", async () => {
    let seen: readonly ChildProcess[] = [];
    const result = await withBusyCores(2, async (loops) => {
      seen = loops;
      expect(loops.map(running)).toEqual([true, true]);
      return "done";
    });
    expect(result).toBe("done");
    expect(seen.map(running)).toEqual([false, false]);
  });

  it("stops its loops when the work fails", async () => {
    let seen: readonly ChildProcess[] = [];
    await expect(
      withBusyCores(1, async (loops) => {
        seen = loops;
        throw new Error("tests failed");
      }),
    ).rejects.toThrow("tests failed");
    expect(seen).toHaveLength(1);
    expect(seen.map(running)).toEqual([false]);
  });
});
