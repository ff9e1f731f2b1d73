import type { Request, RequestHandler, Response } from "express";
import { match, type MatchFunction } from "path-to-regexp";
import type { Scope } from "../auth/scopes.ts";
import type { Caller } from "../auth/token-service.ts";
import { ApiError } from "../errors.ts";
import { jsonMediaTypes, type ReadJsonBody } from "./read-json-body.ts";
import { closeIfBodyUnread, hasBody } from "./request-body.ts";
import type { Route } from "./route.ts";
import { sendJson } from "./send-json.ts";
import { parseInput } from "./validate.ts";

export interface Guards {
  /** Authenticates the caller (holding `scope`, when given), or throws the ApiError to answer. */
  authenticate(req: Request, scope: Scope | undefined): Promise<Caller>;
  /** Counts one request against the caller's per-minute rate limit, or throws `rate_limited`. */
  rateLimit(caller: Caller, res: Response): Promise<void>;
}

/** The routes that share one path, by method. */
interface PathEntry {
  path: string;
  byMethod: Map<string, Route>;
}

/** Decodes a path parameter; malformed percent-encoding (such as `%ff`) is the caller's error. */
function decodeParameter(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    throw new ApiError("invalid_request", "The path is not valid percent-encoding");
  }
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
  } else {
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
 * validation, the handler and its JSON answer. A path without
 * parameters is found with one map lookup, the others by their compiled patterns (Express's
 * router would test every registered route's pattern in turn on every request). Paths match
 * case-insensitively and with or without a trailing slash, as Express's do; a known path asked
 * with another method answers 405 with `Allow`.
 */
export function dispatchRoutes(
  routes: readonly Route[],
  guards: Guards,
  readJsonBody: ReadJsonBody,
): RequestHandler {
  const entries = new Map<string, PathEntry>();
  for (const route of routes) {
    const entry = entries.get(route.path) ?? { path: route.path, byMethod: new Map() };
    entry.byMethod.set(route.method.toUpperCase(), route);
    if (route.method === "get") entry.byMethod.set("HEAD", route);
    entries.set(route.path, entry);
  }
  const fixed = new Map<string, PathEntry>();
  // The table's paths have named segments only, so every parameter is one string.
  const patterned: { match: MatchFunction<Record<string, string>>; entry: PathEntry }[] = [];
  for (const entry of entries.values()) {
    if (entry.path.includes(":")) {
      patterned.push({ match: match(entry.path, { decode: decodeParameter }), entry });
    } else fixed.set(entry.path.toLowerCase(), entry);
  }

  const find = (path: string) => {
    const key = (path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path).toLowerCase();
    const entry = fixed.get(key);
    if (entry) return { entry, params: {} };
    for (const candidate of patterned) {
      const found = candidate.match(path);
      if (found) return { entry: candidate.entry, params: found.params };
    }
    return undefined;
  };

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
