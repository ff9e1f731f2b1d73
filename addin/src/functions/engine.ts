import type { BatchItem, BatchItemResult, Job } from "../../../server/wire.ts";
import { ApiClient, ApiClientError } from "../shared/api-client.ts";
import { loadConnection, type Connection } from "../shared/connection.ts";
import type { KeyValueStorage } from "../shared/storage.ts";
import { realTimer, type Timer } from "../shared/timer.ts";
import { readEvents } from "../shared/sse.ts";
import { AnswerCache, type Answer, type CacheLimits } from "./cache.ts";
import { EmbeddingClient } from "./embeddings.ts";
import { errorForCode, errorFromFailure, messages, notAvailable } from "./errors.ts";
import { canonicalJson, sha256Hex } from "./hash.ts";

export type { Answer };

/**
 * One completion, as a batch item of POST /api/v1/jobs (without its id): always a prompt, and
 * a text or JSON answer. `cache: false`: the server neither reads nor keeps a cached answer; nor
 * does the add-in.
 */
export type LlmRequest = Pick<
  BatchItem,
  "prompt" | "system" | "model" | "temperature" | "maxTokens" | "responseFormat" | "cache"
> & {
  prompt: string;
  responseFormat?: { type: "json"; schema?: Record<string, unknown> };
};

export interface EngineSettings {
  /** How long calls are gathered before they are sent (one recalculation). */
  batchWindowMs: number;
  /** Items per job (POST /api/v1/jobs; the server takes up to JOB_MAX_ITEMS, 1,000 by default). */
  maxItemsPerRequest: number;
  /** JSON characters per request, under the server's 1 MB body limit. */
  maxRequestChars: number;
  /** Jobs followed at once, each over one event stream (browsers allow ~6 connections a host). */
  maxConcurrentRequests: number;
  /**
   * The longest one request is held open: a job's event stream is closed and opened again (from
   * the results already read) before this, below the ~60 s at which desktop Excel kills fetches
   * from custom functions. The job itself goes on, however long it takes.
   */
  requestTimeoutMs: number;
  /**
   * A request whose answer has not begun (no response headers), or a job's stream that has said
   * nothing (the server sends a heartbeat every 2 s) after this long, and again every as long,
   * has the backend probed with GET /health, which a live backend answers at once.
   */
  firstByteTimeoutMs: number;
  /**
   * A probe unanswered after this long means the backend is silent: every request it has not
   * begun to answer or has stopped answering, and every one queued, fails at once with a clear
   * error; the next recalculation asks again.
   */
  probeTimeoutMs: number;
  /** A 429 whose Retry-After is at most this long is waited out (up to 3 times) rather than shown. */
  maxRateLimitWaitMs: number;
  cache: Partial<CacheLimits>;
}

export const defaultEngineSettings: EngineSettings = {
  batchWindowMs: 100,
  maxItemsPerRequest: 250,
  maxRequestChars: 800_000,
  maxConcurrentRequests: 4,
  requestTimeoutMs: 45_000,
  firstByteTimeoutMs: 5_000,
  probeTimeoutMs: 5_000,
  maxRateLimitWaitMs: 30_000,
  cache: {},
};

/** The cache key of a request: SHA-256 of its canonical JSON (model and temperature included). */
export function requestKey(request: LlmRequest): string {
  return sha256Hex(`officellm-fn-v1\n${canonicalJson(request)}`);
}

/** A call waiting for an item's answer: its promise's settlers. */
interface Waiter {
  resolve(answer: Answer): void;
  reject(error: unknown): void;
}

/** One distinct request and everyone waiting for its answer. */
class Item {
  readonly key: string;
  readonly request: LlmRequest;
  readonly chars: number;
  readonly waiters = new Set<Waiter>();
  settled = false;
  constructor(key: string, request: LlmRequest) {
    this.key = key;
    this.request = request;
    this.chars = JSON.stringify(request).length + 16;
  }
  get wanted(): boolean {
    return this.waiters.size > 0;
  }
}

/** Items sent as one job. */
interface Chunk {
  items: Item[];
  /** The job's Idempotency-Key (see newChunk). */
  key: string;
  rateLimitRetries: number;
  /** Sent again as a new job once, when the backend no longer knew the first (a restart). */
  resubmitted: boolean;
  controller?: AbortController;
  /** Cancels the job on the backend: its items not started yet are not computed. */
  cancelJob?: () => void;
}

