import { describe, expect, it } from "vitest";
import { createLogger } from "../../../logger.ts";
import { LogCapture } from "../../../test/harness.ts";
import { sdkLogging } from "./sdk-logging.ts";

function logging(level: "debug" | "info" | "error" | "silent") {
  const lines = new LogCapture();
  return {
    lines,
    ...sdkLogging(createLogger({ log: { level, format: "json" } }, lines), "anthropic"),
  };
}

describe("sdkLogging", () => {
  it("writes an SDK's line as a JSON record under the provider's name, without its details", () => {
    const { lines, logger } = logging("debug");
    logger.warn("[log_1] response error", { options: { body: { prompt: "a caller's prompt" } } });
    expect(lines.records()).toEqual([
      expect.objectContaining({ level: 40, provider: "anthropic", msg: "[log_1] response error" }),
    ]);
    expect(lines.text).not.toContain("a caller's prompt");
  });

  it("asks the SDK for debug lines only when the server logs at debug", () => {
    expect(logging("debug").logLevel).toBe("debug");
    expect(logging("info").logLevel).toBe("warn");
    expect(logging("error").logLevel).toBe("error");
    expect(logging("silent").logLevel).toBe("off");
  });
});
