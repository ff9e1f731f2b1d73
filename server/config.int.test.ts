import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { NodeChild } from "./test/process.ts";

let dir: string | undefined;
let child: NodeChild | undefined;
afterEach(async () => {
  await child?.kill();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("start-up with a bad setting", () => {
  it("exits non-zero at once, naming the variable, without a stack trace", async () => {
    dir = mkdtempSync(join(tmpdir(), "officellm-config-"));
    child = new NodeChild("server/main.ts", [], {
      PORT: "abc",
      DATABASE_URL: `sqlite:${join(dir, "officellm.db")}`,
    });
    // It exits by itself rather than start serving (exit() kills a child that does not).
    const { code, timedOut } = await child.exit();
    expect(timedOut).toBe(false);
    expect(code).not.toBe(0);
    expect(code).not.toBeNull();
    expect(child.stderr).toContain("PORT");
    expect(child.stderr).toMatch(/whole number/);
    expect(child.stderr).not.toContain("    at ");
    expect(child.stdout).not.toContain("    at ");
  });
});
