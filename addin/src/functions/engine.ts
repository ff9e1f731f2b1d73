import type { BatchItem, BatchResponse, Completion } from "../../../server/wire.ts";
import { ApiClient, ApiClientError } from "../shared/api-client.ts";
import { loadConnection, type Connection } from "../shared/connection.ts";
import type { KeyValueStorage } from "../shared/storage.ts";
import { realTimer, type Timer } from "../shared/timer.ts";
import { streamEvents } from "../shared/sse.ts";
import { AnswerCache, type Answer, type CacheLimits } from "./cache.ts";
import { errorForCode, errorFromFailure, messages, notAvailable } from "./errors.ts";
import { canonicalJson, sha256Hex } from "./hash.ts";

export type { Answer };

/**
 * One completion, as a batch item of POST /api/v1/batch (without its id): always a prompt, and
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
  /** Items per POST /api/v1/batch (the server takes up to 500). */
  maxItemsPerRequest: number;
  /** JSON characters per request, under the server's 1 MB body limit. */
  maxRequestChars: number;
  /** Requests in flight at once. */
  maxConcurrentRequests: number;
  /**
   * A request taking longer is aborted, below the ~60 s at which desktop Excel kills fetches
   * from custom functions: a batch is then split in halves and retried (answers the server
   * finished meanwhile come from its cache), and a single item is retried as a stream.
   */
  requestTimeoutMs: number;
  /**
   * A request whose answer has not begun (no response headers) after this long, and again every
   * as long, has the backend probed with GET /health, which a live backend answers at once (a
   * batch's headers come only with its results, so a slow batch alone proves nothing).
   */
  firstByteTimeoutMs: number;
  /**
   * A probe unanswered after this long means the backend is silent: every request it has not
   * begun to answer, and every one queued, fails at once with a clear error (no splitting and
   * resending, which is for batches that are slow to finish).
   */
  probeTimeoutMs: number;
  /** A 429 whose Retry-After is at most this long is waited out (up to 3 times) rather than shown. */
  maxRateLimitWaitMs: number;
  cache: Partial<CacheLimits>;
}

