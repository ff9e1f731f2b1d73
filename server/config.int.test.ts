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
    const started = Date.now();
    child = new NodeChild("server/main.ts", [], {
      PORT: "abc",
      DATABASE_URL: `sqlite:${join(dir, "officellm.db")}`,
    });
    const { code, timedOut } = await child.exit(5000);
    expect(timedOut).toBe(false);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(code).not.toBe(0);
    expect(code).not.toBeNull();
    expect(child.stderr).toContain("PORT");
    expect(child.stderr).toMatch(/whole number/);
    expect(child.stderr).not.toContain("    at ");
    expect(child.stdout).not.toContain("    at ");
  });
});
