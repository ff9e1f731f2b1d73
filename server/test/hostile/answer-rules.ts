/**
 * What every answer to a hostile request must be: never a 5xx, nor an `internal` error inside a
 * 200 (a batch item, a stream's error event); an error from the app is the envelope
 * {"error":{"code","message","requestId"}} with the code's own status and the request id of its
 * header; and nothing in it gives away a stack trace, an internal path or a secret.
 */
import { errorStatuses } from "../../errors.ts";
import type { RawOutcome, RawResponse } from "./raw-http.ts";

export interface Forbidden {
  /** Secrets that must never show: provider keys, other callers' tokens… */
  secrets: readonly string[];
  /** Where the server's files live: the repository, its database directory… */
  paths: readonly string[];
}

const STACK_LINE = "    at ";

/** What is wrong with an answer; empty when nothing is. */
export function answerProblems(
  outcome: RawOutcome,
  options: { forbidden: Forbidden; head: boolean; broken: boolean; pageRoute: boolean },
): string[] {
  if (outcome.kind === "timeout") return ["no complete answer in time"];
  // Only a request that is not HTTP may be dropped without a word.
  if (outcome.kind === "closed")
    return options.broken ? [] : ["the connection closed without an answer"];
  return responseProblems(outcome.response, options);
}

function responseProblems(
  response: RawResponse,
  options: { forbidden: Forbidden; head: boolean; pageRoute: boolean },
): string[] {
  const problems: string[] = [];
  const { status, headers } = response;
  if (status >= 500) problems.push(`status ${status}`);
  if (response.decodeError) problems.push(response.decodeError);
  const text = `${JSON.stringify(headers)}\n${response.body.toString("utf8")}`;
  if (text.includes(STACK_LINE)) problems.push("a stack trace");
  // A batch item or a stream that failed on our side hides its 500 inside a 200.
  if (status < 500 && /"code":\s*"internal"/.test(text))
    problems.push("an 'internal' error inside");
  for (const path of options.forbidden.paths)
    if (text.includes(path)) problems.push(`an internal path (${path})`);
  for (const secret of options.forbidden.secrets)
    if (text.includes(secret)) problems.push(`a secret (${secret.slice(0, 8)}…)`);
  // Node's HTTP layer refuses some requests (431, 400) before the app sees them: no request
  // id, no body. Everything else is the app's, and its errors are the envelope, but for a page
  // a browser is sent to (a route without a JSON response, such as the OAuth callback).
  const fromApp = headers["x-request-id"] !== undefined;
  const page = options.pageRoute && (headers["content-type"] ?? "").startsWith("text/html");
  if (fromApp && status >= 400 && !options.head && !page)
    problems.push(...envelopeProblems(response));
  if (!fromApp && (status < 400 || status >= 500))
    problems.push(`status ${status} without the app's x-request-id`);
  return problems;
}

function envelopeProblems(response: RawResponse): string[] {
  if (!(response.headers["content-type"] ?? "").startsWith("application/json"))
    return [`an error answered as ${response.headers["content-type"] ?? "no content type"}`];
  let parsed: unknown;
  try {
    parsed = JSON.parse(response.body.toString("utf8"));
  } catch {
    return ["an error whose body is not JSON"];
  }
  const error = (parsed as { error?: Record<string, unknown> } | null)?.error;
  if (typeof error !== "object" || error === null) return ['an error without {"error":{…}}'];
  const problems: string[] = [];
  const code = error.code;
  if (typeof code !== "string" || !Object.hasOwn(errorStatuses, code))
    problems.push(`an unknown error code ${JSON.stringify(code)}`);
  else if (errorStatuses[code as keyof typeof errorStatuses] !== response.status)
    problems.push(`error code ${code} with status ${response.status}`);
  if (typeof error.message !== "string" || error.message === "")
    problems.push("an error without a message");
  if (error.requestId !== response.headers["x-request-id"])
    problems.push("an error whose requestId is not the x-request-id header");
  return problems;
}

/** The answer in a few lines, for failure reports. */
export function describeOutcome(outcome: RawOutcome): string {
  if (outcome.kind === "timeout")
    return `  answer: ${outcome.receivedBytes} bytes, incomplete, after ${Math.round(outcome.ms)} ms`;
  if (outcome.kind === "closed") return `  answer: none, closed after ${Math.round(outcome.ms)} ms`;
  const body = outcome.response.body.toString("utf8");
  return `  answer: ${outcome.response.status} ${body.length > 300 ? `${body.slice(0, 300)}…` : body}`;
}
