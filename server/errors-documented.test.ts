import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { errorStatuses } from "./errors.ts";

const troubleshooting = readFileSync(
  new URL("../docs/troubleshooting.md", import.meta.url),
  "utf8",
);

describe("docs/troubleshooting.md", () => {
  it("explains every error code the API answers with, with its status", () => {
    const rows = new Map(
      [...troubleshooting.matchAll(/^\| `([a-z_]+)` +\| (\d{3}) +\|/gm)].map((m) => [m[1], m[2]]),
    );
    for (const [code, status] of Object.entries(errorStatuses)) {
      expect(rows.get(code), code).toBe(String(status));
    }
    // And no code the server no longer has.
    expect([...rows.keys()].sort()).toEqual(Object.keys(errorStatuses).sort());
  });
});
