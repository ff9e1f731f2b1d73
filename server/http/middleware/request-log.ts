import type { RequestHandler } from "express";
import { errorStatuses } from "../../errors.ts";
import type { Logger } from "../../logger.ts";

/**
 * One log line per request: method, route, status, duration and the token that called. A request
 * whose client went away before its answer was complete is logged with status 499 (cancelled).
 */
export function requestLog(logger: Logger): RequestHandler {
  // The line's fields are fixed and none holds a secret (ids, method, route, path, status,
  // time), so it skips pino's redaction by key, which with wildcard paths copies and walks every
  // field of every line: a sixth of the memory a plain call allocated. The secret scrubber, which
  // rewrites the written line itself (logger.ts), still runs, and would catch a secret in a path.
  const lines = logger.child({}, { redact: [] });
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.on("close", () => {
      const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
      const line = {
        requestId: res.locals.requestId,
        method: req.method,
        route: res.locals.route,
        path: req.originalUrl.split("?")[0],
        status: res.writableFinished ? res.statusCode : errorStatuses.cancelled,
        durationMs: Math.round(durationMs * 100) / 100,
        tokenId: res.locals.caller?.tokenId,
        aborted: !res.writableFinished || undefined,
      };
      if (res.statusCode >= 500) lines.error(line, "request failed");
      else lines.info(line, "request");
    });
    next();
  };
}
