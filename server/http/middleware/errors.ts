import type { ErrorRequestHandler, RequestHandler } from "express";
import { ApiError, errorEnvelope } from "../../errors.ts";
import type { Logger } from "../../logger.ts";
import { sendJson } from "../send-json.ts";

export const notFound: RequestHandler = (req) => {
  throw new ApiError("not_found", `No route for ${req.method} ${req.path}`);
};

/** What body-parser reports, by its `type`, as the error the caller should see. */
function fromBodyParser(error: { type?: unknown; limit?: unknown }): ApiError | undefined {
  switch (error.type) {
    case "entity.parse.failed":
      return new ApiError("invalid_request", "The body is not valid JSON");
    case "entity.too.large":
      return new ApiError(
        "payload_too_large",
        `The body is larger than the limit of ${String(error.limit)} bytes`,
      );
    case "encoding.unsupported":
    case "charset.unsupported":
      return new ApiError("unsupported_media_type", "The body must be UTF-8 JSON");
    case "request.aborted":
    case "request.size.invalid":
    case "stream.encoding.set":
      return new ApiError("invalid_request", "The body could not be read");
    default:
      return undefined;
  }
}

/** Turns every error into the envelope; unexpected ones are logged with their stack. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    const known =
      error instanceof ApiError
        ? error
        : typeof error === "object" && error !== null
          ? fromBodyParser(error as { type?: unknown })
          : undefined;
    const apiError =
      known ??
      new ApiError(
        "internal",
        "Something went wrong on our side; the request id identifies it in the logs",
      );
    if (!known)
      logger.error(
        { err: error, requestId: res.locals.requestId, path: req.path },
        "unexpected error",
      );
    if (res.headersSent) {
      res.end();
      return;
    }
    res.set(apiError.headers);
    sendJson(res, apiError.status, errorEnvelope(apiError, res.locals.requestId));
  };
}
