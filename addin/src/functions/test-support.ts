/**
 * Test helpers for the custom functions (imported by tests only, never by the add-in): a
 * stand-in for Excel's CustomFunctions runtime, and a fake OfficeLLM backend on msw.
 */
import { http, HttpResponse } from "msw";
import { setupServer, type SetupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, beforeEach, expect, vi } from "vitest";
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
  /** The items of each job (POST /api/v1/jobs), in the order the requests arrived. */
  batches: BatchItem[][];
  /** Each POST's Idempotency-Key. */
  keys: (string | null)[];
  /** Each job's POST signal, as the server side saw it. */
  signals: AbortSignal[];
  /** Each event stream's signal (GET /api/v1/jobs/:id/events), as the server side saw it. */
  streams: AbortSignal[];
  /** Each event stream's `after`: the results its client had already read. */
  streamAfters: number[];
  /** The jobs cancelled (DELETE /api/v1/jobs/:id), by index into `batches`. */
  cancelled: number[];
  /** Jobs computing now (from their POST to their last result), and the most at once. */
  inFlight: number;
  maxInFlight: number;
  /** Resolves once `count` jobs have been asked for (POST requests, joined or not). */
  arrived(count: number): Promise<void>;
}

interface FakeJob {
  index: number;
  results: BatchResult[];
  done: boolean;
  listeners: Set<() => void>;
}

/**
 * The jobs API of OfficeLLM on msw: POST {BASE_URL}/api/v1/jobs starts a job (a retry with the
 * same Idempotency-Key gets the same job), whose results `answer` gives (default: echoAnswer),
 * each sent on GET /api/v1/jobs/:id/events as it comes, then `done`; DELETE cancels. `respond`
 * may answer the POST itself (for errors, or to hold it); with `gate`, the results wait for it.
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
  const jobs = new Map<string, FakeJob>();
  const byKey = new Map<string, string>();
  const backend: FakeBackend = {
    batches: [],
    keys: [],
    signals: [],
    streams: [],
    streamAfters: [],
    cancelled: [],
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
  const view = (id: string, job: FakeJob, after = 0) => ({
    id,
    status: job.done ? "done" : "running",
    total: backend.batches[job.index]!.length,
    completed: job.results.length,
    createdAt: new Date(0).toISOString(),
    expiresAt: null,
    results: job.results.slice(after),
  });
  const compute = async (job: FakeJob, items: BatchItem[]) => {
    backend.inFlight += 1;
    backend.maxInFlight = Math.max(backend.maxInFlight, backend.inFlight);
    try {
      if (options.gate) await options.gate;
      await Promise.all(
        items.map(async (item) => {
          job.results.push(await (options.answer ?? echoAnswer)(item));
          for (const listener of [...job.listeners]) listener();
        }),
      );
    } finally {
      backend.inFlight -= 1;
      job.done = true;
      for (const listener of [...job.listeners]) listener();
    }
  };
  server.use(
    http.post(`${BASE_URL}/api/v1/jobs`, async ({ request }) => {
      const body = (await request.json()) as { items: BatchItem[] };
      const key = request.headers.get("idempotency-key");
      const index = backend.batches.push(body.items) - 1;
      backend.keys.push(key);
      backend.signals.push(request.signal);
      for (const check of [...arrivals]) check();
      const custom = await options.respond?.(body.items, request);
      if (custom) return custom;
      const known = key === null ? undefined : byKey.get(key);
      if (known) return HttpResponse.json(view(known, jobs.get(known)!), { status: 202 });
      const id = `job_${index}`;
      const job: FakeJob = {
        index,
        results: [],
        done: false,
        listeners: new Set(),
      };
      jobs.set(id, job);
      if (key !== null) byKey.set(key, id);
      void compute(job, body.items);
      return HttpResponse.json(view(id, job), { status: 202 });
    }),
    http.get(`${BASE_URL}/api/v1/jobs/:id/events`, ({ request, params }) => {
      const job = jobs.get(String(params.id));
      if (!job) return notFound();
      backend.streams.push(request.signal);
      let sent = Number(new URL(request.url).searchParams.get("after") ?? 0);
      backend.streamAfters.push(sent);
      const encoder = new TextEncoder();
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          const close = () => {
            job.listeners.delete(relay);
            try {
              controller.close();
            } catch {
              // Already closed.
            }
          };
          const send = (event: string, data: unknown) =>
            controller.enqueue(
              encoder.encode(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`),
            );
          const relay = () => {
            while (sent < job.results.length) send("result", job.results[sent++]);
            if (!job.done) return;
            send("done", { ...view("", job), results: undefined });
            close();
          };
          job.listeners.add(relay);
          request.signal.addEventListener("abort", close, { once: true });
          relay();
        },
      });
      return new HttpResponse(body, { headers: { "content-type": "text/event-stream" } });
    }),
    http.delete(`${BASE_URL}/api/v1/jobs/:id`, ({ params }) => {
      const job = jobs.get(String(params.id));
      if (!job) return notFound();
      backend.cancelled.push(job.index);
      return HttpResponse.json(view(String(params.id), job));
    }),
  );
  return backend;
}

function notFound(): Response {
  return HttpResponse.json(
    { error: { code: "not_found", message: "No such job", requestId: "r" } },
    { status: 404 },
  );
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

/**
 * A test file's msw backend (any request it has no handler for is an error) and Excel stand-in:
 * the backend listens for the whole file, its handlers reset after each test; the stand-in is
 * installed for each test.
 */
export function useBackendAndExcel(): { server: SetupServer; excel: FakeExcel } {
  const server = setupServer();
  const excel = new FakeExcel();
  beforeAll(() => server.listen({ onUnhandledFrame: "error" }));
  beforeEach(() => excel.install());
  afterEach(() => {
    server.resetHandlers();
    excel.uninstall();
  });
  afterAll(() => server.close());
  return { server, excel };
}
