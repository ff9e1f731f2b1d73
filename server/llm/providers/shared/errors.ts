import { scrubSecrets } from "../../../logger.ts";
import { ProviderError, retryAfterMs, type ProviderFailure } from "../../provider.ts";

/** Longest provider message kept (a proxy in front of a provider may answer with a whole page). */
const maxMessageLength = 500;

/** Error codes of Node's sockets, DNS and undici that mean "the connection failed". */
const connectionCodes = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENETDOWN",
  "UND_ERR_SOCKET",
  "UND_ERR_CLOSED",
  "UND_ERR_CONNECT",
]);

/** Error codes that mean "no answer in time". */
const timeoutCodes = new Set([
  "ETIMEDOUT",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
]);

/**
 * Error `type`s (and OpenAI `code`s) seen in error bodies, most often on errors sent in the middle
 * of a stream, where no HTTP status says what happened.
 */
const failureByType: Record<string, ProviderFailure> = {
  rate_limit_error: "rate_limited",
  rate_limit_exceeded: "rate_limited",
  tokens: "rate_limited",
  requests: "rate_limited",
  overloaded_error: "server",
  api_error: "server",
  server_error: "server",
  service_unavailable: "server",
  timeout_error: "timeout",
  invalid_request_error: "rejected",
  authentication_error: "rejected",
  permission_error: "rejected",
  not_found_error: "rejected",
  request_too_large: "rejected",
  billing_error: "rejected",
  insufficient_quota: "rejected",
  invalid_api_key: "rejected",
  context_length_exceeded: "rejected",
};

/** What the official SDKs' `APIError` carries that the mapping reads. */
export interface SdkApiError extends Error {
  readonly status: number | undefined;
  readonly headers?: Headers | undefined;
}

type ErrorClass<T extends Error> = abstract new (...args: never[]) => T;

/**
 * One SDK's error classes, and how its API errors carry the provider's own words. Each provider
 * module passes its SDK's, so this module loads no SDK (a server loads only those it uses).
 */
export interface SdkErrors<E extends SdkApiError = SdkApiError> {
  /** Every error the SDK throws, including a request it refuses before sending. */
  base: ErrorClass<Error>;
  /** The provider answered with an error status, or sent an error event in a stream. */
  api: ErrorClass<E>;
  /**
   * The following three are kinds of `api`, so they are told apart first. An SDK without them
   * (Google's) lets network failures through as they are, and the cause chain tells them apart.
   */
  connection?: ErrorClass<E>;
  connectionTimeout?: ErrorClass<E>;
  userAbort?: ErrorClass<E>;
  /** The `message` and `type` (or code) of the provider's error body, where it has them. */
  describe(error: E): { message: string | undefined; type: string | undefined };
  /** How long a 429 asks to wait, when the body says it (else the Retry-After header). */
  retryAfterMs?(error: E): number | undefined;
}

/** Codes and names along an error's `cause` chain (undici hides the socket error two levels down). */
function causeChain(error: unknown): { codes: string[]; messages: string[] } {
  const codes: string[] = [];
  const messages: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 6 && current && typeof current === "object"; depth++) {
    const { code, message, name } = current as {
      code?: unknown;
      message?: unknown;
      name?: unknown;
    };
    if (typeof code === "string") codes.push(code);
    if (typeof message === "string") messages.push(message);
    if (typeof name === "string") messages.push(name);
    current = (current as { cause?: unknown }).cause;
  }
  return { codes, messages };
}

/** A message fit for logs and callers: no secrets, no stack, bounded length. */
function clean(message: string, secrets: readonly (string | undefined)[]): string {
  // The usual patterns first ("sk-[redacted]" still says which kind of key it was), then the
  // configured keys themselves, which a local server's key may not look like.
  let text = scrubSecrets(message);
  for (const secret of secrets) {
    // Short placeholders ("not-needed", "x") are not secrets worth blanking out of a sentence.
    if (secret && secret.length >= 12) text = text.split(secret).join("[redacted]");
  }
  text = text.replace(/\s+/g, " ").trim();
  return text.length > maxMessageLength ? `${text.slice(0, maxMessageLength)}…` : text;
}

