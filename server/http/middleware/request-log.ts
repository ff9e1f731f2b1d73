import type { RequestHandler } from "express";
import { errorStatuses } from "../../errors.ts";
import type { Logger } from "../../logger.ts";

/**
 * One log line per request: method, route, status, duration and the token that called. A request
 * whose client went away before its answer was complete is logged with status 499 (cancelled).
 */
export function requestLog(logger: Logger): RequestHandler {
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
      if (res.statusCode >= 500) logger.error(line, "request failed");
      else logger.info(line, "request");
    });
    next();
  };
}
