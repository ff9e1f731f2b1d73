import type { IncomingMessage, ServerResponse } from "node:http";
import cors from "cors";
import type { RequestHandler } from "express";
import helmet from "helmet";
import type { Route } from "../route.ts";
import { routeFinder } from "../route-finder.ts";

/**
 * Helmet's headers; HTTPS-only ones (HSTS, upgrade-insecure-requests) only when served over
 * HTTPS, and no HSTS on a loopback development origin, where it would push a developer's other
 * local projects to HTTPS for a year.
 *
 * They depend on the configuration only, so helmet computes them once, at start-up, and each
 * response gets the same block (helmet's own chain of a dozen middlewares costs a visible share
 * of a completion's CPU).
 */
export function securityHeaders(publicUrl: string): RequestHandler {
  const url = new URL(publicUrl);
  const https = url.protocol === "https:";
  const loopback = ["localhost", "127.0.0.1", "[::1]"].includes(url.hostname);
  const headers = headersSetBy(
    helmet({
      strictTransportSecurity: https && !loopback,
      contentSecurityPolicy: {
        directives: {
          upgradeInsecureRequests: https ? [] : null,
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'"],
          styleSrc: ["'self'", "'unsafe-inline'"],
          imgSrc: ["'self'", "data:"],
          connectSrc: ["'self'"],
          frameAncestors: ["'self'"],
        },
      },
    }),
  );
  return (_req, res, next) => {
    for (const [name, value] of headers) res.setHeader(name, value);
    next();
  };
}

/** The headers a middleware sets on an empty response, as [name, value] pairs. */
function headersSetBy(
  middleware: (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void,
): [string, string][] {
  const headers = new Map<string, string>();
  const recorder = {
    setHeader: (name: string, value: string | number | readonly string[]) =>
      headers.set(name.toLowerCase(), String(value)),
    removeHeader: (name: string) => headers.delete(name.toLowerCase()),
  };
  let done = false;
  middleware({ headers: {} } as IncomingMessage, recorder as unknown as ServerResponse, (error) => {
    if (error) throw error;
    done = true;
  });
  if (!done) throw new Error("the security headers middleware did not finish synchronously");
  return [...headers];
}

/**
 * CORS in two kinds. Paths whose routes all take a bearer token answer any origin with
 * `Access-Control-Allow-Origin: *` and never `Access-Control-Allow-Credentials`: the token, not
 * the browser's cookies, is what authenticates there, and Office Scripts call from origins
 * Microsoft may change without notice. Every other path (public routes, among them the cookie-bound
 * Calendar consent, the add-in's files and unknown paths) answers only the backend's own origin
 * and CORS_ORIGINS. The kind is read from the route table, so a route only gets `*` by requiring a
 * token. Browsers may read the request id, rate-limit headers and the routes' own
 * `exposedHeaders`. A request without an `Origin` header is not a cross-origin one and gets no CORS
 * headers; every answer carries `Vary: Origin`, as it depends on that header.
 */
export function corsPolicy(options: {
  publicUrl: string;
  corsOrigins: string[];
  exposedHeaders: readonly string[];
  routes: readonly Route[];
}): RequestHandler {
  const allowed = new Set([new URL(options.publicUrl).origin, ...options.corsOrigins]);
  const shared = {
    allowedHeaders: ["authorization", "content-type", "x-request-id", "idempotency-key"],
    exposedHeaders: [
      "x-request-id",
      "retry-after",
      "ratelimit-limit",
      "ratelimit-remaining",
      "ratelimit-reset",
      "ratelimit-policy",
      ...options.exposedHeaders,
    ],
    maxAge: 600,
  };
  const open = cors({ ...shared, origin: "*" });
  const strict = cors({
    ...shared,
    origin: (origin, callback) => callback(null, origin !== undefined && allowed.has(origin)),
  });
  const find = routeFinder(options.routes);
  const takesToken = (path: string) => {
    try {
      const found = find(path);
      return (
        found !== undefined &&
        [...found.entry.byMethod.values()].every((route) => route.access !== "public")
      );
    } catch {
      return false; // a path the route table refuses (bad percent-encoding) stays strict
    }
  };
  return (req, res, next) => {
    res.vary("Origin");
    if (req.headers.origin === undefined) return next();
    return (takesToken(req.path) ? open : strict)(req, res, next);
  };
}