function fromApiError<E extends SdkApiError>(
  error: E,
  sdk: SdkErrors<E>,
  provider: string,
  secrets: readonly (string | undefined)[],
): ProviderError {
  const status = error.status;
  const described = sdk.describe(error);
  // The provider's own words, else what the SDK made of them, without the status it prefixes
  // ("429 …"): the status travels in ProviderError.status.
  const words = described.message || error.message.replace(/^\d{3} /, "");
  const message = clean(words, secrets) || "The provider gave no reason.";
  const type = described.type;
  let kind: ProviderFailure;
  if (status === 429) {
    // OpenAI answers 429 when the account is out of credit: waiting does not help.
    kind = type === "insufficient_quota" ? "rejected" : "rate_limited";
  } else if (status === 408) {
    kind = "timeout";
  } else if (status !== undefined && status >= 500) {
    kind = "server";
  } else if (status !== undefined) {
    kind = "rejected";
  } else {
    // An error event inside a stream: only the body's type says what it was.
    kind = (type && failureByType[type]) || "server";
  }
  return new ProviderError(kind, provider, message, {
    status,
    retryAfterMs:
      kind === "rate_limited"
        ? (sdk.retryAfterMs?.(error) ?? retryAfterMs(error.headers))
        : undefined,
  });
}

export interface MapErrorOptions<E extends SdkApiError> {
  /** The provider's name, as in `Provider.name`. */
  provider: string;
  /** The error classes of the SDK the call went through. */
  sdk: SdkErrors<E>;
  /** The caller's signal: when it has fired, its reason is thrown as is. */
  signal?: AbortSignal | undefined;
  /** Values never to repeat in a message (the API key), beyond the usual secret patterns. */
  secrets?: readonly (string | undefined)[];
}

/**
 * Turns whatever an SDK call or a stream iteration threw into what the gateway expects: the
 * caller's abort reason when the caller aborted, a `ProviderError` for everything the provider or
 * the network did, and the error itself when it is none of those (a bug of ours).
 */
export function classifySdkError<E extends SdkApiError>(
  error: unknown,
  options: MapErrorOptions<E>,
): unknown {
  const { provider, sdk, signal, secrets = [] } = options;
  if (signal?.aborted) return signal.reason ?? error;
  if (error instanceof ProviderError) return error;

  if (sdk.connectionTimeout && error instanceof sdk.connectionTimeout) {
    return new ProviderError("timeout", provider, "The provider did not answer in time.");
  }
  if (sdk.userAbort && error instanceof sdk.userAbort) {
    // Aborted, but not by our caller (who was checked above): the SDK gave up on the connection.
    return new ProviderError("connection", provider, "The request to the provider was cut off.");
  }
  if (sdk.connection && error instanceof sdk.connection) return connectionError(error, provider);
  if (error instanceof sdk.api) return fromApiError(error, sdk, provider, secrets);

  const { codes, messages } = causeChain(error);
  if (codes.some((code) => timeoutCodes.has(code))) {
    return new ProviderError("timeout", provider, "The provider did not answer in time.");
  }
  if (
    codes.some((code) => connectionCodes.has(code)) ||
    messages.some((message) =>
      /^(terminated|fetch failed|other side closed|socket hang up)$/i.test(message),
    )
  ) {
    return connectionError(error, provider);
  }
  if (error instanceof SyntaxError) {
    // A stream or body the SDK could not parse: the server misbehaved.
    return new ProviderError(
      "server",
      provider,
      "The provider sent a response that could not be read.",
    );
  }
  if (error instanceof sdk.base) {
    // The SDK refused the request before sending it.
    return new ProviderError("rejected", provider, clean(error.message, secrets));
  }
  return error;
}

/** "Connection error (ECONNREFUSED)": the code helps an operator; the address stays out. */
function connectionError(error: unknown, provider: string): ProviderError {
  const code = causeChain(error).codes.find((c) => connectionCodes.has(c) || timeoutCodes.has(c));
  const detail = code ? ` (${code})` : "";
  // Refused, unresolvable or unreachable: never connected. Anything else: the connection broke.
  const neverConnected =
    code !== undefined && /REFUSED|NOTFOUND|AGAIN|UNREACH|NETDOWN|CONNECT/.test(code);
  const what = neverConnected
    ? "Could not reach the provider"
    : "The connection to the provider broke";
  return new ProviderError("connection", provider, `${what}${detail}.`);
}
