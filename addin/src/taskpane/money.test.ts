import { describe, expect, it } from "vitest";
import { formatUsd } from "./money.ts";

describe("formatUsd", () => {
  it("rounds for people, never showing a float artefact", () => {
    expect(formatUsd(0)).toBe("$0.00");
    expect(formatUsd(0.00001)).toBe("under $0.0001");
    expect(formatUsd(0.0001)).toBe("$0.0001");
    expect(formatUsd(0.1 + 0.2)).toBe("$0.30");
    expect(formatUsd(12.3449)).toBe("$12.34");
    expect(formatUsd(0.004200000001)).toBe("$0.0042");
  });
});
