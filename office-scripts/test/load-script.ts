/**
 * Loads an Office Script as Excel runs it: the file alone, its types stripped (Node's type
 * stripping), evaluated in strict mode with no module system, and its `main` handed back. The
 * script sees only the globals given here: `fetch` exists only where a test passes it, as
 * Office Scripts have it only when run by hand in Excel, not from Power Automate.
 */
import { readdirSync, readFileSync } from "node:fs";
import { stripTypeScriptTypes } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

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
  console?: { log(...data: unknown[]): void };
}

/** Lines a script printed with console.log, for the tests to read. */
export function consoleCapture(): { log(...data: unknown[]): void; lines: string[] } {
  const lines: string[] = [];
  return { lines, log: (...data) => lines.push(data.map(String).join(" ")) };
}

export function loadScript<Main>(name: string, globals: ScriptGlobals = {}): Main {
  const code = stripTypeScriptTypes(scriptSource(name), { mode: "strip", sourceUrl: name });
  const scope = { fetch: undefined, console: consoleCapture(), ...globals };
  const build = new Function(...Object.keys(scope), `"use strict"; ${code}\nreturn main;`);
  return build(...Object.values(scope)) as Main;
}
