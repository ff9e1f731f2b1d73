import { randomUUID } from "node:crypto";
import type { RequestHandler } from "express";
import { ApiError, errorEnvelope } from "../../errors.ts";
import { sendJson } from "../send-json.ts";

const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Gives each request its id (a sane incoming `x-request-id`, else a new one, echoed back), its
 * deadline, and an abort signal that fires when the client goes away or the request outlives
 * `timeoutMs`.
 * A timed-out request that has not started answering gets 503 `unavailable`.
 */
export function requestContext(timeoutMs: number): RequestHandler {
  return (req, res, next) => {
    const incoming = req.get("x-request-id");
    const requestId = incoming && SANE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
    res.locals.requestId = requestId;
    res.setHeader("x-request-id", requestId);

    const controller = new AbortController();
    res.locals.signal = controller.signal;
    res.locals.deadline = performance.now() + timeoutMs;
    const timer = setTimeout(() => {
      controller.abort(new Error("request timed out"));
      if (!res.headersSent) {
        const error = new ApiError("unavailable", `The request took longer than ${timeoutMs} ms`);
        sendJson(res, error.status, errorEnvelope(error, requestId));
      }
    }, timeoutMs);
    timer.unref();
    res.on("close", () => {
      clearTimeout(timer);
      if (!res.writableFinished) controller.abort(new Error("client disconnected"));
    });
    next();
  };
}
