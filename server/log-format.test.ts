import { describe, expect, it } from "vitest";
import { loadConfig } from "./config.ts";
import { createLogger } from "./logger.ts";
import { LogCapture } from "./test/harness.ts";

describe("the log's format", () => {
  it("is readable lines at a terminal, JSON otherwise or when NODE_ENV=production", () => {
    expect(loadConfig({}, { terminal: true }).log.format).toBe("pretty");
    expect(loadConfig({}, { terminal: false }).log.format).toBe("json");
    expect(loadConfig({}).log.format).toBe("json");
    expect(loadConfig({ NODE_ENV: "production" }, { terminal: true }).log.format).toBe("json");
    expect(loadConfig({ LOG_FORMAT: "json" }, { terminal: true }).log.format).toBe("json");
    expect(loadConfig({ LOG_FORMAT: "pretty" }, { terminal: false }).log.format).toBe("pretty");
  });

  it("pretty: one line per request, with method, path, status and duration", async () => {
    const logs = new LogCapture();
    const logger = createLogger({ log: { level: "info", format: "pretty" } }, logs);
    const secret = `ollm_${"A".repeat(43)}`;
    logger.info(
      {
        requestId: "r-1",
        method: "POST",
        route: "/api/v1/completions",
        path: "/api/v1/completions",
        status: 200,
        durationMs: 12.5,
        tokenId: "tok_1",
      },
      "request",
    );
    logger.warn({ provider: "openai", token: secret, note: `a ${secret}` }, "falling back");
    await new Promise<void>((resolve) => logger.flush(() => resolve()));
    await expect.poll(() => logs.lines.length).toBe(2);
    expect(logs.lines[0]).toMatch(
      /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO.*: POST \/api\/v1\/completions 200 12\.5 ms$/,
    );
    expect(logs.lines[1]).toMatch(/WARN.*: falling back \{"provider":"openai",.*\}$/);
    expect(logs.text).not.toContain(secret);
  });
});
