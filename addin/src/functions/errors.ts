import { ApiClientError, type FailureCode } from "../shared/api-client.ts";

/**
 * Errors shown in cells. Excel shows a custom message (in the cell's error indicator) for
 * #VALUE! and #N/A, so every failure is one of those two:
 *   #VALUE!  the formula itself is wrong (arguments, options, a prompt too large): fix it;
 *   #N/A     no answer right now (not connected, limits, the model or the network failed):
 *            recalculate later. Errors are never cached, so recalculating asks again.
 */
export type ExcelErrorCode = "#VALUE!" | "#N/A";

/** Stands in for CustomFunctions.Error where the runtime is absent (tests, a plain browser). */
export class StandInCustomFunctionsError extends Error {
  readonly code: ExcelErrorCode;
  constructor(code: ExcelErrorCode, message: string) {
    super(message);
    this.name = "CustomFunctions.Error";
    this.code = code;
  }
}

export type ExcelError = CustomFunctions.Error | StandInCustomFunctionsError;

export function excelError(code: ExcelErrorCode, message: string): ExcelError {
  const text = message.length > 250 ? `${message.slice(0, 249)}…` : message;
  if (typeof CustomFunctions !== "undefined" && typeof CustomFunctions.Error === "function") {
    return new CustomFunctions.Error(code, text);
  }
  return new StandInCustomFunctionsError(code, text);
}

export function isExcelError(value: unknown): value is ExcelError {
  return (
    value instanceof StandInCustomFunctionsError ||
    (typeof CustomFunctions !== "undefined" &&
      typeof CustomFunctions.Error === "function" &&
      value instanceof CustomFunctions.Error)
  );
}

export const invalidValue = (message: string) => excelError("#VALUE!", message);
export const notAvailable = (message: string) => excelError("#N/A", message);

const RECALC = "Recalculate (Ctrl+Alt+F9) to try again";

export const messages = {
  notConnected:
    "Not connected to OfficeLLM: open the OfficeLLM task pane, connect with your token, then recalculate",
  cancelled: "The calculation was cancelled",
  unreadableEmbeddings: `OfficeLLM's answer to the similarity request could not be read. ${RECALC}`,
  timeout: `The model did not answer in time. ${RECALC}, or shorten the prompt`,
  noAnswer: `OfficeLLM did not answer: check the server (is it running, is the backend address in the task pane right?). ${RECALC}`,
};

function describeWait(seconds: number): string {
  if (seconds < 90) return `${Math.max(1, Math.ceil(seconds))} seconds`;
  if (seconds < 90 * 60) return `${Math.ceil(seconds / 60)} minutes`;
  return `${Math.ceil(seconds / 3600)} hours`;
}

function clockTime(ms: number): string {
  const date = new Date(ms);
  const two = (n: number) => String(n).padStart(2, "0");
  return `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}`;
}

export function rateLimitedMessage(retryAfterSeconds: number | undefined, now: number): string {
  const seconds = retryAfterSeconds ?? 60;
  return `Rate limited: too many requests for your token. Try again in ${describeWait(seconds)} (after ${clockTime(now + seconds * 1000)}): recalculate then (Ctrl+Alt+F9)`;
}

/**
 * The cell error for a backend error code (of the whole request, or of one batch item), with a
 * message that says what happened and what to do.
 */
export function errorForCode(
  code: FailureCode,
  message: string,
  details: { status?: number; retryAfterSeconds?: number | undefined; now?: number } = {},
): ExcelError {
  const detail = message.trim().replace(/\.$/, "");
  switch (code) {
    case "unauthorized":
      return notAvailable(
        `OfficeLLM rejected your token (${detail}): reconnect in the OfficeLLM task pane with a valid token, then recalculate`,
      );
    case "forbidden":
      return notAvailable(
        `Your OfficeLLM token may not use language models (${detail}): ask your administrator for a token with the llm scope`,
      );
    case "rate_limited":
      return notAvailable(rateLimitedMessage(details.retryAfterSeconds, details.now ?? Date.now()));
    case "budget_exceeded":
      return notAvailable(
        `Your OfficeLLM budget for this month is spent (${detail}): answers already in cells stay; ask your administrator to raise the budget`,
      );
    case "upstream_error":
      return notAvailable(
        `The model failed (${detail}). ${RECALC} later, or choose another model with "model=…"`,
      );
    case "upstream_timeout":
    case "timeout":
      return notAvailable(messages.timeout);
    case "no_answer":
      return notAvailable(messages.noAnswer);
    case "network":
      return notAvailable(
        `Cannot reach the OfficeLLM backend: check your network connection and the backend address in the task pane. ${RECALC}`,
      );
    case "invalid_request":
    case "unknown_model":
    case "not_an_embedding_model":
    case "not_a_chat_model":
      return invalidValue(`OfficeLLM refused the request: ${detail}`);
    case "payload_too_large":
      return invalidValue(
        "The prompt with its ranges is too large for OfficeLLM: pass smaller ranges",
      );
    case "not_found":
      return notAvailable(
        `The OfficeLLM backend does not offer this (${detail}): check the backend address in the task pane`,
      );
    case "unavailable":
    case "queue_timeout":
      return notAvailable(`OfficeLLM is not available right now (${detail}). ${RECALC} later`);
    case "bad_answer":
      return notAvailable(`The model's answer was not in the expected form (${detail}). ${RECALC}`);
    default:
      return notAvailable(
        `OfficeLLM could not answer (${detail}${details.status ? `, HTTP ${details.status}` : ""}). ${RECALC} later`,
      );
  }
}

/** The cell error for anything thrown while talking to the backend. */
export function errorFromFailure(error: unknown, now: number): ExcelError {
  if (isExcelError(error)) return error;
  if (error instanceof ApiClientError) {
    return errorForCode(error.code, error.message, {
      status: error.status,
      retryAfterSeconds: error.retryAfterSeconds,
      now,
    });
  }
  return errorForCode("internal", error instanceof Error ? error.message : String(error));
}
