import { ApiError } from "../errors.ts";
import { LlmError, toldFailure } from "../llm/errors.ts";
import { causedByUnavailableDatabase } from "../store/unavailable.ts";

/**
 * The ApiError a failure is answered with: an ApiError as it is, a domain error of the LLM layer
 * with its code's status (and `Retry-After` when it says when to ask again); undefined for a bug
 * of ours, which the error handler logs and answers as `internal`.
 */
export function apiErrorOf(error: unknown): ApiError | undefined {
  if (error instanceof ApiError) return error;
  const failure = toldFailure(error);
  if (!failure) return causedByUnavailableDatabase(error) ? databaseUnavailable() : undefined;
  return new ApiError(failure.code, failure.message, {
    headers: retryAfter(failure),
    ...(failure.details ? { details: failure.details } : {}),
  });
}

/** The database is down or unreachable: the request fails at once, and may be tried again. */
function databaseUnavailable(): ApiError {
  return new ApiError("unavailable", "The service's database is not answering; try again shortly", {
    headers: { "retry-after": "5" },
  });
}

function retryAfter(failure: LlmError): Record<string, string> {
  if (failure.retryAfterMs === undefined) return {};
  return { "retry-after": String(Math.max(1, Math.ceil(failure.retryAfterMs / 1000))) };
}

/** The error event a stream ends with, for a failure after the answer began. */
export function streamFailure(error: unknown): ApiError {
  return apiErrorOf(error) ?? new ApiError("internal", "The stream failed");
}
