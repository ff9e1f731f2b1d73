/**
 * The alert rules in deploy/prometheus/: valid (`promtool check rules`), and each firing on the
 * series it is written for and on no others (`promtool test rules` on alerts.test.yml); and the
 * Compose deployment's Prometheus configuration that loads them (`promtool check config`).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../test/process.ts";
import { promtool } from "../test/promtool.ts";

describe("deploy/prometheus/alerts.yml", () => {
  it("passes promtool check rules", () => {
    const { status, output } = promtool(["check", "rules", "deploy/prometheus/alerts.yml"]);
    expect(status, output).toBe(0);
    expect(output).toMatch(/SUCCESS: 11 rules found/);
  });

  it("passes promtool test rules: each alert fires on its series and not on the others", () => {
    const { status, output } = promtool(["test", "rules", "deploy/prometheus/alerts.test.yml"]);
    expect(status, output).toBe(0);
    expect(output).toMatch(/SUCCESS/);
  });
});

describe("deploy/compose/prometheus.yml", () => {
  it("passes promtool check config, with the rules and the metrics token where Compose mounts them", () => {
    const dir = mkdtempSync(join(tmpdir(), "officellm-prometheus-"));
    try {
      const tokenFile = join(dir, "metrics_token");
      writeFileSync(tokenFile, "a-metrics-token-for-the-check-only-0123456789");
      const config = readFileSync(join(repoRoot, "deploy/compose/prometheus.yml"), "utf8")
        .replace("/etc/prometheus/alerts.yml", join(repoRoot, "deploy/prometheus/alerts.yml"))
        .replace("/run/secrets/metrics_token", tokenFile);
      writeFileSync(join(dir, "prometheus.yml"), config);
      const { status, output } = promtool(["check", "config", join(dir, "prometheus.yml")]);
      expect(status, output).toBe(0);
      expect(output).toMatch(/SUCCESS: 1 rule files found/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
