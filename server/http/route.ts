import type { Request, Response } from "express";
import type { z } from "zod";
import type { Scope } from "../auth/scopes.ts";
import type { Caller } from "../auth/token-service.ts";

/** Who may call a route: anyone, any valid token, or a token holding the scope. */
export type Access = "public" | "token" | Scope;

type Output<S> = S extends z.ZodType ? z.output<S> : undefined;

/** What every request carries from its start: its id, its cancel signal and its deadline. */
export interface RequestContext {
  requestId: string;
  /** Aborted when the client goes away or the request times out. */
  signal: AbortSignal;
  /** When the request times out, on the `performance.now()` clock. */
  deadline: number;
}

/** A public route's input: the validated request and its context. */
export interface RouteInput<B, Q> extends RequestContext {
  body: B;
  query: Q;
  params: Record<string, string>;
}

/** A token or scope route's input: also the authenticated caller. */
export interface CallerRouteInput<B, Q> extends RouteInput<B, Q> {
  caller: Caller;
}

/** The input a route's handler gets, decided by who may call it. */
type InputFor<A extends Access, B, Q> = A extends "public"
  ? RouteInput<B, Q>
  : CallerRouteInput<B, Q>;

/**
 * One entry of the route table. The table drives everything that must agree about a route:
 * registration, authentication, validation, the OpenAPI document and the auth tests.
 */
export interface Route<
  B extends z.ZodType | undefined = z.ZodType | undefined,
  Q extends z.ZodType | undefined = z.ZodType | undefined,
  A extends Access = Access,
> {
  method: "get" | "post" | "put" | "patch" | "delete";
  /** An Express path; `:name` segments become path parameters. */
  path: string;
  access: A;
  tag: string;
  summary: string;
  description?: string;
  body?: B;
  /**
   * A multipart/form-data body the handler reads itself (an upload), instead of a JSON `body`:
   * the form field that carries the file, for the OpenAPI document.
   */
  upload?: { field: string; description: string };
  query?: Q;
  /** The success body, for the OpenAPI document. */
  response?: z.ZodType;
  /** Reads an `Idempotency-Key` header (documented as a parameter of the route). */
  idempotencyKey?: boolean;
  /** Status of a returned value; 200 unless set. */
  successStatus?: number;
  /**
   * Handles a validated request. A returned value is sent as JSON; a handler that writes the
   * response itself (streams, pages) returns undefined.
   */
  handle(input: InputFor<A, Output<B>, Output<Q>>, req: Request, res: Response): unknown;
}

/** Type-checks a route against its own schemas and access, then erases them for the table. */
export function defineRoute<
  B extends z.ZodType | undefined = undefined,
  Q extends z.ZodType | undefined = undefined,
  A extends Access = Access,
>(route: Route<B, Q, A>): Route {
  return route as unknown as Route;
}
