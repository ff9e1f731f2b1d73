import { existsSync } from "node:fs";
import type { ServerResponse as Response } from "node:http";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import express, { type Router } from "express";

/** Where `vite build` puts the add-in (see addin/vite.config.ts). */
export const addinDistDirectory = fileURLToPath(new URL("../../addin/dist", import.meta.url));

/**
 * Office hosts frame the task pane (Excel on the web runs it in an iframe), and the page loads
 * office.js from Microsoft's CDN: the add-in gets its own, wider, content security policy.
 */
const addinContentSecurityPolicy = [
  "default-src 'self'",
  "script-src 'self' https://appsforoffice.microsoft.com",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'self' https://*.officeapps.live.com https://*.office.com https://*.office365.com https://*.microsoft365.com https://*.cloud.microsoft https://*.sharepoint.com https://*.live.com",
].join("; ");

/**
 * Hashed bundles may be kept; the pages and the function metadata must be fetched fresh after
 * every deployment, or they would point at bundles that are gone.
 */
function cacheHeaders(res: Response, path: string): void {
  const entry = path.endsWith(".html") || path.endsWith(".json");
  res.setHeader("cache-control", entry ? "no-cache" : "public, max-age=31536000, immutable");
}

/**
 * Serves the built add-in under /addin/, and the admin console (built with it) at /admin/ with
 * the API's own, stricter, headers: nothing when it has not been built.
 */
export function addinStatic(directory = addinDistDirectory): Router {
  const router = express.Router();
  if (!existsSync(directory)) return router;
  router.use("/addin", (_req, res, next) => {
    res.removeHeader("x-frame-options");
    res.setHeader("content-security-policy", addinContentSecurityPolicy);
    // The pane opens Google's consent page and closes it when the connection is made.
    res.setHeader("cross-origin-opener-policy", "same-origin-allow-popups");
    next();
  });
  router.use(
    "/addin",
    express.static(directory, {
      index: "taskpane.html",
      setHeaders: cacheHeaders,
    }),
  );
  router.use(
    "/admin",
    express.static(join(directory, "admin"), { index: "index.html", setHeaders: cacheHeaders }),
  );
  return router;
}
