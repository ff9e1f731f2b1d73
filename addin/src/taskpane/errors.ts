import { ApiClientError } from "../shared/api-client.ts";
import { ExcelUnavailableError } from "../office/requirements.ts";

/** True for the rejection of an aborted fetch or stream (Stop, Cancel). */
export function isAbort(error: unknown): boolean {
  return error instanceof DOMException
    ? error.name === "AbortError"
    : error instanceof Error && error.name === "AbortError";
}

/** A sentence a user can act on, for any failure the pane meets. */
export function describeError(error: unknown): string {
  if (error instanceof ApiClientError) {
    switch (error.code) {
      case "rate_limited":
        return error.retryAfterSeconds
          ? `Rate limited: too many requests. Try again in ${error.retryAfterSeconds} s.`
          : "Rate limited: too many requests. Try again in a minute.";
      case "budget_exceeded":
        return `This token's monthly budget is used up: ${error.message}`;
      case "unauthorized":
        return "The backend did not accept the token (revoked, expired or mistyped). Sign in again on the Connect tab.";
      case "forbidden":
        return `This token is not allowed to do that: ${error.message}`;
      case "network":
        return "Cannot reach the OfficeLLM backend. Check the backend URL on the Connect tab and your network.";
      case "upstream_timeout":
        return "The model took too long to answer. Try again, or ask for less.";
      case "upstream_error":
        return `The model provider failed: ${error.message}`;
      case "payload_too_large":
        return "That request is too large for the backend; send less text.";
      case "not_found":
        return `Not found: ${error.message}`;
      default:
        return error.message || `The backend answered ${error.status}`;
    }
  }
  if (error instanceof ExcelUnavailableError) return error.message;
  if (typeof OfficeExtension !== "undefined" && error instanceof OfficeExtension.Error)
    return `Excel could not do that: ${error.message}`;
  if (error instanceof Error) return error.message;
  return String(error);
}
