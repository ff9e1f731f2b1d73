import type { Express, RequestHandler } from "express";
import type { Scope } from "../auth/scopes.ts";
import { ApiError } from "../errors.ts";
import type { Route } from "./route.ts";
import { parseInput } from "./validate.ts";

export interface Guards {
  /** Authentication, and authorisation for a scope when one is given. */
  authenticate(scope: Scope | undefined): RequestHandler;
  /** Per-token request budget, after authentication. */
  rateLimit: RequestHandler;
}

function hasBody(req: Parameters<RequestHandler>[0]): boolean {
  return req.get("transfer-encoding") !== undefined || Number(req.get("content-length") ?? 0) > 0;
}

function validated(route: Route): RequestHandler {
  return async (req, res) => {
    if (route.body && hasBody(req) && !req.is(["application/json", "application/*+json"])) {
      throw new ApiError(
        "unsupported_media_type",
        "Send the body as JSON with 'Content-Type: application/json'",
      );
    }
    const body = route.body ? parseInput(route.body, req.body ?? {}, "body") : undefined;
    const query = route.query ? parseInput(route.query, req.query, "query") : undefined;
    const result = await route.handle(
      { body, query, params: req.params as Record<string, string> },
      req,
      res,
    );
    if (result !== undefined && !res.headersSent)
      res.status(route.successStatus ?? 200).json(result);
  };
}

/** Registers the route table; a known path asked with another method answers 405. */
export function mountRoutes(app: Express, routes: readonly Route[], guards: Guards): void {
  const methodsByPath = new Map<string, string[]>();
  for (const route of routes) {
    const chain: RequestHandler[] =
      route.access === "public"
        ? []
        : [
            guards.authenticate(route.access === "token" ? undefined : route.access),
            guards.rateLimit,
          ];
    app[route.method](route.path, ...chain, validated(route));
    const methods = methodsByPath.get(route.path) ?? [];
    methods.push(route.method.toUpperCase(), ...(route.method === "get" ? ["HEAD"] : []));
    methodsByPath.set(route.path, methods);
  }
  for (const [path, methods] of methodsByPath) {
    app.all(path, (req) => {
      throw new ApiError(
        "method_not_allowed",
        `${req.method} is not allowed on ${path}; use ${methods.join(", ")}`,
        {
          headers: { allow: methods.join(", ") },
        },
      );
    });
  }
}
