import type { KeyUse, ProviderRequest, ProviderResult, StreamChunk } from "./types.ts";

/** A model server OfficeLLM forwards completions to. Each provider's adapter implements it. */
export interface Provider {
  /** Its definition's name (providers/provider-list.ts): "openai", "anthropic"… */
  readonly name: string;
  /**
   * Calls it may have in flight at once on this instance, when it sets its own cap (a local
   * server, OPENAI_COMPATIBLE_CONCURRENCY); PROVIDER_CONCURRENCY when undefined.
   */
  readonly concurrency?: number | undefined;
  complete(request: ProviderRequest): Promise<ProviderResult>;
  /** Yields text deltas, then one `done` chunk with the usage. */
  stream(request: ProviderRequest): AsyncIterable<StreamChunk>;
  /** Models beyond the catalog (a local server's): those its settings name, else the server's. */
  listModels?(): Promise<string[]>;
  /** Embeds texts, one vector each in the inputs' order; absent for a provider without them. */
  embed?(request: EmbeddingRequest): Promise<EmbeddingResult>;
}

/** What the gateway asks a provider's embedding model for. */
export interface EmbeddingRequest {
  /** The provider's own model id. */
  model: string;
  inputs: string[];
  /** The vectors' length, for models that can shorten theirs; the model's own when undefined. */
  dimensions: number | undefined;
  signal: AbortSignal;
  timeoutMs: number;
  /** Told which of the provider's keys each attempt went to, as a completion's request is. */
  onKey?: ((use: KeyUse) => void) | undefined;
}

export interface EmbeddingResult {
  /** One vector per input, in the inputs' order. */
  vectors: number[][];
  /** The tokens of every input together (an embedding has no output). */
  inputTokens: number;
}

/**
 * Why a provider call failed, in the terms retries and callers care about:
 * - rate_limited: 429 (retryable after `retryAfterMs`)
 * - server: 5xx (retryable)
 * - timeout: no answer in time (retryable)
 * - connection: refused, reset, DNS (retryable)
 * - rejected: any other 4xx; the request itself is wrong (never retried)
 * - invalid_output: the answer broke the requested JSON schema
 */
export type ProviderFailure =
  "rate_limited" | "server" | "timeout" | "connection" | "rejected" | "invalid_output";

export class ProviderError extends Error {
  readonly kind: ProviderFailure;
  readonly provider: string;
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;
  /**
   * The key that failed is set aside and another of the provider's keys is ready: worth another
   * attempt at once, whatever the failure (shared/key-pool.ts).
   */
  readonly anotherKey: boolean;

  constructor(
    kind: ProviderFailure,
    provider: string,
    message: string,
    options: {
      status?: number | undefined;
      retryAfterMs?: number | undefined;
      anotherKey?: boolean;
    } = {},
  ) {
    super(message);
    this.name = "ProviderError";
    this.kind = kind;
    this.provider = provider;
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
    this.anotherKey = options.anotherKey ?? false;
  }

  get retryable(): boolean {
    return this.anotherKey || (this.kind !== "rejected" && this.kind !== "invalid_output");
  }
}

/** Reads a Retry-After header (seconds or an HTTP date, or retry-after-ms) into ms. */
export function retryAfterMs(headers: Headers | undefined, now = Date.now()): number | undefined {
  if (!headers) return undefined;
  const ms = headers.get("retry-after-ms");
  if (ms && Number.isFinite(Number(ms))) return Math.max(Number(ms), 0);
  const value = headers.get("retry-after");
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(date - now, 0);
}
