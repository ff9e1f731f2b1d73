import type { ErrorCode, ErrorEnvelope } from "../../../server/wire.ts";
import type { Connection } from "./connection.ts";

/**
 * A failure's code: the backend's (server/errors.ts), or the add-in's own for what the backend
 * did not name: no connection (`network`), an answer not from OfficeLLM (`http_error`) or not in
 * the expected form (`bad_answer`), the add-in's own `timeout`, and a backend that takes requests
 * but answers neither them nor GET /health (`no_answer`).
 */
export type FailureCode =
  ErrorCode | "network" | "http_error" | "bad_answer" | "timeout" | "no_answer";

/** An error the backend answered with (its envelope), or a network failure (`status` 0). */
export class ApiClientError extends Error {
  readonly code: FailureCode;
  readonly status: number;
  /** Seconds to wait, from Retry-After, when rate limited. */
  readonly retryAfterSeconds: number | undefined;

  constructor(code: FailureCode, message: string, status: number, retryAfterSeconds?: number) {
    super(message);
    this.name = "ApiClientError";
    this.code = code;
    this.status = status;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** Calls the OfficeLLM backend with the user's token; every failure is an ApiClientError. */
export class ApiClient {
  readonly connection: Connection;
  readonly #fetch: typeof fetch;

  constructor(connection: Connection, fetchImpl: typeof fetch = (...args) => fetch(...args)) {
    this.connection = connection;
    this.#fetch = fetchImpl;
  }

  /** The raw response of a successful call (for streams); errors are thrown. */
  async request(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set("authorization", `Bearer ${this.connection.token}`);
    // A form (a file upload) gets its multipart content type, with its boundary, from fetch.
    if (init.body !== undefined && !(init.body instanceof FormData) && !headers.has("content-type"))
      headers.set("content-type", "application/json");
    let response: Response;
    try {
      response = await this.#fetch(`${this.connection.baseUrl}${path}`, { ...init, headers });
    } catch (error) {
      if (init.signal?.aborted) throw error;
      throw new ApiClientError("network", "Cannot reach the OfficeLLM backend", 0);
    }
    if (!response.ok) throw await toError(response);
    return response;
  }

  async json<T>(path: string, init: RequestInit = {}): Promise<T> {
    const response = await this.request(path, init);
    return response.status === 204 ? (undefined as T) : ((await response.json()) as T);
  }

  get<T>(path: string, signal?: AbortSignal): Promise<T> {
    return this.json<T>(path, { signal: signal ?? null });
  }

  post<T>(path: string, body: unknown, signal?: AbortSignal): Promise<T> {
    return this.json<T>(path, {
      method: "POST",
      body: JSON.stringify(body),
      signal: signal ?? null,
    });
  }
}

/** For answers without OfficeLLM's error envelope (a proxy's error page, say). */
const codeForStatus: Record<number, ErrorCode> = {
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  413: "payload_too_large",
  429: "rate_limited",
  503: "unavailable",
  504: "upstream_timeout",
};

async function toError(response: Response): Promise<ApiClientError> {
  const retryAfter = Number(response.headers.get("retry-after"));
  const retryAfterSeconds = Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined;
  try {
    const body = (await response.json()) as Partial<ErrorEnvelope>;
    if (body.error?.code) {
      return new ApiClientError(
        body.error.code,
        body.error.message ?? body.error.code,
        response.status,
        retryAfterSeconds,
      );
    }
  } catch {
    // Not our envelope: fall through.
  }
  return new ApiClientError(
    codeForStatus[response.status] ?? "http_error",
    `The backend answered ${response.status}`,
    response.status,
    retryAfterSeconds,
  );
}
