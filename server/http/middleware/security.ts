import type { IncomingMessage, ServerResponse } from "node:http";
import cors from "cors";
import type { RequestHandler } from "express";
import helmet from "helmet";

/**
 * Origins Office Scripts run their `fetch` calls from (Excel on the web and desktop), per
 * Microsoft's documentation on external calls from Office Scripts.
 */
export const officeScriptsOrigins = [
  /^https:\/\/[a-z0-9-]+\.officescripts\.microsoftusercontent\.com$/,
];

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
 * CORS for CORS_ORIGINS, the backend's own origin and the Office Scripts origins; browsers may read
 * the request id, rate-limit headers and the routes' own `exposedHeaders`. A request without an
 * `Origin` header is not a cross-origin one and gets no CORS headers, only the `Vary: Origin`
 * that tells caches its answer depends on that header.
 */
export function corsPolicy(options: {
  publicUrl: string;
  corsOrigins: string[];
  exposedHeaders: readonly string[];
}): RequestHandler {
  const allowed = new Set([new URL(options.publicUrl).origin, ...options.corsOrigins]);
  const policy = cors({
    origin: (origin, callback) => {
      const ok =
        origin !== undefined &&
        (allowed.has(origin) || officeScriptsOrigins.some((pattern) => pattern.test(origin)));
      callback(null, ok);
    },
    allowedHeaders: ["authorization", "content-type", "x-request-id"],
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
  });
  return (req, res, next) => {
    if (req.headers.origin !== undefined) return policy(req, res, next);
    res.vary("Origin");
    next();
  };
}
