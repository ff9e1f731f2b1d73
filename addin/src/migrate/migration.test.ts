/**
 * The Migrate flow on the in-memory Excel host (the browser tests' stand-in, here in Node): a
 * workbook of several sheets with a few hundred COPILOT(), Cellm and Excel Labs formulas, many
 * showing #NAME?; scanned in chunks, applied in checked batches, computed through the custom
 * functions' stand-in against a fake backend, and restored exactly.
 */
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  installFakeExcel,
  type FakeCellValue,
  type FakeExcelHandle,
  type FakeExcelSeed,
  type FakeFormulaCell,
} from "../../e2e/fake-excel.ts";
import { officeExcel } from "../office/index.ts";
import { quoteSheet } from "../office/address.ts";
import { connectedStorage, FakeExcel, fakeBackend, register } from "../functions/test-support.ts";
import { parseFormula, type PlacedToken } from "./formula.ts";
import {
  applyFindings,
  MIGRATION_KEY,
  readMigrationRecord,
  readPromptInputs,
  restoreLastMigration,
  scanWorkbook,
} from "./migration.ts";
import { appliesInBulk, estimatePrompts, groupBySheet, type Finding } from "./plan.ts";

const g = globalThis as Record<string, unknown>;
const server = setupServer();
const functions = new FakeExcel();

beforeAll(() => server.listen({ onUnhandledFrame: "error" }));
beforeEach(() => functions.install());
afterEach(() => {
  server.resetHandlers();
  functions.uninstall();
  for (const name of ["window", "Office", "Excel", "__fakeExcel"]) delete g[name];
});
afterAll(() => server.close());

const MODELS = [{ id: "openai/gpt-4o-mini", provider: "openrouter" }];
const NAME = "#NAME?";

/** The workbook: 355 formulas on three sheets (and a fourth without any), most showing #NAME?. */
function workbook(): { seed: FakeExcelSeed; formulas: Map<string, string> } {
  const cells: Record<string, FakeCellValue | FakeFormulaCell> = {};
  const formula = (address: string, text: string, value: FakeCellValue = NAME) =>
    (cells[address] = { formula: text, value });
  for (let row = 2; row <= 101; row++) {
    cells[`Reviews!A${row}`] = `Review ${row % 10}: ${row % 2 === 1 ? "great" : "broken"}`;
    formula(
      `Reviews!B${row}`,
      `=COPILOT("Classify", A${row}, "as positive or negative")`,
      row % 2 === 0 ? NAME : "positive",
    );
    formula(`Reviews!C${row}`, `=IFERROR(_xlfn.COPILOT("Summarise, briefly:", A${row}), "")`);
  }
  for (let row = 2; row <= 51; row++) {
    cells[`'Q1 Sales'!A${row}`] = `Region ${row % 5}`;
    cells[`'Q1 Sales'!B${row}`] = row * 10;
    formula(`'Q1 Sales'!D${row}`, `=PROMPT.TOROW("Three ideas for", 'Q1 Sales'!A${row})`);
    formula(
      `'Q1 Sales'!E${row}`,
      `=PROMPTMODEL("openai/gpt-4o-mini", "Extract the region", A${row}:B${row})`,
    );
    cells[`'Bob''s data'!A${row}`] = `topic ${row % 7}`;
    formula(
      `'Bob''s data'!B${row}`,
      `=LABS.GENERATIVEAI("Write about "&A${row}, 0.2, 50)`,
      "an old answer",
    );
  }
  formula("'Q1 Sales'!F2", '=PROMPT.TORANGE("Regions and their capitals")');
  formula("'Bob''s data'!C1", "=COPILOT()");
  formula("'Bob''s data'!C2", '{=COPILOT("Rank", A2:A4)}');
  formula("'Bob''s data'!C3", "=SUM(B2:B5)", 0);
  formula("'Bob''s data'!C4", '=LEN("COPILOT(")', 8);
  cells["Notes!A1"] = "No formulas here";
  const formulas = new Map(
    Object.entries(cells).flatMap(([address, cell]) =>
      typeof cell === "object" ? [[address, cell.formula]] : [],
    ),
  );
  return {
    seed: {
      sheets: ["Reviews", "Q1 Sales", "Notes", "Bob's data"],
      cells,
      maxCellsPerRequest: 120,
    },
    formulas,
  };
}

function host(seed: FakeExcelSeed): FakeExcelHandle {
  g.window = globalThis;
  installFakeExcel(seed);
  return g.__fakeExcel as FakeExcelHandle;
}

