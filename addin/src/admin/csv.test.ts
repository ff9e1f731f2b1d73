import { describe, expect, it } from "vitest";
import { toCsv } from "./csv.ts";

describe("toCsv", () => {
  it("quotes what needs quoting and defuses formulas, keeping negative numbers", () => {
    expect(
      toCsv(
        ["name", "cost"],
        [
          ["Finance, EU", "$1.00"],
          ['say "hi"', "-3"],
          ["=1+1", "@x"],
        ],
      ),
    ).toBe('name,cost\r\n"Finance, EU",$1.00\r\n"say ""hi""",-3\r\n\'=1+1,\'@x\r\n');
  });
});
