/**
 * Test helpers for the custom functions (imported by tests only, never by the add-in): a
 * stand-in for Excel's CustomFunctions runtime, and a fake OfficeLLM backend on msw.
 */
import { http, HttpResponse } from "msw";
import type { SetupServer } from "msw/node";
import { expect, vi } from "vitest";
import { saveConnection } from "../shared/connection.ts";
import { memoryStorage, type KeyValueStorage } from "../shared/storage.ts";
import { currentEngine } from "./current.ts";
import type { LlmEngine, LlmRequest } from "./engine.ts";
import { customFunctions, registerCustomFunctions } from "./register.ts";

export const BASE_URL = "https://officellm.test";
export const TOKEN = "ollm_test_token";

/** The error class of the stand-in runtime: what Excel's CustomFunctions.Error carries. */
export class FakeCustomFunctionsError {
  readonly code: string;
  readonly message: string | undefined;
  constructor(code: string, message?: string) {
    this.code = code;
    this.message = message;
  }
}

/** An Excel invocation: value preview or not, and a way to cancel the call as Excel does. */
export class FakeInvocation {
  isInValuePreview: boolean;
  onCanceled: () => void = () => {};
  constructor(isInValuePreview = false) {
    this.isInValuePreview = isInValuePreview;
  }
  cancel(): void {
    this.onCanceled();
  }
}

type Settled = { ok: true; value: unknown } | { ok: false; error: FakeCustomFunctionsError };

/**
 * The CustomFunctions global in memory: associate() records each function by id, and call()
 * invokes one with its arguments and an invocation, as Excel would.
 */
export class FakeExcel {
  readonly functions = new Map<string, (...args: unknown[]) => unknown>();

  install(): this {
    this.functions.clear();
    (globalThis as Record<string, unknown>).CustomFunctions = {
      associate: (id: string, fn: (...args: unknown[]) => unknown) => this.functions.set(id, fn),
      Error: FakeCustomFunctionsError,
    };
    return this;
  }

  uninstall(): void {
    delete (globalThis as Record<string, unknown>).CustomFunctions;
  }

  /** Calls LLM.<id>(...args); the promise never rejects: it settles to a value or an error. */
  call(
    id: string,
    args: unknown[],
    options: { preview?: boolean } = {},
  ): { result: Promise<Settled>; invocation: FakeInvocation } {
    const fn = this.functions.get(id);
    if (!fn) throw new Error(`${id} is not associated`);
    const invocation = new FakeInvocation(options.preview ?? false);
    const result = Promise.resolve()
      .then(() => fn(...args, invocation))
      .then(
        (value): Settled => ({ ok: true, value }),
        (error: unknown): Settled => {
          if (error instanceof FakeCustomFunctionsError) return { ok: false, error };
          throw error;
        },
      );
    return { result, invocation };
  }

  /** Calls and waits: the value, or throws a readable error if the cell would show an error. */
  async value(id: string, ...args: unknown[]): Promise<unknown> {
    const settled = await this.call(id, args).result;
    if (!settled.ok) throw new Error(`${settled.error.code} ${settled.error.message}`);
    return settled.value;
  }

  /** Calls and waits for the error the cell would show. */
  async error(id: string, ...args: unknown[]): Promise<FakeCustomFunctionsError> {
    const settled = await this.call(id, args).result;
    if (settled.ok) throw new Error(`expected an error, got ${JSON.stringify(settled.value)}`);
    return settled.error;
  }
}

/** Storage holding a connection to the fake backend, as the task pane would have saved it. */
export async function connectedStorage(
  baseUrl = BASE_URL,
  token = TOKEN,
): Promise<KeyValueStorage> {
  const storage = memoryStorage();
  await saveConnection(storage, { baseUrl, token });
  return storage;
}

/** A range as Excel passes it (empty cells as ""). */
export type Matrix = unknown[][];

export type BatchItem = LlmRequest & { id: string };
export type BatchResult =
  | { id: string; ok: true; text: string; json?: unknown }
  | { id: string; ok: false; error: { code: string; message: string } };