const CANCELLED = Symbol("cancelled");
const SILENT = Symbol("silent");
/** A job's event stream held open as long as one request may be: opened again. */
const REOPEN = Symbol("reopen");

/** Event streams of a job that may fail in a row, with no result between, before it is given up. */
const maxStreamFailures = 2;

/** What a call can be cancelled through: Excel's invocation, or anything with the same slot. */
export interface Cancelable {
  onCanceled?: () => void;
}

/**
 * Answers the custom functions' requests: from the cache when it can; otherwise gathered for
 * one batch window, identical requests merged, sent as jobs (POST /api/v1/jobs) with a few
 * followed at once, each cell answered as its result arrives on the job's event stream, and
 * cached. A job is computed once on the backend whatever happens to its stream: a stream that
 * ends is opened again where it left off, never sent again as a new job (see newChunk).
 */
export class LlmEngine {
  readonly cache: AnswerCache;
  /** Vectors for the similarity functions, batched in the same window. */
  readonly embeddings: EmbeddingClient;
  readonly settings: EngineSettings;
  /** Jobs and streams opened, and calls that joined a request already asked (for the tests). */
  readonly stats = {
    jobsStarted: 0,
    streamsOpened: 0,
    itemsSent: 0,
    joinedCalls: 0,
    healthProbes: 0,
  };
  readonly #storage: KeyValueStorage;
  readonly #fetch: typeof fetch;
  readonly #timer: Timer;
  readonly #waiting = new Map<string, Item>();
  readonly #active = new Map<string, Item>();
  readonly #queue: Chunk[] = [];
  readonly #sending = new Set<Chunk>();
  /** The requests in flight that the backend has not begun, or has stopped, answering. */
  readonly #unanswered = new Set<AbortController>();
  #probing = false;
  #running = 0;
  #flushScheduled = false;
  #pauseScheduled = false;
  #pausedUntil = 0;
  /** Lowered when the server refuses a job as a whole (its JOB_MAX_ITEMS or body limit). */
  #itemsCap: number;

  constructor(options: {
    storage: KeyValueStorage;
    fetch?: typeof fetch;
    settings?: Partial<EngineSettings>;
    /** The batch window, stream and liveness timers, and rate-limit waits (real by default). */
    timer?: Timer;
  }) {
    this.#storage = options.storage;
    this.#fetch = options.fetch ?? ((...args) => fetch(...args));
    this.#timer = options.timer ?? realTimer;
    this.settings = { ...defaultEngineSettings, ...options.settings };
    this.cache = new AnswerCache(options.storage, this.settings.cache);
    this.embeddings = new EmbeddingClient({
      storage: options.storage,
      fetch: this.#fetch,
      timer: this.#timer,
      settings: { batchWindowMs: this.settings.batchWindowMs },
    });
    this.#itemsCap = this.settings.maxItemsPerRequest;
  }

  /** The cached answer to a request, if any; never calls the model. */
  async cached(request: LlmRequest): Promise<Answer | undefined> {
    if (request.cache === false) return undefined;
    return this.cache.get(requestKey(request));
  }

  /** Drops a cached answer (one that turned out unusable), so the next call asks again. */
  forget(request: LlmRequest): void {
    this.cache.delete(requestKey(request));
  }

