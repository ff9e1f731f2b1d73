import { scrubSecrets } from "../logger.ts";
import type { ReservationId } from "./billing/usage-ledger.ts";
import type { ModelInfo } from "./model-registry.ts";
import { ProviderError } from "./provider.ts";
import type { TokenUsage } from "./types.ts";

/**
 * Why a completion failed, in the words of the API's error codes (docs/api.md), which the usage
 * ledger keeps too. The HTTP layer gives each its status and the error envelope
 * (server/http/failures.ts).
 */
export type LlmErrorCode =
  /** The request cannot be served as asked: a model, schema, template variable or prompt size. */
  | "invalid_request"
  /** The model named is neither offered by a configured provider nor an operator's alias. */
  | "unknown_model"
  /** An embedding model was asked for a completion. */
  | "not_a_chat_model"
  /** A model that makes no embeddings (a chat model, or any of a provider without them). */
  | "not_an_embedding_model"
  /** The request shows images to a model that reads text only. */
  | "vision_unsupported"
  /** What the request names (a template) does not exist. */
  | "not_found"
  /** The token's monthly budget cannot cover the call's maximum cost. */
  | "budget_exceeded"
  /** The provider is rate limiting; `retryAfterMs` says when to ask again. */
  | "rate_limited"
  /** The provider failed, refused the request, or answered in a format other than the asked. */
  | "upstream_error"
  /** The model did not answer in the time the request has. */
  | "upstream_timeout"
  /**
   * The call waited its longest (QUEUE_TIMEOUT_MS) for its token's turn or a provider's slot and
   * was never sent; `retryAfterMs` says when to ask again.
   */
  | "queue_timeout"
  /** The caller went away (or its request timed out) before its answer. */
  | "cancelled"
  /** A failure of ours (a bug): callers are told no more than that. */
  | "internal";

/** One field of the request a failure is about. */
export interface LlmErrorDetail {
  path: string;
  message: string;
}

/** What a failed call had cost upstream before it failed: the model that answered, its tokens. */
export interface Spend {
  model: ModelInfo;
  usage: TokenUsage;
}

/** What a failed call leaves to bill: what it spent upstream, and the budget it holds. */
export interface Bill {
  spent?: Spend | undefined;
  reservation?: ReservationId | undefined;
}

interface LlmErrorOptions {
  retryAfterMs?: number | undefined;
  details?: LlmErrorDetail[] | undefined;
  cause?: unknown;
  bill?: Bill;
}

export class LlmError extends Error {
  readonly code: LlmErrorCode;
  /** For `rate_limited`: how long to wait before asking again. */
  readonly retryAfterMs: number | undefined;
  readonly details: LlmErrorDetail[] | undefined;
  /** For the ledger row of the call that failed with it (billing/billing.ts). */
  readonly bill: Readonly<Bill>;

  constructor(code: LlmErrorCode, message: string, options: LlmErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "LlmError";
    this.code = code;
    this.retryAfterMs = options.retryAfterMs;
    this.details = options.details;
    this.bill = options.bill ?? {};
  }

  /**
   * The same failure carrying `more` of its bill. A copy, not a change: one failure (a shared
   * call's, or a request's time running out) can reach several calls, each with its own bill.
   */
  carrying(more: Bill): LlmError {
    const bill = {
      spent: more.spent ?? this.bill.spent,
      reservation: more.reservation ?? this.bill.reservation,
    };
    return new LlmError(this.code, this.message, { ...this.#options(), bill });
  }

  /** The same failure with nothing to bill: for a caller who does not pay for the call. */
  unbilled(): LlmError {
    return new LlmError(this.code, this.message, this.#options());
  }

  #options(): LlmErrorOptions {
    return { retryAfterMs: this.retryAfterMs, details: this.details, cause: this.cause };
  }
}

/** What a failure is in the LLM layer's terms: a provider's described, a bug of ours `internal`. */
export function asLlmError(error: unknown): LlmError {
  if (error instanceof LlmError) return error;
  if (error instanceof ProviderError) return describeProviderFailure(error);
  return new LlmError("internal", "The call failed on our side", { cause: error });
}

/**
 * What a call ended with, for its caller and its ledger row: `cancelled` once the caller has gone,
 * whatever stopped the call, with its bill kept.
 */
export function callFailure(error: unknown, signal: AbortSignal): LlmError {
  const failure = asLlmError(error);
  if (!signal.aborted || failure.code === "cancelled") return failure;
  return new LlmError("cancelled", "The request was cancelled").carrying(failure.bill);
}

/** What a caller is told of a provider's failure: its kind, and the provider's own words. */
export function describeProviderFailure(error: ProviderError): LlmError {
  const said = scrubSecrets(error.message);
  switch (error.kind) {
    case "rate_limited":
      return new LlmError("rate_limited", `${error.provider} is rate limiting requests: ${said}`, {
        retryAfterMs: error.retryAfterMs ?? 1000,
      });
    case "timeout":
      return new LlmError("upstream_timeout", `${error.provider} did not answer in time`);
    case "rejected":
      if (error.status === 401 || error.status === 403) {
        return new LlmError(
          "upstream_error",
          `${error.provider} refused this server's credentials; ask your OfficeLLM administrator to check them`,
        );
      }
      return new LlmError("upstream_error", `${error.provider} rejected the request: ${said}`);
    case "invalid_output":
      return new LlmError("upstream_error", said);
    default:
      return new LlmError("upstream_error", `${error.provider} failed: ${said}`);
  }
}

/**
 * A failure a caller may be told as it is: an LlmError other than `internal`. Anything else is a
 * bug of ours, which callers learn only as `internal`.
 */
export function toldFailure(error: unknown): LlmError | undefined {
  return error instanceof LlmError && error.code !== "internal" ? error : undefined;
}
