import { afterEach, describe, expect, it } from "vitest";
import { ManualTimer } from "../shared/manual-timer.ts";
import { detectHost, type HostInfo } from "./host.ts";
import { colorIsDark, officeThemeIsDark } from "./theme.ts";

const g = globalThis as Record<string, unknown>;

afterEach(() => {
  delete g.Office;
});

describe("detectHost", () => {
  it("says outside Office at once when office.js did not load", async () => {
    await expect(detectHost()).resolves.toEqual({ host: null, platform: null });
  });

  it("reports Excel when Office.onReady answers", async () => {
    g.Office = { onReady: () => Promise.resolve({ host: "Excel", platform: "Mac" }) };
    await expect(detectHost()).resolves.toEqual({ host: "Excel", platform: "Mac" });
  });

  it("gives up after the timeout, and reports a host that answers later", async () => {
    const timer = new ManualTimer();
    let answer: (info: unknown) => void = () => {};
    g.Office = { onReady: () => new Promise((resolve) => (answer = resolve)) };
    let late: (info: HostInfo) => void = () => {};
    const reported = new Promise<HostInfo>((resolve) => (late = resolve));
    const detected = detectHost({ timeoutMs: 1500, onLate: late, timer });
    expect(timer.pending).toEqual([1500]);
    timer.advance(1500);
    await expect(detected).resolves.toEqual({ host: null, platform: null });
    answer({ host: "Excel", platform: "PC" });
    await expect(reported).resolves.toEqual({ host: "Excel", platform: "PC" });
  });
});

describe("theme", () => {
  it("reads the Office theme, by its flag or else its background", () => {
    expect(officeThemeIsDark()).toBeNull();
    g.Office = { context: { officeTheme: { isDarkTheme: true } } };
    expect(officeThemeIsDark()).toBe(true);
    g.Office = { context: { officeTheme: { bodyBackgroundColor: "#262626" } } };
    expect(officeThemeIsDark()).toBe(true);
    g.Office = { context: { officeTheme: { bodyBackgroundColor: "#FFFFFF" } } };
    expect(officeThemeIsDark()).toBe(false);
  });

  it("tells dark colours from light ones", () => {
    expect(colorIsDark("#000000")).toBe(true);
    expect(colorIsDark("#444444")).toBe(true);
    expect(colorIsDark("#f3f3f3")).toBe(false);
    expect(colorIsDark("red")).toBeNull();
  });
});
