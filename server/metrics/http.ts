import { createHash, timingSafeEqual } from "node:crypto";
import type { Request, RequestHandler } from "express";
import type { Scope } from "../auth/scopes.ts";
import { ApiError, errorStatuses } from "../errors.ts";
import type { Metrics } from "./metrics.ts";

/**
 * Counts every request as it ends, under its route template: the route table's path, `static`
 * for the add-in's and the docs' files, `unmatched` for a path nothing serves (so a scanner's
 * random paths share one series). A client that went away counts as 499, as in the log.
 */
export function requestMetrics(metrics: Metrics): RequestHandler {
  return (req, res, next) => {
    const started = performance.now();
    res.on("close", () => {
      metrics.httpRequest({
        method: req.method,
        route: res.locals.route ?? (res.statusCode === 404 ? "unmatched" : "static"),
        status: res.writableFinished ? res.statusCode : errorStatuses.cancelled,
        seconds: (performance.now() - started) / 1000,
      });
    });
    next();
  };
}

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/**
 * `GET /metrics`, Prometheus' text format, for a scraper holding METRICS_TOKEN or an admin
 * token. The METRICS_TOKEN is checked first and without the database, so that the metrics stay
 * readable while the database is down, which is when they matter most.
 */
export function metricsEndpoint(options: {
  metrics: Metrics;
  metricsToken: string | undefined;
  authenticate(req: Request, scope: Scope): Promise<unknown>;
}): RequestHandler {
  const expected = options.metricsToken ? digest(options.metricsToken) : undefined;
  return async (req, res, next) => {
    if (req.path !== "/metrics") return next();
    res.locals.route = "/metrics";
    try {
      if (req.method !== "GET" && req.method !== "HEAD") {
        throw new ApiError(
          "method_not_allowed",
          `${req.method} is not allowed on /metrics; use GET`,
          {
            headers: { allow: "GET, HEAD" },
          },
        );
      }
      const presented = BEARER.exec(req.headers.authorization ?? "")?.[1];
      const byMetricsToken =
        expected !== undefined &&
        presented !== undefined &&
        timingSafeEqual(digest(presented), expected);
      if (!byMetricsToken) await options.authenticate(req, "admin");
      const text = await options.metrics.text();
      res.setHeader("content-type", options.metrics.contentType);
      res.setHeader("cache-control", "no-store");
      res.end(text);
    } catch (error) {
      next(error);
    }
  };
}

/** Equal-length digests, so that comparing them takes the same time whatever was sent. */
function digest(secret: string): Buffer {
  return createHash("sha256").update(secret).digest();
}
