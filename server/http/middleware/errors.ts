import type { ErrorRequestHandler, RequestHandler } from "express";
import { ApiError, errorEnvelope } from "../../errors.ts";
import { apiErrorOf } from "../failures.ts";
import type { Logger } from "../../logger.ts";
import { closeIfBodyUnread } from "../request-body.ts";
import { sendJson } from "../send-json.ts";

export const notFound: RequestHandler = (req) => {
  throw new ApiError("not_found", `No route for ${req.method} ${req.path}`);
};

/** Turns every error into the envelope (http/failures.ts); unexpected ones are logged with their stack. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    const known = apiErrorOf(error);
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
    closeIfBodyUnread(req, res);
    sendJson(res, apiError.status, errorEnvelope(apiError, res.locals.requestId));
  };
}
