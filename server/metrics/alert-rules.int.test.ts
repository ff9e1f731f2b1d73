/**
 * The alert rules in deploy/prometheus/: valid (`promtool check rules`), and each firing on the
 * series it is written for and on no others (`promtool test rules` on alerts.test.yml).
 */
import { describe, expect, it } from "vitest";
import { promtool } from "../test/promtool.ts";

describe("deploy/prometheus/alerts.yml", () => {
  it("passes promtool check rules", () => {
    const { status, output } = promtool(["check", "rules", "deploy/prometheus/alerts.yml"]);
    expect(status, output).toBe(0);
    expect(output).toMatch(/SUCCESS: 10 rules found/);
  });

  it("passes promtool test rules: each alert fires on its series and not on the others", () => {
    const { status, output } = promtool(["test", "rules", "deploy/prometheus/alerts.test.yml"]);
    expect(status, output).toBe(0);
    expect(output).toMatch(/SUCCESS/);
  });
});
