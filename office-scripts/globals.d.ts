/**
 * What the Office Scripts runtime gives a script besides `ExcelScript`, declared as narrowly as
 * the scripts use it: `console.log` (shown under the script in Excel); `fetch`, which works
 * when a script is run by hand in Excel and is not defined when it runs from Power Automate; and
 * `setTimeout`, which scripts check for before they wait, as not every host is known to have it.
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
  readonly headers: { get(name: string): string | null };
  readonly status: number;
  readonly statusText: string;
  text(): Promise<string>;
}

declare function fetch(input: string, init?: RequestInit): Promise<Response>;

declare function setTimeout(handler: () => void, ms: number): unknown;
