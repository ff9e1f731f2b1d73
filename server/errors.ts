import { z } from "zod";

/**
 * The error envelope every failure answers with: `{"error":{"code","message","requestId"}}`.
 * Routes and middleware throw `ApiError`; the LLM layer throws its own `LlmError`, which
 * http/failures.ts maps; the error-handling middleware turns either into the envelope.
 */

export const errorStatuses = {
  invalid_request: 400,
  /** The model named is not offered here (nor an alias); the message suggests the closest. */
  unknown_model: 400,
  /** An embedding model was asked for a completion; the message names the chat models. */
  not_a_chat_model: 400,
  /** Embeddings were asked of a model that makes none; the message names those that do. */
  not_an_embedding_model: 400,
  /** The request shows images (image_url, input_image) to a model that reads text only. */
  vision_unsupported: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  /** The client took longer than the server allows to send its request body. */
  request_timeout: 408,
  /**
   * The request clashes with what exists (e.g. Google Calendar already holds that event, or
   * PUBLIC_URL is one the connector definition must not point at).
   */
  conflict: 409,
  /** Google Calendar is not connected for this token, or must be reconnected. */
  not_connected: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  budget_exceeded: 429,
  /**
   * The client went away before its answer (nginx's 499, "client closed request"). It never sees
   * it; the usage ledger and the request log say so.
   */
  cancelled: 499,
  internal: 500,
  upstream_error: 502,
  unavailable: 503,
  /** A model call waited its longest for a turn or a provider's slot (QUEUE_TIMEOUT_MS). */
  queue_timeout: 503,
  upstream_timeout: 504,
} as const;

export type ErrorCode = keyof typeof errorStatuses;

/** The code of a failure answered inside a success, as a batch item's or a calendar row's. */
export const errorCodeSchema = z.enum(Object.keys(errorStatuses) as [ErrorCode, ...ErrorCode[]]);

export interface ErrorDetail {
  path: string;
  message: string;
}

export interface ErrorEnvelope {
  error: { code: ErrorCode; message: string; requestId: string; details?: ErrorDetail[] };
}

export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly details: ErrorDetail[] | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options: { headers?: Record<string, string>; details?: ErrorDetail[] } = {},
  ) {
    super(message);
    this.name = "ApiError";
    this.code = code;
    this.status = errorStatuses[code];
    this.headers = options.headers ?? {};
    this.details = options.details;
  }
}

export function errorEnvelope(error: ApiError, requestId: string): ErrorEnvelope {
  return {
    error: {
      code: error.code,
      message: error.message,
      requestId,
      ...(error.details ? { details: error.details } : {}),
    },
  };
}