/** An answer that echoes the prompt, with JSON made up from the schema's shape. */
export function echoAnswer(item: BatchItem): BatchResult {
  const schema = item.responseFormat?.schema as
    { properties?: Record<string, { enum?: string[] }> } | undefined;
  const properties = schema?.properties ?? {};
  let json: unknown;
  if ("items" in properties) json = { items: ["one", "two", "3"] };
  else if ("columns" in properties)
    json = {
      columns: ["Name", "Age"],
      rows: [
        ["Ann", "31"],
        ["Bob", "27"],
      ],
    };
  else if ("label" in properties) json = { label: properties.label!.enum![0] };
  else if (item.responseFormat)
    json = Object.fromEntries(Object.keys(properties).map((k) => [k, `${k}?`]));
  const text = json === undefined ? `answer to: ${item.prompt}` : JSON.stringify(json);
  return json === undefined
    ? { id: item.id, ok: true, text }
    : { id: item.id, ok: true, text, json };
}

export interface FakeBackend {
  /** The items of each POST /api/v1/batch, in the order the requests arrived. */
  batches: BatchItem[][];
  /** Each batch request's signal, as the server side saw it. */
  signals: AbortSignal[];
  /** Requests in flight now, and the most at once. */
  inFlight: number;
  maxInFlight: number;
  /** Resolves once `count` batch requests have arrived. */
  arrived(count: number): Promise<void>;
}

/**
 * Serves POST {BASE_URL}/api/v1/batch with msw: `answer` gives each item's result (default:
 * echoAnswer), or `respond` the whole response (for errors); with `gate`, each request is held
 * until it opens, or until its client gives up.
 */
export function fakeBackend(
  server: SetupServer,
  options: {
    answer?: (item: BatchItem) => BatchResult | Promise<BatchResult>;
    respond?: (
      items: BatchItem[],
      request: Request,
    ) => Response | undefined | Promise<Response | undefined>;
    gate?: Promise<void>;
  } = {},
): FakeBackend {
  const arrivals = new Set<() => void>();
  const backend: FakeBackend = {
    batches: [],
    signals: [],
    inFlight: 0,
    maxInFlight: 0,
    arrived: (count) =>
      new Promise((resolve) => {
        const check = () => {
          if (backend.batches.length < count) return;
          arrivals.delete(check);
          resolve();
        };
        arrivals.add(check);
        check();
      }),
  };
  server.use(
    http.post(`${BASE_URL}/api/v1/batch`, async ({ request }) => {
      const body = (await request.json()) as { items: BatchItem[] };
      backend.batches.push(body.items);
      backend.signals.push(request.signal);
      backend.inFlight += 1;
      backend.maxInFlight = Math.max(backend.maxInFlight, backend.inFlight);
      for (const check of [...arrivals]) check();
      try {
        if (options.gate) await Promise.race([options.gate, untilAborted(request.signal)]);
        const custom = await options.respond?.(body.items, request);
        if (custom) return custom;
        const results = await Promise.all(body.items.map(options.answer ?? echoAnswer));
        return HttpResponse.json({ results });
      } finally {
        backend.inFlight -= 1;
      }
    }),
  );
  return backend;
}

/** Polls `check` until it passes; the guard is for a hang, generous for a loaded machine. */
export function eventually(check: () => void): Promise<void> {
  return vi.waitFor(check, { timeout: 10_000, interval: 2 });
}

/** Resolves when `signal` aborts: a server handler that waits for its client to give up. */
export function untilAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener("abort", () => resolve(), { once: true });
  });
}

/** Registers the functions with the stand-in runtime over `storage`; returns the new engine. */
export function register(
  excel: FakeExcel,
  storage: KeyValueStorage,
  options: Omit<Parameters<typeof registerCustomFunctions>[0], "storage"> = {},
): LlmEngine {
  registerCustomFunctions({ storage, ...options });
  expect(excel.functions.size).toBe(Object.keys(customFunctions).length);
  return currentEngine();
}
