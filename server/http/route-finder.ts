import { match, type MatchFunction } from "path-to-regexp";
import { ApiError } from "../errors.ts";
import type { Route } from "./route.ts";

/** The routes that share one path, by method. */
export interface PathEntry {
  path: string;
  byMethod: Map<string, Route>;
}

/** A request path's entry in the route table, with its decoded path parameters. */
export interface FoundPath {
  entry: PathEntry;
  params: Record<string, string>;
}

/** Decodes a path parameter; malformed percent-encoding (such as `%ff`) is the caller's error. */
function decodeParameter(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    throw new ApiError("invalid_request", "The path is not valid percent-encoding");
  }
}

/**
 * Finds a request path's entry in the route table. A path without parameters is found with one
 * map lookup, the others by their compiled patterns (Express's router would test every registered
 * route's pattern in turn on every request). Paths match case-insensitively and with or without a
 * trailing slash, as Express's do. Throws `invalid_request` for a parameter that is not valid
 * percent-encoding.
 */
export function routeFinder(routes: readonly Route[]): (path: string) => FoundPath | undefined {
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

  return (path) => {
    const key = (path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path).toLowerCase();
    const entry = fixed.get(key);
    if (entry) return { entry, params: {} };
    for (const candidate of patterned) {
      const found = candidate.match(path);
      if (found) return { entry: candidate.entry, params: found.params };
    }
    return undefined;
  };
}
