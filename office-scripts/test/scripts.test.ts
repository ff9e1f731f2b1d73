/**
 * What Office Scripts require of every script in this folder, checked on its syntax tree: no
 * imports or exports of any kind, a `main(workbook: ExcelScript.Workbook, …)` with its return
 * type declared (flows read it), no `any`, no `eval`, arrow functions only as array callbacks,
 * and none of the identifiers Office Scripts reserve; the scripts that run in flows never name
 * `fetch`; and the helpers repeated in several scripts stay the same. Each script also loads as
 * Excel runs it, in a context of its own.
 */
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { loadScript, mainParameters, runScript, scriptNames, scriptSource } from "./load-script.ts";

/** The scripts that Power Automate runs, where `fetch` is not defined. */
const flowScripts = new Set(["read-prompts.ts", "write-answers.ts"]);

const arrayCallbacks = new Set([
  "every",
  "filter",
  "find",
  "findIndex",
  "flatMap",
  "forEach",
  "map",
  "reduce",
  "some",
  "sort",
]);
const reserved = new Set(["Excel", "ExcelScript", "console"]);

/** Every rule a script's syntax tree breaks, as "line: what". */
function violations(name: string, source: string, inFlow = flowScripts.has(name)): string[] {
  const file = ts.createSourceFile(name, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const found: string[] = [];
  const report = (node: ts.Node, what: string) =>
    found.push(`${file.getLineAndCharacterOfPosition(node.getStart()).line + 1}: ${what}`);

  const visit = (node: ts.Node): void => {
    if (
      ts.isImportDeclaration(node) ||
      ts.isImportEqualsDeclaration(node) ||
      ts.isExportDeclaration(node) ||
      ts.isExportAssignment(node)
    ) {
      report(node, "import or export statement");
    }
    if (ts.canHaveModifiers(node)) {
      const modifiers = ts.getModifiers(node) ?? [];
      if (modifiers.some((modifier) => modifier.kind === ts.SyntaxKind.ExportKeyword)) {
        report(node, "export modifier");
      }
    }
    if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      report(node, "dynamic import()");
    }
    if (node.kind === ts.SyntaxKind.AnyKeyword) report(node, "the any type");
    if (ts.isIdentifier(node) && ["eval", "require", "Function"].includes(node.text)) {
      report(node, `${node.text} is not available`);
    }
    if (inFlow && ts.isIdentifier(node) && node.text === "fetch") {
      report(node, "fetch is not defined when a flow runs the script");
    }
    if (
      (ts.isVariableDeclaration(node) ||
        ts.isFunctionDeclaration(node) ||
        ts.isParameter(node) ||
        ts.isClassDeclaration(node) ||
        ts.isInterfaceDeclaration(node)) &&
      node.name &&
      ts.isIdentifier(node.name) &&
      reserved.has(node.name.text)
    ) {
      report(node, `declares the reserved identifier ${node.name.text}`);
    }
    if (
      ts.isCallExpression(node) &&
      ts.isPropertyAccessExpression(node.expression) &&
      arrayCallbacks.has(node.expression.name.text)
    ) {
      const callback = node.arguments[0];
      if (callback && !ts.isArrowFunction(callback)) {
        report(node, `${node.expression.name.text}() takes an arrow function only`);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(file);

  const main = file.statements.find(
    (statement): statement is ts.FunctionDeclaration =>
      ts.isFunctionDeclaration(statement) && statement.name?.text === "main",
  );
  if (!main) {
    found.push("no top-level function main");
  } else {
    const workbook = main.parameters[0]?.type?.getText(file);
    if (workbook !== "ExcelScript.Workbook") {
      found.push("main's first parameter is not an ExcelScript.Workbook");
    }
    if (!main.type) found.push("main declares no return type");
  }
  return found;
}

/**
 * A script's top-level functions and interfaces, but `main`, by name: each one's text with its
 * doc comment, white space folded.
 */
function declarations(name: string, source: string): Map<string, string> {
  const file = ts.createSourceFile(name, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const found = new Map<string, string>();
  for (const statement of file.statements) {
    if (!ts.isFunctionDeclaration(statement) && !ts.isInterfaceDeclaration(statement)) continue;
    const key = statement.name?.text;
    if (!key || key === "main") continue;
    const comments = (ts.getLeadingCommentRanges(source, statement.getFullStart()) ?? [])
      .map((range) => source.slice(range.pos, range.end))
      .join("\n");
    found.set(key, `${comments}\n${statement.getText(file)}`.replace(/\s+/g, " ").trim());
  }
  return found;
}

/** The helpers that two scripts both declare, and those whose copies differ. */
function copies(sources: Record<string, string>): { shared: string[]; differing: string[] } {
  const seen = new Map<string, { script: string; text: string }>();
  const shared = new Set<string>();
  const differing: string[] = [];
  for (const [script, source] of Object.entries(sources)) {
    for (const [key, text] of declarations(script, source)) {
      const first = seen.get(key);
      if (!first) {
        seen.set(key, { script, text });
        continue;
      }
      shared.add(key);
      if (first.text !== text) differing.push(`${key}: ${first.script} ≠ ${script}`);
    }
  }
  return { shared: [...shared].sort(), differing };
}

describe("the Office Scripts", () => {
  it("are the three scripts of the folder", () => {
    expect(scriptNames()).toEqual(["fill-with-answers.ts", "read-prompts.ts", "write-answers.ts"]);
  });

  it.each(scriptNames())("%s keeps Office Scripts' rules", (name) => {
    expect(violations(name, scriptSource(name))).toEqual([]);
    expect(typeof loadScript(name)).toBe("function");
  });

  it("keep the copies of their shared helpers the same", () => {
    const sources = Object.fromEntries(scriptNames().map((name) => [name, scriptSource(name)]));
    const { shared, differing } = copies(sources);
    expect(differing).toEqual([]);
    expect(shared).toEqual([
      "BatchResult",
      "PromptItem",
      "cellText",
      "columnIndex",
      "emptyRows",
      "enterAnswer",
      "rowGroups",
      "trimmedTexts",
      "utf8Length",
      "wholeNumber",
    ]);

    // A copy changed in one script only is caught, doc comment included.
    const changed = {
      ...sources,
      "write-answers.ts": sources["write-answers.ts"]!.replace("32766", "32760"),
      "read-prompts.ts": sources["read-prompts.ts"]!.replace(
        "/** Rows in ascending order",
        "/** Rows in order",
      ),
    };
    expect(copies(changed).differing).toEqual([
      "rowGroups: fill-with-answers.ts ≠ read-prompts.ts",
      "cellText: fill-with-answers.ts ≠ write-answers.ts",
    ]);
  });

  it("finds each broken rule", () => {
    const broken = [
      'import { x } from "./x.ts";',
      "export const y = 1;",
      "function main(workbook: Workbook) { const z: any = 1; [1].map(double); }",
      "function double(n: number) { return eval(String(n)); }",
      "let console = 1;",
      "export { double };",
    ].join("\n");
    expect(violations("broken.ts", broken)).toEqual([
      "1: import or export statement",
      "2: export modifier",
      "3: the any type",
      "3: map() takes an arrow function only",
      "4: eval is not available",
      "5: declares the reserved identifier console",
      "6: import or export statement",
      "main's first parameter is not an ExcelScript.Workbook",
      "main declares no return type",
    ]);
    const online = "function main(workbook: ExcelScript.Workbook): void { fetch(url); }";
    expect(violations("read-prompts.ts", online)).toEqual([
      "1: fetch is not defined when a flow runs the script",
    ]);
    expect(violations("fill-with-answers.ts", online)).toEqual([]);
  });
});

describe("the script loader", () => {
  const probe = `function main(workbook: ExcelScript.Workbook): string {
    return [typeof fetch, typeof process, typeof Buffer, typeof require, typeof setTimeout,
      typeof globalThis.fetch, typeof JSON, typeof Map, typeof console.log,
      ExcelScript.RangeValueType.empty].join(" ");
  }`;

  it("gives a script JavaScript's built-ins and Office Scripts' globals, none of Node's", () => {
    const main = runScript<() => string>(probe, "probe.ts");
    expect(main()).toBe(
      "undefined undefined undefined undefined undefined undefined object function function Empty",
    );
    const withFetch = runScript<() => string>(probe, "probe.ts", { fetch });
    expect(withFetch().split(" ").slice(0, 2)).toEqual(["function", "undefined"]);
  });

  it("fails a script that calls fetch without being given it, as a flow does", async () => {
    const online = `async function main(workbook: ExcelScript.Workbook): Promise<number> {
      return (await fetch("https://example.com")).status;
    }`;
    const main = runScript<() => Promise<number>>(online, "online.ts");
    await expect(main()).rejects.toMatchObject({
      name: "ReferenceError",
      message: "fetch is not defined",
    });
  });

  it("runs each script in strict mode, with no code made from strings", () => {
    const sloppy = runScript<() => void>("function main(): void { undeclared = 1; }", "sloppy.ts");
    expect(() => sloppy()).toThrow(expect.objectContaining({ name: "ReferenceError" }));
    const evil = runScript<() => unknown>(
      'function main(): unknown { return globalThis["ev" + "al"]("1 + 1"); }',
      "evil.ts",
    );
    expect(() => evil()).toThrow(expect.objectContaining({ name: "EvalError" }));
  });

  it("reads main's parameters after the workbook, in order, from the script's source", () => {
    expect(mainParameters("write-answers.ts")).toEqual(["sheetName", "answerColumn", "results"]);
    expect(mainParameters("fill-with-answers.ts").slice(0, 3)).toEqual([
      "serverUrl",
      "token",
      "instruction",
    ]);
  });
});
