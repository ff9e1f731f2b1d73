import { scrubSecrets } from "../logger.ts";
import { ProviderError } from "./provider.ts";

/**
 * Why a completion failed, in the words of the API's error codes (docs/api.md), which the usage
 * ledger keeps too. The HTTP layer gives each its status and the error envelope
 * (server/http/failures.ts).
 */
export type LlmErrorCode =
  /** The request cannot be served as asked: a model, schema, template variable or prompt size. */
  | "invalid_request"
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
  /** The caller went away (or its request timed out) before its answer. */
  | "cancelled"
  /** A failure of ours (a bug): callers are told no more than that. */
  | "internal";

/** One field of the request a failure is about. */
export interface LlmErrorDetail {
  path: string;
  message: string;
}

export class LlmError extends Error {
  readonly code: LlmErrorCode;
  /** For `rate_limited`: how long to wait before asking again. */
  readonly retryAfterMs: number | undefined;
  readonly details: LlmErrorDetail[] | undefined;

  constructor(
    code: LlmErrorCode,
    message: string,
    options: { retryAfterMs?: number; details?: LlmErrorDetail[]; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "LlmError";
    this.code = code;
    this.retryAfterMs = options.retryAfterMs;
    this.details = options.details;
  }
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
