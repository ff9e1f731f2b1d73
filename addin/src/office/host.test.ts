import { afterEach, describe, expect, it, vi } from "vitest";
import { detectHost } from "./host.ts";
import { colorIsDark, officeThemeIsDark } from "./theme.ts";

const g = globalThis as Record<string, unknown>;

afterEach(() => {
  delete g.Office;
  vi.useRealTimers();
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
    vi.useFakeTimers();
    let answer: (info: unknown) => void = () => {};
    g.Office = { onReady: () => new Promise((resolve) => (answer = resolve)) };
    const late = vi.fn();
    const detected = detectHost({ timeoutMs: 1500, onLate: late });
    await vi.advanceTimersByTimeAsync(1500);
    await expect(detected).resolves.toEqual({ host: null, platform: null });
    answer({ host: "Excel", platform: "PC" });
    await vi.advanceTimersByTimeAsync(0);
    expect(late).toHaveBeenCalledWith({ host: "Excel", platform: "PC" });
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
