/**
 * Loads an Office Script as Excel runs it: the file alone, its types stripped (Node's type
 * stripping), run in strict mode with no module system in a context of its own (`node:vm`), and
 * its `main` handed back. That context holds JavaScript's built-ins and only the globals given
 * here: the `ExcelScript` namespace (its enums, as Office Scripts provide them), `console`,
 * `fetch` only where a test passes it, as Office Scripts have it only when run by hand in Excel,
 * not from Power Automate, and `setTimeout` only where a test passes one (a fake clock). Node's own globals (`process`, `Buffer`, `fetch`…) are not there, and
 * neither is `eval` or `new Function` on strings.
 *
 * The `main` handed back ends each run as Office Scripts do: when the script's main returns (or
 * its promise resolves), the writes still waiting go to the workbook in one last exchange
 * (`FakeWorkbook.flush`, which throws when they exceed 5 MB).
 *
 * What a script creates belongs to that context's realm: its arrays pass `Array.isArray` and its
 * errors carry `message` and `name`, but `instanceof Array` or `instanceof Error` against this
 * side's classes is false. Compare results with `toEqual` (which looks at structure), never
 * `toStrictEqual` or `toBeInstanceOf`.
 */
import { readdirSync, readFileSync } from "node:fs";
import { stripTypeScriptTypes } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import vm from "node:vm";
import ts from "typescript";
import { FakeWorkbook, RangeValueType } from "./fake-workbook.ts";

export const scriptsDir = fileURLToPath(new URL("..", import.meta.url));

/** The scripts: the folder's .ts files, without the type declarations. */
export function scriptNames(): string[] {
  return readdirSync(scriptsDir)
    .filter((name) => name.endsWith(".ts") && !name.endsWith(".d.ts"))
    .sort();
}

export function scriptSource(name: string): string {
  return readFileSync(join(scriptsDir, name), "utf8");
}

export interface ScriptGlobals {
  fetch?: typeof fetch;
  /** The host's timer, for a script that waits (fill-with-answers): a test's fake clock. */
  setTimeout?: (handler: () => void, ms: number) => unknown;
  console?: { log(...data: unknown[]): void };
}

/** Lines a script printed with console.log, for the tests to read. */
export function consoleCapture(): { log(...data: unknown[]): void; lines: string[] } {
  const lines: string[] = [];
  return { lines, log: (...data) => lines.push(data.map(String).join(" ")) };
}

/** Runs a script's source (TypeScript) as Excel does, and returns its `main`. */
export function runScript<Main>(source: string, name: string, globals: ScriptGlobals = {}): Main {
  const code = stripTypeScriptTypes(source, { mode: "strip", sourceUrl: name });
  const scope: Record<string, unknown> = {
    ExcelScript: Object.freeze({ RangeValueType }),
    console: consoleCapture(),
  };
  for (const [key, value] of Object.entries(globals)) {
    if (value !== undefined) scope[key] = value;
  }
  const context = vm.createContext(scope, {
    name: `Office Script ${name}`,
    codeGeneration: { strings: false, wasm: false },
  });
  const main: unknown = vm.runInContext(`"use strict";\n${code}\n;main;`, context, {
    filename: name,
    lineOffset: -1,
  });
  if (typeof main !== "function") throw new Error(`${name} defines no function main`);
  return endingWithFlush(main as (...args: unknown[]) => unknown) as Main;
}

/** `main`, whose run ends with the workbook's last exchange (its first argument's flush). */
function endingWithFlush(main: (...args: unknown[]) => unknown): (...args: unknown[]) => unknown {
  const run = (...args: unknown[]): unknown => {
    const workbook = args[0];
    const end = (): void => {
      if (workbook instanceof FakeWorkbook) workbook.flush();
    };
    const result = main(...args);
    if (typeof (result as { then?: unknown } | null)?.then === "function") {
      return (result as Promise<unknown>).then((value) => {
        end();
        return value;
      });
    }
    end();
    return result;
  };
  return run;
}

export function loadScript<Main>(name: string, globals: ScriptGlobals = {}): Main {
  return runScript<Main>(scriptSource(name), name, globals);
}

/** The names of a script's `main` parameters after the workbook, in order, as Run script asks. */
export function mainParameters(name: string): string[] {
  const file = ts.createSourceFile(name, scriptSource(name), ts.ScriptTarget.Latest, true);
  const main = file.statements.find(
    (statement): statement is ts.FunctionDeclaration =>
      ts.isFunctionDeclaration(statement) && statement.name?.text === "main",
  );
  if (!main) throw new Error(`${name} defines no function main`);
  return main.parameters.slice(1).map((parameter) => parameter.name.getText(file));
}
