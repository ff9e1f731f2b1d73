/**
 * What Office Scripts require of every script in this folder, checked on its syntax tree: no
 * imports or exports of any kind, a `main(workbook: ExcelScript.Workbook, …)` with its return
 * type declared (flows read it), no `any`, no `eval`, arrow functions only as array callbacks,
 * and none of the identifiers Office Scripts reserve. Each script also loads as Excel runs it.
 */
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { loadScript, scriptNames, scriptSource } from "./load-script.ts";

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
function violations(name: string, source: string): string[] {
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

describe("the Office Scripts", () => {
  it("are the three scripts of the folder", () => {
    expect(scriptNames()).toEqual(["fill-with-answers.ts", "read-prompts.ts", "write-answers.ts"]);
  });

  it.each(scriptNames())("%s keeps Office Scripts' rules", (name) => {
    expect(violations(name, scriptSource(name))).toEqual([]);
    expect(typeof loadScript(name)).toBe("function");
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
  });
});
