import { describe, expect, it } from "vitest";
import type { ModelInfo } from "./api.ts";
import {
  estimateCost,
  headerMap,
  parseColumnReferences,
  planFill,
  renderRowPrompt,
} from "./fill-plan.ts";

describe("fill plan", () => {
  it("finds column references by letter or by header name", () => {
    const headers = new Map([["product", 0]]);
    const refs = parseColumnReferences(
      "Summarise {{B}} for {{ c }} and {{Product}} {{nope!}}",
      headers,
    );
    expect([...refs.columns]).toEqual([
      ["B", 1],
      ["c", 2],
      ["Product", 0],
    ]);
    expect(refs.unknown).toEqual(["nope!"]);
  });

  it("renders a row's prompt from its cells", () => {
    const refs = parseColumnReferences("{{A}} costs {{B}} ({{C}})").columns;
    const row = new Map<number, string | number | boolean>([
      [0, " Tea "],
      [1, 3.5],
      [2, true],
    ]);
    expect(renderRowPrompt("{{A}} costs {{B}} ({{C}})", refs, (c) => row.get(c))).toBe(
      "Tea costs 3.5 (TRUE)",
    );
  });

  it("plans rows: header and blank rows left out, answered rows skipped when asked", () => {
    const columns = new Map([
      [0, ["Name", "Ada", "", "Alan", "Grace"]],
      [1, ["City", "London", "", "Wilmslow", "Arlington"]],
      [2, ["Out", "", "", "done already", "#FAILED: timeout"]],
    ]);
    const references = parseColumnReferences(
      "Hi {{Name}} of {{B}}",
      headerMap(columns, 0, 1),
    ).columns;
    const plan = planFill({
      prompt: "Hi {{Name}} of {{B}}",
      references,
      firstRow: 10,
      lastRow: 14,
      header: true,
      columns,
      output: columns.get(2),
      skipFilled: true,
    });
    expect(plan.rows).toEqual([
      { row: 11, prompt: "Hi Ada of London" },
      { row: 14, prompt: "Hi Grace of Arlington" },
    ]);
    expect(plan.blank).toEqual([12]);
    expect(plan.filled).toEqual([13]);
  });

  it("estimates cost from rough tokens and the model's prices", () => {
    const model = { pricePerMillionTokens: { input: 3, output: 15 } } as ModelInfo;
    const rows = [
      { row: 1, prompt: "x".repeat(400) },
      { row: 2, prompt: "y".repeat(40) },
    ];
    expect(estimateCost(rows, model)).toEqual({
      inputTokens: 110,
      outputTokens: 200,
      usd: (110 * 3 + 200 * 15) / 1_000_000,
    });
    expect(estimateCost(rows, undefined).usd).toBeNull();
  });
});
