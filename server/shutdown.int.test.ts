import { describe, expect, it } from "vitest";
import { NodeChild } from "./test/process.ts";

describe("stopping on SIGTERM", () => {
  it("logs a failed release, flushes the log and exits 1 instead of dying on the rejection", async () => {
    const child = new NodeChild("server/test/children/shutdown-child.ts", [], {});
    await child.waitFor(/"msg":"listening"/);
    child.child.kill("SIGTERM");
    const exit = await child.exit();
    expect(exit.timedOut).toBe(false);
    expect(exit.code).toBe(1);
    const records = child.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { msg: string; err?: { message: string } });
    // Every record reaches the log; the asynchronous writer may order the last ones differently.
    expect(records.map((record) => record.msg).sort()).toEqual([
      "listening",
      "stopped",
      "stopping: could not release resources",
      "stopping: no new connections, draining requests in flight",
    ]);
    const failure = records.find(
      (record) => record.msg === "stopping: could not release resources",
    );
    expect(failure?.err?.message).toBe("the store would not close");
    expect(child.stderr).toBe("");
  });
});