export const defaultEngineSettings: EngineSettings = {
  batchWindowMs: 100,
  maxItemsPerRequest: 100,
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

/** Items sent in one request. */
interface Chunk {
  items: Item[];
  rateLimitRetries: number;
  /** Sent as a streamed single completion rather than a batch. */
  stream: boolean;
  controller?: AbortController;
}

const TIMEOUT = Symbol("timeout");
const CANCELLED = Symbol("cancelled");
const SILENT = Symbol("silent");

/** What a call can be cancelled through: Excel's invocation, or anything with the same slot. */
export interface Cancelable {
  onCanceled?: () => void;
}

/**
 * Answers the custom functions' requests: from the cache when it can; otherwise gathered for
 * one batch window, identical requests merged, sent to POST /api/v1/batch in chunks with a
 * few requests in flight, and cached when answered.
 */
export class LlmEngine {
  readonly cache: AnswerCache;
  readonly settings: EngineSettings;
  /** Requests sent, and calls that joined a request already asked, for the curious (and the tests). */
  readonly stats = {
    batchRequests: 0,
    streamRequests: 0,
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
  /** The requests in flight that the backend has not begun to answer (no headers yet). */
  readonly #unanswered = new Set<AbortController>();
  #probing = false;
  #running = 0;
  #flushScheduled = false;
  #pauseScheduled = false;
  #pausedUntil = 0;
  #targetItems: number;
  /** Lowered when the server refuses a batch as a whole (its BATCH_MAX_ITEMS or body limit). */
  #itemsCap: number;

  constructor(options: {
    storage: KeyValueStorage;
    fetch?: typeof fetch;
    settings?: Partial<EngineSettings>;
    /** The batch window, request timeouts and rate-limit waits (real timers by default). */
    timer?: Timer;
  }) {
    this.#storage = options.storage;
    this.#fetch = options.fetch ?? ((...args) => fetch(...args));
    this.#timer = options.timer ?? realTimer;
    this.settings = { ...defaultEngineSettings, ...options.settings };
    this.cache = new AnswerCache(options.storage, this.settings.cache);
    this.#targetItems = this.settings.maxItemsPerRequest;
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

  /** No one wants the item any more: unsend it, or abort its request if all of it is unwanted. */
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
      // Later callers of the same request start afresh rather than join an aborted one.
      for (const other of sending.items) {
        if (this.#active.get(other.key) === other) this.#active.delete(other.key);
      }
      sending.controller?.abort(CANCELLED);
    }
    // Otherwise its answer still comes, and is cached: it is being paid for.
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
        chunk.items.length >= this.#targetItems ||
        chars + item.chars > this.settings.maxRequestChars
      ) {
        chunk = { items: [], rateLimitRetries: 0, stream: false };
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
    let disarm = () => {};
    const arm = () => {
      disarm();
      disarm = this.#timer.after(this.settings.requestTimeoutMs, () => controller.abort(TIMEOUT));
    };
    arm();
    // Until the answer begins, the backend is checked on now and then.
    this.#unanswered.add(controller);
    let unwatch = () => {};
    const watch = () => {
      unwatch = this.#timer.after(this.settings.firstByteTimeoutMs, () => {
        this.#checkAlive(connection);
        watch();
      });
    };
    watch();
    const answered = () => {
      this.#unanswered.delete(controller);
      unwatch();
    };
    const client = new ApiClient(connection, async (...args) => {
      const response = await this.#fetch(...args);
      answered();
      return response;
    });
    try {
      if (chunk.stream) {
        this.stats.streamRequests += 1;
        this.stats.itemsSent += 1;
        const answer = await this.#streamOne(client, chunk.items[0]!, controller.signal, arm);
        this.#succeed(chunk.items[0]!, answer);
        return;
      }
      this.stats.batchRequests += 1;
      this.stats.itemsSent += chunk.items.length;
      const response = await client.post<BatchResponse>(
        "/api/v1/batch",
        { items: chunk.items.map((item, index) => ({ id: String(index), ...item.request })) },
        controller.signal,
      );
      for (const result of response.results ?? []) {
        const item = chunk.items[Number(result.id)];
        if (!item || item.settled) continue;
        if (result.ok) this.#succeed(item, { text: result.text, json: result.json });
        else this.#fail([item], errorForCode(result.error.code, result.error.message));
      }
      this.#fail(
        chunk.items.filter((item) => !item.settled),
        errorForCode("bad_answer", "the backend's batch answer left this item out"),
      );
      if (chunk.items.length >= this.#targetItems) {
        this.#targetItems = Math.min(this.#itemsCap, this.#targetItems * 2);
      }
    } catch (error) {
      this.#onFailure(chunk, error, controller.signal);
    } finally {
      disarm();
      answered();
      chunk.controller = undefined;
    }
  }

  #onFailure(chunk: Chunk, error: unknown, signal: AbortSignal): void {
    if (signal.aborted && signal.reason === CANCELLED) {
      // Everyone had gone; anyone who came back since is asked for again.
      const revived = chunk.items.filter((item) => item.wanted);
      if (revived.length > 0) this.#queue.unshift({ ...chunk, items: revived });
      return;
    }
    if (signal.aborted && signal.reason === SILENT) {
      this.#fail(chunk.items, errorForCode("no_answer", "no answer"));
      return;
    }
    if (signal.aborted && signal.reason === TIMEOUT) {
      if (chunk.items.length > 1) {
        // Smaller requests from now on; the halves go first, in order.
        const half = Math.ceil(chunk.items.length / 2);
        this.#targetItems = Math.max(1, Math.min(this.#targetItems, half));
        this.#queue.unshift(
          { items: chunk.items.slice(0, half), rateLimitRetries: 0, stream: false },
          { items: chunk.items.slice(half), rateLimitRetries: 0, stream: false },
        );
      } else if (!chunk.stream) {
        this.#queue.unshift({ items: chunk.items, rateLimitRetries: 0, stream: true });
      } else {
        this.#fail(chunk.items, errorForCode("timeout", "timeout"));
      }
      return;
    }
    if (error instanceof ApiClientError) {
      if (error.code === "rate_limited") {
        const waitMs = (error.retryAfterSeconds ?? 5) * 1000;
        if (waitMs <= this.settings.maxRateLimitWaitMs && chunk.rateLimitRetries < 3) {
          chunk.rateLimitRetries += 1;
          this.#pausedUntil = Math.max(this.#pausedUntil, this.#timer.now() + waitMs);
          this.#queue.unshift(chunk);
          return;
        }
      }
      // Refused as a whole (too many items, too large a body): the halves may pass, and a
      // single item refused is that cell's own error.
      if ((error.status === 413 || error.status === 400) && chunk.items.length > 1) {
        const half = Math.ceil(chunk.items.length / 2);
        this.#itemsCap = Math.max(1, Math.min(this.#itemsCap, half));
        this.#targetItems = Math.min(this.#targetItems, this.#itemsCap);
        this.#queue.unshift(
          { ...chunk, items: chunk.items.slice(0, half) },
          { ...chunk, items: chunk.items.slice(half) },
        );
        return;
      }
    }
    this.#fail(chunk.items, errorFromFailure(error, this.#timer.now()));
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

  /** The backend is silent: what it has not begun to answer, and what is queued, fails now. */
  #silenced(): void {
    for (const controller of this.#unanswered) controller.abort(SILENT);
    for (const chunk of this.#queue.splice(0)) {
      this.#fail(chunk.items, errorForCode("no_answer", "no answer"));
    }
  }

  /** One completion over server-sent events, for work too long for one quiet request. */
  async #streamOne(
    client: ApiClient,
    item: Item,
    signal: AbortSignal,
    onActivity: () => void,
  ): Promise<Answer> {
    const done = await streamEvents<Completion>(
      client,
      "/api/v1/completions",
      { ...item.request, stream: true },
      { onActivity, signal },
    );
    return { text: done.text, json: done.json };
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
      item.settled = true;
      if (this.#active.get(item.key) === item) this.#active.delete(item.key);
      for (const waiter of item.waiters) waiter.reject(error);
      item.waiters.clear();
    }
  }
}