  /** The answer to a request; `invocation.onCanceled` is taken over to cancel it. */
  async ask(request: LlmRequest, invocation?: Cancelable): Promise<Answer> {
    let cancelled = false;
    let onCancel = () => {
      cancelled = true;
    };
    if (invocation) invocation.onCanceled = () => onCancel();

    const key = requestKey(request);
    if (request.cache !== false) {
      const hit = this.cache.peek(key) ?? (await this.cache.get(key));
      if (hit) return hit;
    }
    if (cancelled) throw notAvailable(messages.cancelled);

    let item = this.#waiting.get(key) ?? this.#active.get(key);
    if (item) {
      this.stats.joinedCalls += 1;
    } else {
      item = new Item(key, request);
      this.#waiting.set(key, item);
      if (!this.#flushScheduled) {
        this.#flushScheduled = true;
        this.#timer.after(this.settings.batchWindowMs, () => this.#flush());
      }
    }
    const target = item;
    return new Promise<Answer>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject };
      target.waiters.add(waiter);
      onCancel = () => {
        if (!target.waiters.delete(waiter)) return;
        reject(notAvailable(messages.cancelled));
        if (!target.wanted) this.#abandon(target);
      };
    });
  }

  /** Resolves when nothing is waiting, queued or in flight, and the cache is written. */
  async idle(): Promise<void> {
    while (this.#waiting.size > 0 || this.#queue.length > 0 || this.#running > 0) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await this.cache.flush();
  }

  /**
   * No one wants the item any more: unsend it; or, when nobody wants anything of its job, stop
   * following the job and cancel what the backend has not started (what it has is paid for, and
   * lands in its cache).
   */
  #abandon(item: Item): void {
    if (this.#waiting.get(item.key) === item) {
      this.#waiting.delete(item.key);
      return;
    }
    const chunk = this.#queue.find((queued) => queued.items.includes(item));
    if (chunk) {
      // Filtered out when the chunk is sent.
      if (this.#active.get(item.key) === item) this.#active.delete(item.key);
      return;
    }
    const sending = [...this.#sending].find((inFlight) => inFlight.items.includes(item));
    if (sending && sending.items.every((other) => !other.wanted)) {
      // Later callers of the same request start afresh rather than join an abandoned one.
      for (const other of sending.items) {
        if (this.#active.get(other.key) === other) this.#active.delete(other.key);
      }
      sending.controller?.abort(CANCELLED);
      sending.cancelJob?.();
    }
  }

  #flush(): void {
    this.#flushScheduled = false;
    const items = [...this.#waiting.values()].filter((item) => item.wanted);
    this.#waiting.clear();
    for (const item of items) this.#active.set(item.key, item);
    let chunk: Chunk | undefined;
    let chars = 0;
    for (const item of items) {
      if (
        !chunk ||
        chunk.items.length >= this.#itemsCap ||
        chars + item.chars > this.settings.maxRequestChars
      ) {
        chunk = newChunk([]);
        chars = 0;
        this.#queue.push(chunk);
      }
      chunk.items.push(item);
      chars += item.chars;
    }
    this.#pump();
  }

  #pump(): void {
    while (this.#running < this.settings.maxConcurrentRequests && this.#queue.length > 0) {
      const wait = this.#pausedUntil - this.#timer.now();
      if (wait > 0) {
        if (!this.#pauseScheduled) {
          this.#pauseScheduled = true;
          this.#timer.after(wait, () => {
            this.#pauseScheduled = false;
            this.#pump();
          });
        }
        return;
      }
      const chunk = this.#queue.shift()!;
      chunk.items = chunk.items.filter((item) => {
        if (item.wanted) return true;
        if (this.#active.get(item.key) === item) this.#active.delete(item.key);
        return false;
      });
      if (chunk.items.length === 0) continue;
      this.#running += 1;
      this.#sending.add(chunk);
      void this.#send(chunk).finally(() => {
        this.#sending.delete(chunk);
        this.#running -= 1;
        this.#pump();
      });
    }
  }

  async #send(chunk: Chunk): Promise<void> {
    // Abortable from the start, so a cancel while the connection is read stops it too.
    const controller = new AbortController();
    chunk.controller = controller;
    let connection;
    try {
      connection = await loadConnection(this.#storage);
    } catch {
      connection = null;
    }
    if (controller.signal.aborted) {
      this.#onFailure(chunk, controller.signal.reason, controller.signal);
      return;
    }
    if (!connection) {
      this.#fail(chunk.items, notAvailable(messages.notConnected));
      return;
    }
    const liveness = this.#watch(controller, connection);
    const client = new ApiClient(connection, async (...args) => {
      const response = await this.#fetch(...args);
      liveness.heard();
      return response;
    });
    try {
      const body = {
        items: chunk.items.map((item, index) => ({ id: String(index), ...item.request })),
      };
      this.stats.jobsStarted += 1;
      this.stats.itemsSent += chunk.items.length;
      const job = await client.json<Job>("/api/v1/jobs", {
        method: "POST",
        body: JSON.stringify(body),
        headers: { "idempotency-key": chunk.key },
        signal: controller.signal,
      });
      chunk.cancelJob = () => {
        void client
          .json(`/api/v1/jobs/${encodeURIComponent(job.id)}`, { method: "DELETE" })
          .catch(() => undefined);
      };
      for (const result of job.results) this.#settleResult(chunk, result);
      await this.#follow(client, chunk, job, controller, liveness.heard);
    } catch (error) {
      this.#onFailure(chunk, error, controller.signal);
    } finally {
      liveness.stop();
      chunk.controller = undefined;
    }
  }

  /**
   * Reads a job's results from its event stream until its `done`, opening the stream again (from
   * the results read) when it ends first, whether the backend or the request limit ended it.
   */
  async #follow(
    client: ApiClient,
    chunk: Chunk,
    job: Job,
    controller: AbortController,
    heard: () => void,
  ): Promise<void> {
    let read = job.results.length;
    let failures = 0;
    for (;;) {
      const before = read;
      let ended: "done" | "open";
      try {
        ended = await this.#readStream(
          client,
          chunk,
          job.id,
          read,
          controller.signal,
          heard,
          () => {
            read += 1;
          },
        );
      } catch (error) {
        if (controller.signal.aborted) throw error;
        if (error instanceof ApiClientError && error.status === 404 && !chunk.resubmitted) {
          // The backend no longer knows the job (it restarted, say): sent again, once, its
          // finished answers come from the backend's cache.
          const left = chunk.items.filter((item) => !item.settled);
          if (left.length > 0) this.#queue.unshift({ ...newChunk(left), resubmitted: true });
          return;
        }
        failures = read > before ? 1 : failures + 1;
        if (failures > maxStreamFailures) throw error;
        continue;
      }
      if (ended === "done") break;
    }
    this.#fail(
      chunk.items.filter((item) => !item.settled),
      errorForCode("bad_answer", "the backend's job left this item out"),
    );
  }

  /** One event stream of a job, held open at most `requestTimeoutMs`. */
  async #readStream(
    client: ApiClient,
    chunk: Chunk,
    jobId: string,
    after: number,
    signal: AbortSignal,
    heard: () => void,
    onResult: () => void,
  ): Promise<"done" | "open"> {
    const stream = new AbortController();
    const follow = () => stream.abort(signal.reason);
    signal.addEventListener("abort", follow, { once: true });
    const disarm = this.#timer.after(this.settings.requestTimeoutMs, () => stream.abort(REOPEN));
    this.stats.streamsOpened += 1;
    try {
      const response = await client.request(
        `/api/v1/jobs/${encodeURIComponent(jobId)}/events?after=${after}`,
        { headers: { accept: "text/event-stream" }, signal: stream.signal },
      );
      if (!response.body) throw new ApiClientError("bad_answer", "The job's stream was empty", 200);
      for await (const { event, data } of readEvents(response.body, heard)) {
        if (event === "result") {
          onResult();
          this.#settleResult(chunk, JSON.parse(data) as BatchItemResult);
        } else if (event === "done") return "done";
      }
      return "open";
    } catch (error) {
      if (stream.signal.reason === REOPEN) return "open";
      throw error;
    } finally {
      disarm();
      signal.removeEventListener("abort", follow);
    }
  }

  #settleResult(chunk: Chunk, result: BatchItemResult): void {
    const item = chunk.items[Number(result.id)];
    if (!item || item.settled) return;
    if (result.ok) this.#succeed(item, { text: result.text, json: result.json });
    else this.#fail([item], errorForCode(result.error.code, result.error.message));
  }

  /**
   * Watches a request for silence: whenever the backend has said nothing for
   * `firstByteTimeoutMs`, the request counts as unanswered and the backend is probed.
   */
  #watch(
    controller: AbortController,
    connection: Connection,
  ): { heard: () => void; stop: () => void } {
    const quiet = () => {
      this.#unanswered.add(controller);
      this.#checkAlive(connection);
      disarm = this.#timer.after(this.settings.firstByteTimeoutMs, quiet);
    };
    let disarm = this.#timer.after(this.settings.firstByteTimeoutMs, quiet);
    const stop = () => {
      disarm();
      this.#unanswered.delete(controller);
    };
    return {
      heard: () => {
        stop();
        disarm = this.#timer.after(this.settings.firstByteTimeoutMs, quiet);
      },
      stop,
    };
  }

  #onFailure(chunk: Chunk, error: unknown, signal: AbortSignal): void {
    if (signal.aborted && signal.reason === CANCELLED) {
      // Everyone had gone; anyone who came back since is asked for again.
      const revived = chunk.items.filter((item) => item.wanted && !item.settled);
      if (revived.length > 0) this.#queue.unshift(newChunk(revived, chunk));
      return;
    }
    if (signal.aborted && signal.reason === SILENT) {
      this.#fail(chunk.items, errorForCode("no_answer", "no answer"));
      return;
    }
    const left = chunk.items.filter((item) => !item.settled);
    if (error instanceof ApiClientError) {
      if (error.code === "rate_limited") {
        const waitMs = (error.retryAfterSeconds ?? 5) * 1000;
        if (waitMs <= this.settings.maxRateLimitWaitMs && chunk.rateLimitRetries < 3) {
          // Sent again with the same key: the backend joins the job it may have started.
          chunk.rateLimitRetries += 1;
          this.#pausedUntil = Math.max(this.#pausedUntil, this.#timer.now() + waitMs);
          this.#queue.unshift(newChunk(left, chunk));
          return;
        }
      }
      // Refused as a whole (too many items, too large a body): the halves may pass, and a
      // single item refused is that cell's own error.
      if ((error.status === 413 || error.status === 400) && left.length > 1) {
        const half = Math.ceil(left.length / 2);
        this.#itemsCap = Math.max(1, Math.min(this.#itemsCap, half));
        this.#queue.unshift(
          newChunk(left.slice(0, half), chunk),
          newChunk(left.slice(half), chunk),
        );
        return;
      }
    }
    this.#fail(left, errorFromFailure(error, this.#timer.now()));
  }

  /** Probes GET /health (one probe at a time); a backend that does not answer is silenced. */
  #checkAlive(connection: Connection): void {
    if (this.#probing) return;
    this.#probing = true;
    this.stats.healthProbes += 1;
    const controller = new AbortController();
    const disarm = this.#timer.after(this.settings.probeTimeoutMs, () => controller.abort());
    void new ApiClient(connection, this.#fetch)
      .request("/health", { signal: controller.signal })
      .then(
        (response) => {
          void response.body?.cancel().catch(() => undefined);
          return true;
        },
        // Any HTTP answer, even an error, comes from a backend that answers.
        (error: unknown) => error instanceof ApiClientError && error.status > 0,
      )
      .then((alive) => {
        disarm();
        this.#probing = false;
        if (!alive) this.#silenced();
      });
  }

  /** The backend is silent: what it is not answering, and what is queued, fails now. */
  #silenced(): void {
    for (const controller of this.#unanswered) controller.abort(SILENT);
    for (const chunk of this.#queue.splice(0)) {
      this.#fail(chunk.items, errorForCode("no_answer", "no answer"));
    }
  }

  #succeed(item: Item, answer: Answer): void {
    item.settled = true;
    if (this.#active.get(item.key) === item) this.#active.delete(item.key);
    const clean: Answer =
      answer.json === undefined ? { text: answer.text } : { text: answer.text, json: answer.json };
    if (item.request.cache !== false) this.cache.set(item.key, clean);
    for (const waiter of item.waiters) waiter.resolve(clean);
    item.waiters.clear();
  }

  #fail(items: Item[], error: unknown): void {
    for (const item of items) {
      if (item.settled) continue;
      item.settled = true;
      if (this.#active.get(item.key) === item) this.#active.delete(item.key);
      for (const waiter of item.waiters) waiter.reject(error);
      item.waiters.clear();
    }
  }
}

/**
 * A chunk of `items`. Its Idempotency-Key goes with exactly these items: sent again as they are
 * (a rate limit waited out, a POST whose answer was lost), the backend gives the same job back.
 * A chunk made again later (a recalculation, a reopen) is a new job, whose items the backend
 * answers from its cache, or joins to the calls it has in flight for them, at temperature 0.
 */
function newChunk(items: Item[], from?: Chunk): Chunk {
  if (from && from.items.length === items.length) return { ...from, items };
  return {
    items,
    key: `fn-${crypto.randomUUID()}`,
    rateLimitRetries: from?.rateLimitRetries ?? 0,
    resubmitted: from?.resubmitted ?? false,
  };
}
