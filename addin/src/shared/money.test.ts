import { describe, expect, it } from "vitest";
import { formatUsd, sumUsd, usdToNano } from "./money.ts";

describe("formatUsd", () => {
  it("shows cents from a cent up, four decimals below, and never a float artefact", () => {
    expect(formatUsd(12.344)).toBe("$12.34");
    expect(formatUsd(12.345)).toBe("$12.35");
    expect(formatUsd(1234.5)).toBe("$1,234.50");
    expect(formatUsd(0.1 + 0.2)).toBe("$0.30");
    expect(formatUsd(0.01)).toBe("$0.01");
    expect(formatUsd(0.00995)).toBe("$0.01");
    expect(formatUsd(0.0099)).toBe("$0.0099");
    expect(formatUsd(0.00008775)).toBe("$0.0001");
    expect(formatUsd(0.0000499)).toBe("< $0.0001");
    expect(formatUsd(0)).toBe("$0.00");
    expect(formatUsd(-2.5)).toBe("−$2.50");
  });
});

describe("sumUsd", () => {
  it("adds in whole nano-dollars", () => {
    expect(sumUsd([0.1, 0.2])).toBe(0.3);
    expect(sumUsd(Array.from({ length: 10 }, () => 0.00008775))).toBe(0.0008775);
    expect(usdToNano(0.00008775)).toBe(87_750);
  });
});
