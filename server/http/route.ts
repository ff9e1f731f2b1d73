import type { Request, Response } from "express";
import type { z } from "zod";
import type { Scope } from "../auth/scopes.ts";

/** Who may call a route: anyone, any valid token, or a token holding the scope. */
export type Access = "public" | "token" | Scope;

type Output<S> = S extends z.ZodType ? z.output<S> : undefined;

export interface RouteInput<B, Q> {
  body: B;
  query: Q;
  params: Record<string, string>;
}

/**
 * One entry of the route table. The table drives everything that must agree about a route:
 * registration, authentication, validation, the OpenAPI document and the auth tests.
 */
export interface Route<
  B extends z.ZodType | undefined = z.ZodType | undefined,
  Q extends z.ZodType | undefined = z.ZodType | undefined,
> {
  method: "get" | "post" | "put" | "patch" | "delete";
  /** An Express path; `:name` segments become path parameters. */
  path: string;
  access: Access;
  tag: string;
  summary: string;
  description?: string;
  body?: B;
  query?: Q;
  /** The success body, for the OpenAPI document. */
  response?: z.ZodType;
  /** Status of a returned value; 200 unless set. */
  successStatus?: number;
  /**
   * Handles a validated request. A returned value is sent as JSON; a handler that writes the
   * response itself (streams, pages) returns undefined.
   */
  handle(input: RouteInput<Output<B>, Output<Q>>, req: Request, res: Response): unknown;
}

/** Type-checks a route against its own schemas, then erases them for the table. */
export function defineRoute<
  B extends z.ZodType | undefined = undefined,
  Q extends z.ZodType | undefined = undefined,
>(route: Route<B, Q>): Route {
  return route as unknown as Route;
}
