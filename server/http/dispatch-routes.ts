import type { Request, RequestHandler, Response } from "express";
import type { Scope } from "../auth/scopes.ts";
import type { Caller } from "../auth/token-service.ts";
import { ApiError } from "../errors.ts";
import { jsonMediaTypes, type ReadJsonBody } from "./read-json-body.ts";
import { closeIfBodyUnread, hasBody } from "./request-body.ts";
import type { Route } from "./route.ts";
import { routeFinder } from "./route-finder.ts";
import { sendJson } from "./send-json.ts";
import { parseInput } from "./validate.ts";

export interface Guards {
  /** Authenticates the caller (holding `scope`, when given), or throws the ApiError to answer. */
  authenticate(req: Request, scope: Scope | undefined): Promise<Caller>;
  /** Counts one request against the caller's per-minute rate limit, or throws `rate_limited`. */
  rateLimit(caller: Caller, res: Response): Promise<void>;
}

async function handle(
  route: Route,
  params: Record<string, string>,
  guards: Guards,
  readJsonBody: ReadJsonBody,
  req: Request,
  res: Response,
): Promise<void> {
  let caller: Caller | undefined;
  if (route.access !== "public") {
    caller = await guards.authenticate(req, route.access === "token" ? undefined : route.access);
    res.locals.caller = caller;
    await guards.rateLimit(caller, res);
  }
  let body: unknown;
  if (route.body) {
    if (hasBody(req) && !req.is(jsonMediaTypes)) {
      throw new ApiError(
        "unsupported_media_type",
        "Send the body as JSON with 'Content-Type: application/json'",
      );
    }
    body = parseInput(route.body, (await readJsonBody(req, res)) ?? {}, "body");
  } else if (!route.upload) {
    closeIfBodyUnread(req, res);
  }
  const query = route.query ? parseInput(route.query, req.query, "query") : undefined;
  const { requestId, signal, deadline } = res.locals;
  const input = { body, query, params, requestId, signal, deadline };
  const result = await route.handle(caller ? { ...input, caller } : input, req, res);
  if (result !== undefined && !res.headersSent) sendJson(res, route.successStatus ?? 200, result);
}

/**
 * Serves the route table: guards, then the body (read only for a caller who passed them),
 * validation, the handler and its JSON answer. A known path asked with another method answers 405
 * with `Allow`.
 */
export function dispatchRoutes(
  routes: readonly Route[],
  guards: Guards,
  readJsonBody: ReadJsonBody,
): RequestHandler {
  const find = routeFinder(routes);

  return (req, res, next) => {
    const found = find(req.path);
    if (!found) return next();
    const { entry, params } = found;
    const route = entry.byMethod.get(req.method);
    if (!route) {
      const allowed = [...entry.byMethod.keys()].join(", ");
      throw new ApiError(
        "method_not_allowed",
        `${req.method} is not allowed on ${entry.path}; use ${allowed}`,
        { headers: { allow: allowed } },
      );
    }
    req.params = params;
    res.locals.route = entry.path;
    handle(route, params, guards, readJsonBody, req, res).catch(next);
  };
}
