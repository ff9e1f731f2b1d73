import { fileURLToPath } from "node:url";
import { build, type Rollup } from "vite";
import { beforeAll, describe, expect, it } from "vitest";
import { allowErrorsInContext, customFunctionsMetadata } from "../../functions-metadata-plugin.ts";
import { customFunctions } from "./register.ts";

interface Parameter {
  name: string;
  type?: string;
  dimensionality?: string;
  optional?: boolean;
  repeating?: boolean;
  allowErrorForDataTypeAny?: boolean;
}
interface FunctionMetadata {
  id: string;
  name: string;
  description: string;
  options?: Record<string, boolean>;
  parameters: Parameter[];
  result: { type?: string; dimensionality?: string };
}

const source = fileURLToPath(new URL("./functions.ts", import.meta.url));

/** functions.json as the add-in's Vite build makes it (with the same plugin), not written to disk. */
async function buildMetadata(): Promise<{ functions: FunctionMetadata[] }> {
  const output = (await build({
    configFile: false,
    logLevel: "silent",
    plugins: [customFunctionsMetadata(source)],
    build: { write: false, rollupOptions: { input: source } },
  })) as Rollup.RollupOutput | Rollup.RollupOutput[];
  const files = (Array.isArray(output) ? output : [output]).flatMap((o) => o.output);
  const asset = files.find((file) => file.fileName === "functions.json");
  if (!asset || asset.type !== "asset") throw new Error("the build made no functions.json");
  return JSON.parse(String(asset.source)) as { functions: FunctionMetadata[] };
}

describe("functions.json from the Vite build", () => {
  let byId: Map<string, FunctionMetadata>;
  beforeAll(async () => {
    const metadata = await buildMetadata();
    byId = new Map(metadata.functions.map((fn) => [fn.id, fn]));
  }, 60_000);

  it("has exactly the functions that are associated, each named by its id", () => {
    expect([...byId.keys()].sort()).toEqual(Object.keys(customFunctions).sort());
    expect([...byId.keys()].sort()).toEqual(
      [
        "CLASSIFY",
        "CLOSEST",
        "EXTRACT",
        "LIST",
        "PROMPT",
        "PROMPT.TOCOLUMN",
        "PROMPT.TOROW",
        "SIMILAR",
        "SUMMARIZE",
        "TABLE",
        "TRANSLATE",
      ].sort(),
    );
    for (const fn of byId.values()) {
      expect(fn.name).toBe(fn.id);
      expect(fn.description.length).toBeGreaterThan(10);
    }
  });

  it("makes every function cancelable, not streaming, volatile or address-bound", () => {
    for (const fn of byId.values()) {
      expect(fn.options, fn.id).toEqual({ cancelable: true });
    }
  });

  it("describes PROMPT, its TOROW and TOCOLUMN, LIST and TABLE with a prompt that may be a range, then a repeating, optional context of ranges", () => {
    for (const id of ["PROMPT", "PROMPT.TOROW", "PROMPT.TOCOLUMN", "LIST", "TABLE"]) {
      const fn = byId.get(id)!;
      expect(
        fn.parameters.map(({ name, type, dimensionality, optional, repeating }) => ({
          name,
          type,
          dimensionality,
          optional,
          repeating,
        })),
      ).toEqual([
        {
          name: "prompt",
          type: "any",
          dimensionality: "matrix",
          optional: undefined,
          repeating: undefined,
        },
        { name: "context", type: "any", dimensionality: "matrix", optional: true, repeating: true },
      ]);
    }
    expect(byId.get("PROMPT")!.result).toEqual({ type: "string" });
    expect(byId.get("LIST")!.result).toEqual({ dimensionality: "matrix" });
    expect(byId.get("PROMPT.TOROW")!.result).toEqual({ dimensionality: "matrix" });
    expect(byId.get("PROMPT.TOCOLUMN")!.result).toEqual({ dimensionality: "matrix" });
    expect(byId.get("TABLE")!.result).toEqual({ dimensionality: "matrix" });
  });

  it("lets error cells into the context ranges only, so one #N/A does not stop a formula", () => {
    const tolerant = [...byId.values()].flatMap((fn) =>
      fn.parameters
        .filter((parameter) => parameter.allowErrorForDataTypeAny !== undefined)
        .map((parameter) => [fn.id, parameter.name, parameter.allowErrorForDataTypeAny]),
    );
    expect(tolerant.sort()).toEqual(
      [
        ["LIST", "context", true],
        ["PROMPT", "context", true],
        ["PROMPT.TOCOLUMN", "context", true],
        ["PROMPT.TOROW", "context", true],
        ["SUMMARIZE", "text", true],
        ["TABLE", "context", true],
      ].sort(),
    );
  });

  it("refuses to build when an error-tolerant parameter is renamed or retyped", () => {
    const metadata = (parameters: { name: string; type: string }[]) =>
      JSON.stringify({
        functions: ["PROMPT", "PROMPT.TOROW", "PROMPT.TOCOLUMN", "LIST", "TABLE", "SUMMARIZE"].map(
          (id) => ({ id, parameters }),
        ),
      });
    expect(() => allowErrorsInContext(metadata([{ name: "context", type: "any" }]))).toThrow(
      /no parameter text of type any in SUMMARIZE/,
    );
    const retyped = [
      { name: "context", type: "string" },
      { name: "text", type: "any" },
    ];
    expect(() => allowErrorsInContext(metadata(retyped))).toThrow(/context of type any in PROMPT/);
  });

  it("takes ranges as matrices and options as an optional last text", () => {
    const shape = (id: string) =>
      byId
        .get(id)!
        .parameters.map((p) => [p.name, p.type, p.dimensionality ?? "scalar", p.optional ?? false]);
    expect(shape("EXTRACT")).toEqual([
      ["text", "any", "scalar", false],
      ["fields", "any", "matrix", false],
      ["options", "string", "scalar", true],
    ]);
    expect(byId.get("EXTRACT")!.result).toEqual({ dimensionality: "matrix" });
    expect(shape("CLASSIFY")).toEqual([
      ["text", "any", "scalar", false],
      ["labels", "any", "matrix", false],
      ["options", "string", "scalar", true],
    ]);
    expect(byId.get("CLASSIFY")!.result).toEqual({ type: "string" });
    expect(shape("TRANSLATE")).toEqual([
      ["text", "any", "scalar", false],
      ["language", "string", "scalar", false],
      ["options", "string", "scalar", true],
    ]);
    expect(shape("SUMMARIZE")).toEqual([
      ["text", "any", "matrix", false],
      ["words", "number", "scalar", true],
      ["options", "string", "scalar", true],
    ]);
    expect(shape("SIMILAR")).toEqual([
      ["text", "any", "scalar", false],
      ["candidates", "any", "matrix", false],
      ["top", "number", "scalar", true],
      ["options", "string", "scalar", true],
    ]);
    expect(byId.get("SIMILAR")!.result).toEqual({ dimensionality: "matrix" });
    expect(shape("CLOSEST")).toEqual([
      ["text", "any", "scalar", false],
      ["candidates", "any", "matrix", false],
      ["options", "string", "scalar", true],
    ]);
    expect(byId.get("CLOSEST")!.result).toEqual({ type: "string" });
    for (const fn of byId.values()) {
      expect(
        fn.parameters.some((p) => p.name === "invocation"),
        fn.id,
      ).toBe(false);
    }
  });
});