/**
 * Computes a converted formula as Excel would, for the shapes in this workbook: text, numbers,
 * references, &, IFERROR and the LLM.* functions, which run in the functions' stand-in.
 */
async function compute(formula: string, sheet: string, excel: FakeExcelHandle): Promise<unknown> {
  const parsed = parseFormula(formula);
  let at = 0;
  const next = (): PlacedToken | undefined => parsed.tokens[at];
  const scalar = (value: unknown): unknown =>
    Array.isArray(value) ? scalar((value as unknown[][])[0]![0]) : value;
  const matrix = (value: unknown): unknown[][] =>
    Array.isArray(value) ? (value as unknown[][]) : [[value]];

  async function expression(): Promise<unknown> {
    let value = await term();
    while (next()?.type === "operator-infix" && next()!.value === "&") {
      at++;
      value = `${String(scalar(value))}${String(scalar(await term()))}`;
    }
    return value;
  }
  async function call(name: string): Promise<unknown> {
    const args: (() => Promise<unknown>)[] = [];
    const starts: number[] = [];
    // Arguments are read lazily (IFERROR catches its first one's error).
    while (next()!.subtype !== "stop") {
      if (next()!.type === "argument") {
        at++;
        continue;
      }
      starts.push(at);
      await skip();
    }
    at++;
    const end = at;
    for (const start of starts) {
      args.push(async () => {
        at = start;
        const value = await expression();
        at = end;
        return value;
      });
    }
    if (name === "IFERROR") {
      try {
        return await args[0]!();
      } catch {
        return args[1]!();
      }
    }
    const id = name.replace(/^LLM\./, "");
    const values: unknown[] = [];
    for (const arg of args) values.push(matrix(await arg()));
    return functions.value(id, values[0], values.slice(1));
  }
  async function skip(): Promise<void> {
    let depth = 0;
    do {
      const token = next()!;
      if (token.subtype === "start") depth++;
      if (token.subtype === "stop") depth--;
      at++;
    } while (depth > 0 || (next() && next()!.type !== "argument" && next()!.subtype !== "stop"));
  }
  async function term(): Promise<unknown> {
    const token = next()!;
    at++;
    if (token.type === "function") return call(formula.slice(token.start, token.end - 1));
    if (token.subtype === "text") return token.value;
    if (token.subtype === "number") return Number(token.value);
    const address = token.value.includes("!") ? token.value : `${quoteSheet(sheet)}!${token.value}`;
    return excel.values(address);
  }
  return expression();
}

