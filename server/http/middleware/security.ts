import cors from "cors";
import type { RequestHandler } from "express";
import helmet from "helmet";
import { llmHeaderNames } from "../llm-headers.ts";

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
 */
export function securityHeaders(publicUrl: string): RequestHandler {
  const url = new URL(publicUrl);
  const https = url.protocol === "https:";
  const loopback = ["localhost", "127.0.0.1", "[::1]"].includes(url.hostname);
  return helmet({
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
  });
}

/** CORS for CORS_ORIGINS, the backend's own origin and the Office Scripts origins. */
export function corsPolicy(options: { publicUrl: string; corsOrigins: string[] }): RequestHandler {
  const allowed = new Set([new URL(options.publicUrl).origin, ...options.corsOrigins]);
  return cors({
    origin: (origin, callback) => {
      const ok =
        origin === undefined ||
        allowed.has(origin) ||
        officeScriptsOrigins.some((pattern) => pattern.test(origin));
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
      ...llmHeaderNames,
    ],
    maxAge: 600,
  });
}
