import { describe, expect, it } from "vitest";
import { catalog } from "../llm/providers/catalog.ts";
import { formatUsd, nanoUsdPerToken, nanoUsdToUsd, usdToNanoUsd } from "./money.ts";

describe("money in nano-dollars", () => {
  it("reads USD amounts as the whole nano-dollars they stand for", () => {
    expect(usdToNanoUsd(12.34)).toBe(12_340_000_000);
    expect(usdToNanoUsd(0.000001)).toBe(1_000);
    // A binary neighbour of an amount is that amount.
    expect(usdToNanoUsd(0.00008774999999999999)).toBe(87_750);
    expect(usdToNanoUsd(0.1 + 0.2)).toBe(300_000_000);
  });

  it("gives nano-dollars back as the USD number that prints as the exact decimal", () => {
    expect(String(nanoUsdToUsd(87_750))).toBe("0.00008775");
    expect(String(nanoUsdToUsd(1_350))).toBe("0.00000135");
    expect(String(nanoUsdToUsd(999_993_250))).toBe("0.99999325");
    expect(nanoUsdToUsd(100_000_000_300)).toBe(100.0000003);
    for (let nano = 1; nano < 1_000_000; nano += 7_919)
      expect(String(nanoUsdToUsd(nano))).not.toMatch(/\d{10}/);
  });

  it("prices every catalog model in whole nano-dollars per token", () => {
    for (const model of catalog) {
      for (const perMillion of [model.inputPerMillion, model.outputPerMillion]) {
        expect(Math.abs(nanoUsdPerToken(perMillion) - perMillion * 1000)).toBeLessThan(1e-6);
      }
    }
    expect(nanoUsdPerToken(0.15)).toBe(150);
    expect(nanoUsdPerToken(1.25)).toBe(1_250);
  });

  it("writes amounts exactly, with cents at least", () => {
    expect(formatUsd(0)).toBe("$0.00");
    expect(formatUsd(1_250_000_000)).toBe("$1.25");
    expect(formatUsd(12_000_000_000)).toBe("$12.00");
    expect(formatUsd(87_750)).toBe("$0.00008775");
    expect(formatUsd(1)).toBe("$0.000000001");
  });
});
