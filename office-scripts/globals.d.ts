/**
 * What the Office Scripts runtime gives a script besides `ExcelScript`, declared as narrowly as
 * the scripts use it: `console.log` (shown under the script in Excel), and `fetch`, which works
 * when a script is run by hand in Excel and is not defined when it runs from Power Automate.
 * Only office-scripts/tsconfig.json includes this file; the tests run under Node's own globals.
 */
declare const console: { log(...data: unknown[]): void };

interface RequestInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

interface Response {
  readonly ok: boolean;
  readonly status: number;
  readonly statusText: string;
  text(): Promise<string>;
}

declare function fetch(input: string, init?: RequestInit): Promise<Response>;
