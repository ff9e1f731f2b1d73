import type { EmbeddingRequest, Embeddings } from "../../../server/wire.ts";
import { ApiClient } from "../shared/api-client.ts";
import { loadConnection } from "../shared/connection.ts";
import type { KeyValueStorage } from "../shared/storage.ts";
import { realTimer, type Timer } from "../shared/timer.ts";
import { messages, notAvailable } from "./errors.ts";

export interface EmbeddingSettings {
  /** How long texts are gathered before they are sent (one recalculation). */
  batchWindowMs: number;
  /** Texts per request (the server takes up to EMBEDDING_MAX_INPUTS, 256 by default). */
  maxInputsPerRequest: number;
  /** Characters per request (the server takes up to EMBEDDING_MAX_CHARS, 400,000 by default). */
  maxRequestChars: number;
  /** Vectors kept in memory for this session; the backend's cache keeps them longer. */
  maxVectors: number;
}

export const defaultEmbeddingSettings: EmbeddingSettings = {
  batchWindowMs: 100,
  maxInputsPerRequest: 128,
  maxRequestChars: 200_000,
  maxVectors: 5_000,
};

interface Waiter {
  resolve(vector: Float32Array): void;
  reject(error: unknown): void;
}

/** The texts of one model waiting for the batch window to close. */
type Pending = Map<string, Waiter[]>;

/**
 * Turns texts into vectors for the similarity functions, which never show them: the texts asked
 * in one recalculation are gathered for a batch window, each distinct text sent once, in as few
 * POST /api/v1/embeddings requests as the bounds allow; the vectors are kept in memory (least
 * recently used go first), and the backend keeps them too, so a sheet reopened costs nothing.
 */
export class EmbeddingClient {
  readonly settings: EmbeddingSettings;
  /** Requests sent and texts in them (for the tests). */
  readonly stats = { requests: 0, textsSent: 0 };
  readonly #storage: KeyValueStorage;
  readonly #fetch: typeof fetch;
  readonly #timer: Timer;
  readonly #vectors = new Map<string, Float32Array>();
  /** By model ("" for the backend's default). */
  readonly #pending = new Map<string, Pending>();
  #flushScheduled = false;

  constructor(options: {
    storage: KeyValueStorage;
    fetch?: typeof fetch;
    timer?: Timer;
    settings?: Partial<EmbeddingSettings>;
  }) {
    this.#storage = options.storage;
    this.#fetch = options.fetch ?? ((...args) => fetch(...args));
    this.#timer = options.timer ?? realTimer;
    this.settings = { ...defaultEmbeddingSettings, ...options.settings };
  }

  /** One vector per text, in order; `model` undefined: the backend's first embedding model. */
  embed(texts: string[], model: string | undefined): Promise<Float32Array[]> {
    return Promise.all(texts.map((text) => this.#vector(text, model ?? "")));
  }

  #vector(text: string, model: string): Promise<Float32Array> {
    const key = `${model}\n${text}`;
    const known = this.#vectors.get(key);
    if (known) {
      // Most recently used last: the first in the map go first.
      this.#vectors.delete(key);
      this.#vectors.set(key, known);
      return Promise.resolve(known);
    }
    return new Promise((resolve, reject) => {
      let pending = this.#pending.get(model);
      if (!pending) this.#pending.set(model, (pending = new Map()));
      const waiters = pending.get(text) ?? [];
      waiters.push({ resolve, reject });
      pending.set(text, waiters);
      if (this.#flushScheduled) return;
      this.#flushScheduled = true;
      this.#timer.after(this.settings.batchWindowMs, () => this.#flush());
    });
  }

  #flush(): void {
    this.#flushScheduled = false;
    const batches = [...this.#pending];
    this.#pending.clear();
    for (const [model, pending] of batches)
      for (const texts of this.#chunks([...pending.keys()]))
        void this.#send(
          model,
          texts.map((text) => [text, pending.get(text)!] as const),
        );
  }

  /** The texts in requests within the bounds on texts and characters. */
  #chunks(texts: string[]): string[][] {
    const chunks: string[][] = [];
    let chunk: string[] = [];
    let chars = 0;
    for (const text of texts) {
      const full =
        chunk.length >= this.settings.maxInputsPerRequest ||
        chars + text.length > this.settings.maxRequestChars;
      if (full && chunk.length > 0) {
        chunks.push(chunk);
        chunk = [];
        chars = 0;
      }
      chunk.push(text);
      chars += text.length;
    }
    if (chunk.length > 0) chunks.push(chunk);
    return chunks;
  }

  async #send(model: string, texts: (readonly [string, Waiter[]])[]): Promise<void> {
    const fail = (error: unknown) => {
      for (const [, waiters] of texts) for (const waiter of waiters) waiter.reject(error);
    };
    let connection;
    try {
      connection = await loadConnection(this.#storage);
    } catch {
      connection = null;
    }
    if (!connection) return fail(notAvailable(messages.notConnected));
    const body: EmbeddingRequest = {
      input: texts.map(([text]) => text),
      encodingFormat: "base64",
      ...(model ? { model } : {}),
    };
    this.stats.requests += 1;
    this.stats.textsSent += texts.length;
    let answer: Embeddings;
    try {
      answer = await new ApiClient(connection, this.#fetch).post<Embeddings>(
        "/api/v1/embeddings",
        body,
      );
    } catch (error) {
      return fail(error);
    }
    // Every vector read before any is given: an answer that cannot be read fails its formulas
    // with a message, instead of leaving them waiting.
    let vectors: Float32Array[];
    try {
      vectors = texts.map((_, index) => decode(answer.embeddings[index]));
    } catch {
      return fail(notAvailable(messages.unreadableEmbeddings));
    }
    texts.forEach(([text, waiters], index) => {
      const vector = vectors[index]!;
      this.#keep(`${model}\n${text}`, vector);
      for (const waiter of waiters) waiter.resolve(vector);
    });
  }

  #keep(key: string, vector: Float32Array): void {
    this.#vectors.set(key, vector);
    while (this.#vectors.size > this.settings.maxVectors)
      this.#vectors.delete(this.#vectors.keys().next().value!);
  }
}

/** A vector as the backend sends it with `encodingFormat: "base64"`: float32, little-endian. */
function decode(encoded: string | number[] | undefined): Float32Array {
  if (Array.isArray(encoded)) return Float32Array.from(encoded);
  if (encoded === undefined) throw new Error("a vector is missing");
  // atob throws on text that is not base64.
  const binary = atob(encoded);
  if (binary.length % 4 !== 0) throw new Error("a vector is not whole float32 values");
  const view = new DataView(new ArrayBuffer(binary.length));
  for (let index = 0; index < binary.length; index++)
    view.setUint8(index, binary.charCodeAt(index));
  return Float32Array.from({ length: binary.length / 4 }, (_, at) => view.getFloat32(at * 4, true));
}

/** The cosine of the angle between two vectors: 1 the same direction, 0 nothing in common. */
export function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let aa = 0;
  let bb = 0;
  for (let index = 0; index < a.length; index++) {
    dot += a[index]! * b[index]!;
    aa += a[index]! * a[index]!;
    bb += b[index]! * b[index]!;
  }
  return aa === 0 || bb === 0 ? 0 : dot / Math.sqrt(aa * bb);
}
