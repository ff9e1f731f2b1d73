import { describe, expect, it } from "vitest";
import { parseDuration } from "./duration.ts";

describe("parseDuration", () => {
  const valid: [string, number][] = [
    ["90s", 90_000],
    ["15m", 15 * 60_000],
    ["24h", 24 * 3_600_000],
    ["30d", 30 * 86_400_000],
    ["2w", 14 * 86_400_000],
    ["1s", 1000],
  ];
  for (const [text, ms] of valid) {
    it(`reads ${text} as ${ms} ms`, () => {
      expect(parseDuration(text)).toBe(ms);
    });
  }

  for (const bad of ["0d", "", "5y", "abc", "30", "d", "-1d", "1.5h", "30 days"]) {
    it(`rejects ${JSON.stringify(bad)} with a message that shows the form`, () => {
      expect(() => parseDuration(bad)).toThrow(/30d/);
    });
  }
});