describe("Migrate on a workbook of several sheets", () => {
  it("finds every COPILOT, Cellm and Labs formula, grouped by sheet and function, #NAME? cells included", async () => {
    const { seed } = workbook();
    const excel = host(seed);
    const progress: string[] = [];
    const findings = await scanWorkbook(officeExcel, {
      models: MODELS,
      onProgress: (p) => progress.push(`${p.sheet} ${p.rowsRead}/${p.rows}`),
    });
    // Read in chunks the fake host accepts: the first, too large, were halved.
    expect(excel.refusedLoads).toBeGreaterThan(0);
    expect(progress).toContain("Reviews 100/100");

    expect(findings).toHaveLength(353);
    const groups = groupBySheet(findings);
    expect(
      groups.map(({ sheet, formulas, patterns, nameErrors, exact }) => ({
        sheet,
        formulas,
        patterns,
        nameErrors,
        exact,
      })),
    ).toEqual([
      {
        sheet: "Reviews",
        formulas: 200,
        patterns: [{ source: "COPILOT", count: 200 }],
        nameErrors: 150,
        exact: 200,
      },
      {
        sheet: "Q1 Sales",
        formulas: 101,
        patterns: [
          { source: "PROMPT.TOROW", count: 50 },
          { source: "PROMPTMODEL", count: 50 },
          { source: "PROMPT.TORANGE", count: 1 },
        ],
        nameErrors: 101,
        exact: 100,
      },
      {
        sheet: "Bob's data",
        formulas: 52,
        patterns: [
          { source: "LABS.GENERATIVEAI", count: 50 },
          { source: "COPILOT", count: 2 },
        ],
        nameErrors: 2,
        exact: 50,
      },
    ]);
    const byId = new Map(findings.map((finding) => [finding.id, finding]));
    expect(byId.get("Reviews!C7")).toMatchObject({
      after: '=IFERROR(LLM.PROMPT("Summarise, briefly:", A7), "")',
      exact: true,
    });
    expect(byId.get("'Bob''s data'!B9")?.after).toBe(
      '=LLM.PROMPT("Write about "&A9, "options: temperature=0.2; maxTokens=50")',
    );
    // What is not exact is listed with its reason.
    const inexact = findings.filter((finding) => !appliesInBulk(finding));
    expect(
      inexact.map((finding) => [finding.id, finding.after, finding.reasons.join("; ")]),
    ).toEqual([
      [
        "'Q1 Sales'!F2",
        '=LLM.TABLE("Regions and their capitals")',
        expect.stringMatching(/TORANGE/),
      ],
      ["'Bob''s data'!C1", undefined, expect.stringMatching(/no prompt to move/)],
      [
        "'Bob''s data'!C2",
        '{=LLM.PROMPT("Rank", A2:A4)}',
        expect.stringMatching(/legacy array formula/),
      ],
    ]);

    // Distinct prompts before converting: the cells the calls read are read too, so calls that
    // ask the same are one prompt (the reviews repeat 10 texts, the regions 5, the topics 7).
    const bulk = findings.filter(appliesInBulk);
    const priced = {
      defaultModel: "m",
      models: [{ id: "m", pricePerMillionTokens: { input: 1, output: 2 } }],
    } as never;
    const estimate = estimatePrompts(bulk, priced, await readPromptInputs(officeExcel, bulk));
    expect(estimate).toMatchObject({ calls: 350, distinct: 10 + 10 + 5 + 50 + 7, unread: 0 });
    expect(estimate.usd).toBeGreaterThan(0);
    // Without the cells' values: distinct call texts, an upper bound.
    expect(estimatePrompts(bulk, priced)).toMatchObject({ distinct: 350, unread: 350 });
  });

  it("applies all, computes every converted formula through the functions, and restores the originals exactly", async () => {
    const { seed, formulas } = workbook();
    const excel = host(seed);
    const backend = fakeBackend(server);
    register(functions, await connectedStorage());

    const findings = await scanWorkbook(officeExcel, { models: MODELS });
    const bulk = findings.filter(appliesInBulk);
    const estimate = estimatePrompts(bulk, undefined, await readPromptInputs(officeExcel, bulk));
    const writesBefore = excel.writes;
    const result = await applyFindings(officeExcel, bulk);
    expect(result.written).toHaveLength(350);
    expect(result.changed).toEqual([]);
    expect(result.failed).toEqual([]);
    // Each cell written once.
    expect(excel.writes - writesBefore).toBe(350);
    for (const finding of bulk) expect(excel.formula(finding.id)).toBe(finding.after);
    expect(excel.formula("'Bob''s data'!C1")).toBe("=COPILOT()");
    const record = await readMigrationRecord(officeExcel);
    expect(record?.changes).toHaveLength(350);

    // The converted formulas compute through the custom functions, and a second scan finds
    // only what was left.
    const values = await Promise.all(
      bulk.map((finding) => compute(finding.after!, finding.sheet, excel)),
    );
    expect(values.filter((value) => value === undefined || value === "")).toEqual([]);
    expect(values[0]).toMatch(/^answer to: Classify Review 2: broken as positive or negative/);
    const items = backend.batches.flat();
    // Each distinct prompt reached the backend once, as many as the pane said before converting.
    const asked = items.map(({ id: _id, ...request }) => JSON.stringify(request));
    expect(new Set(asked).size).toBe(items.length);
    expect(items).toHaveLength(estimate.distinct);

    // The one convertible but not exact (PROMPT.TORANGE), converted by choice, computes too.
    const anyway = findings.filter((finding) => finding.writable && !appliesInBulk(finding));
    expect(anyway.map((finding) => finding.id)).toEqual(["'Q1 Sales'!F2"]);
    expect((await applyFindings(officeExcel, anyway)).written).toHaveLength(1);
    await expect(compute(anyway[0]!.after!, "Q1 Sales", excel)).resolves.toEqual([
      ["Name", "Age"],
      ["Ann", 31],
      ["Bob", 27],
    ]);
    // A second scan finds only what cannot be converted, each with its reason.
    expect(
      (await scanWorkbook(officeExcel)).map((finding) => [finding.id, finding.writable]),
    ).toEqual([
      ["'Bob''s data'!C1", false],
      ["'Bob''s data'!C2", false],
    ]);

    const restored = await restoreLastMigration(officeExcel);
    expect(restored?.restored).toHaveLength(351);
    for (const [address, original] of formulas) expect(excel.formula(address)).toBe(original);
    expect(excel.settings).toEqual({});
    expect(await restoreLastMigration(officeExcel)).toBeNull();
  });

  it("applies a sheet, then one formula by choice; leaves a cell edited since the scan; restores both", async () => {
    const { seed, formulas } = workbook();
    const excel = host(seed);
    const findings = await scanWorkbook(officeExcel, { models: MODELS });
    const sales = groupBySheet(findings).find((group) => group.sheet === "Q1 Sales")!;

    // Someone edits a cell between the scan and the apply.
    await Excel.run(async (context) => {
      context.workbook.worksheets.getItem("Q1 Sales").getRange("D5").formulas = [["=1+1"]];
      await context.sync();
    });
    const first = await applyFindings(officeExcel, sales.findings.filter(appliesInBulk));
    expect(first.written).toHaveLength(99);
    expect(first.changed).toEqual([
      { finding: expect.objectContaining({ id: "'Q1 Sales'!D5" }), found: "=1+1" },
    ]);
    expect(excel.formula("'Q1 Sales'!D5")).toBe("=1+1");
    expect(excel.formula("'Q1 Sales'!D6")).toBe(
      `=LLM.PROMPT.TOROW("Three ideas for", 'Q1 Sales'!A6)`,
    );
    expect(excel.formula("Reviews!B2")).toBe(formulas.get("Reviews!B2"));

    const torange = findings.find((finding) => finding.id === "'Q1 Sales'!F2") as Finding;
    const second = await applyFindings(officeExcel, [torange]);
    expect(second.written).toHaveLength(1);
    expect(excel.formula("'Q1 Sales'!F2")).toBe('=LLM.TABLE("Regions and their capitals")');
    // A legacy array formula is shown converted but never written: Office.js cannot enter one,
    // and "{=…}" would be entered as text.
    const legacy = findings.find((finding) => finding.id === "'Bob''s data'!C2") as Finding;
    expect(legacy).toMatchObject({ after: '{=LLM.PROMPT("Rank", A2:A4)}', writable: false });
    expect((await applyFindings(officeExcel, [legacy])).written).toEqual([]);
    expect(excel.formula("'Bob''s data'!C2")).toBe(formulas.get("'Bob''s data'!C2"));
    expect((await readMigrationRecord(officeExcel))?.changes).toHaveLength(100);
    // The head, and the one part of the last save.
    const { generation } = excel.settings[MIGRATION_KEY] as { generation: string };
    expect(Object.keys(excel.settings).sort()).toEqual([
      MIGRATION_KEY,
      `${MIGRATION_KEY}.${generation}.0`,
    ]);

    const restored = await restoreLastMigration(officeExcel);
    expect(restored?.restored).toHaveLength(100);
    for (const [address, original] of formulas) {
      if (address !== "'Q1 Sales'!D5") expect(excel.formula(address)).toBe(original);
    }
  });

  it("restores cells whose formula Excel keeps in its own form, not as the pane wrote it", async () => {
    // Written by another tool: references in lower case, which Excel capitalises on entry.
    const originals: Record<string, string> = {
      "Sheet1!B1": '=copilot("Tone of", a1)',
      "Sheet1!B2": '=IFERROR(PROMPT("Summarise", a2:a3), "")',
      "Sheet1!B3": '=LABS.GENERATIVEAI("About "&a3, 0.2)',
    };
    const excel = host({
      cells: Object.fromEntries(
        Object.entries(originals).map(([address, formula]) => [address, { formula, value: NAME }]),
      ),
      capitalizeFormulas: true,
    });
    const findings = await scanWorkbook(officeExcel);
    const applied = await applyFindings(officeExcel, findings.filter(appliesInBulk));
    expect(applied.written).toHaveLength(3);
    expect(excel.formula("Sheet1!B1")).toBe('=LLM.PROMPT("Tone of", A1)');

    const restored = await restoreLastMigration(officeExcel);
    expect(restored?.changed).toEqual([]);
    expect(restored?.restored).toHaveLength(3);
    // The originals, as Excel keeps them when entered.
    expect(excel.formula("Sheet1!B1")).toBe('=COPILOT("Tone of", A1)');
    expect(excel.formula("Sheet1!B2")).toBe('=IFERROR(PROMPT("Summarise", A2:A3), "")');
    expect(excel.formula("Sheet1!B3")).toBe('=LABS.GENERATIVEAI("About "&A3, 0.2)');
  });

  it("keeps the originals of a large migration in requests Excel accepts", async () => {
    // 2,000 formulas with long prompts: a record of about 1.8 million characters, more than
    // one request may carry.
    const { prompt, cells, excel } = largeMigration();
    const findings = await scanWorkbook(officeExcel);
    expect((await applyFindings(officeExcel, findings)).written).toHaveLength(2_000);
    expect(JSON.stringify(excel.settings).length).toBeGreaterThan(1_500_000);
    expect(excel.formula("Sheet1!B2000")).toBe(`=LLM.PROMPT("${prompt}", A2000)`);

    const restored = await restoreLastMigration(officeExcel);
    expect(restored?.restored).toHaveLength(2_000);
    expect(excel.formula("Sheet1!B2000")).toBe(cells["Sheet1!B2000"]!.formula);
    expect(excel.settings).toEqual({});
  });

  it("keeps the previous originals whole when a save of the record is cut short", async () => {
    const { cells, excel } = largeMigration();
    const findings = await scanWorkbook(officeExcel);
    const first = findings.filter((finding) => finding.row <= 10);
    expect((await applyFindings(officeExcel, first)).written).toHaveLength(10);
    const saved = { ...excel.settings };

    // The rest: a record of several parts, of which Excel refuses the second (or the pane is
    // closed while it is sent). Nothing is converted, and the record is the one saved before.
    excel.refuseSettingWrite = 2;
    const rest = findings.filter((finding) => finding.row > 10);
    await expect(applyFindings(officeExcel, rest)).rejects.toThrow(
      "The settings could not be saved.",
    );
    expect(excel.formula("Sheet1!B11")).toBe(cells["Sheet1!B11"]!.formula);
    expect((await readMigrationRecord(officeExcel))?.changes).toHaveLength(10);
    expect(excel.settings).toMatchObject(saved);

    // The next save leaves only its own parts, the cut-short one's gone.
    expect((await applyFindings(officeExcel, rest.slice(0, 10))).written).toHaveLength(10);
    const { generation } = excel.settings[MIGRATION_KEY] as { generation: string };
    expect(Object.keys(excel.settings).sort()).toEqual([
      MIGRATION_KEY,
      `${MIGRATION_KEY}.${generation}.0`,
    ]);

    const restored = await restoreLastMigration(officeExcel);
    expect(restored?.restored).toHaveLength(20);
    for (const [address, cell] of Object.entries(cells))
      expect(excel.formula(address)).toBe(cell.formula);
    expect(excel.settings).toEqual({});
  });

  it("restores the originals a save before generations kept", async () => {
    const cells: Record<string, FakeFormulaCell> = {
      "Sheet1!B1": { formula: '=COPILOT("Tone of", A1)', value: NAME },
    };
    const excel = host({ cells });
    const record = {
      version: 1,
      at: "2026-11-01T00:00:00.000Z",
      changes: [
        {
          sheet: "Sheet1",
          row: 1,
          column: 1,
          before: '=COPILOT("Tone of", A1)',
          after: '=LLM.PROMPT("Tone of", A1)',
        },
      ],
    };
    await Excel.run(async (context) => {
      context.workbook.worksheets.getItem("Sheet1").getRange("B1").formulas = [
        ['=LLM.PROMPT("Tone of", A1)'],
      ];
      context.workbook.settings.add(MIGRATION_KEY, 1);
      context.workbook.settings.add(`${MIGRATION_KEY}.0`, JSON.stringify(record));
      await context.sync();
    });

    const restored = await restoreLastMigration(officeExcel);
    expect(restored?.restored).toHaveLength(1);
    expect(excel.formula("Sheet1!B1")).toBe('=COPILOT("Tone of", A1)');
    expect(excel.settings).toEqual({});
  });
});

/**
 * 2,000 COPILOT formulas with long prompts, in a workbook whose requests carry at most 600,000
 * characters of settings: their record of originals, about 1.8 million characters, takes several.
 */
function largeMigration() {
  const prompt = "Rate the tone of this customer review, from 1 (angry) to 5 (delighted). ".repeat(
    6,
  );
  const cells: Record<string, FakeFormulaCell> = {};
  for (let row = 1; row <= 2_000; row++)
    cells[`Sheet1!B${row}`] = { formula: `=COPILOT("${prompt}", A${row})`, value: NAME };
  return { prompt, cells, excel: host({ cells, maxSettingCharsPerRequest: 600_000 }) };
}
