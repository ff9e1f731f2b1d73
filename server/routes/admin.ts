import { z } from "zod";
import { scopeSchema, scopes } from "../auth/scopes.ts";
import {
  InvalidTokenChangeError,
  TokenNotFoundError,
  TokenRevokedError,
  type TokenService,
  type TokenSummary,
  withEffectiveLimits,
} from "../auth/token-service.ts";
import { ApiError } from "../errors.ts";
import { MAX_REQUESTS_PER_MINUTE } from "../limits/rate-limits.ts";
import { defineRoute, type Route } from "../http/route.ts";
import { timeRangeQuery } from "../admin/schemas.ts";
import { cursorSchema, encodeCursor, pageLimit } from "./admin-console.ts";
import type { Store } from "../store/store.ts";

export const tokenSummary = z.object({
  id: z.string(),
  name: z.string(),
  prefix: z.string(),
  scopes: z.array(scopeSchema),
  rpm: z.number().nullable(),
  budgetUsd: z.number().nullable(),
  expiresAt: z.string().nullable(),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
  previousSecretValidUntil: z.string().nullable(),
  /** What applies: rpm, else the server's RATE_LIMIT_RPM; budget in USD per calendar month. */
  limits: z.object({ requestsPerMinute: z.number(), monthlyBudgetUsd: z.number().nullable() }),
});

export const auditEntry = z.object({
  id: z.string(),
  actorTokenId: z.string().nullable(),
  action: z.string(),
  subject: z.string().nullable(),
  detail: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
});

const createTokenBody = z.strictObject({
  name: z.string().trim().min(1).max(100),
  scopes: z.array(scopeSchema).min(1).max(scopes.length).default(["llm"]),
  expiresInDays: z.number().positive().max(3650).optional(),
  rpm: z.number().int().positive().max(MAX_REQUESTS_PER_MINUTE).optional(),
  budgetUsd: z.number().positive().optional(),
});

/** Absent fields stay as they are; `null` clears (default rpm, no budget, no expiry). */
const updateTokenBody = z
  .strictObject({
    name: createTokenBody.shape.name.optional(),
    scopes: z.array(scopeSchema).min(1).max(scopes.length).optional(),
    rpm: createTokenBody.shape.rpm.unwrap().nullable().optional(),
    budgetUsd: createTokenBody.shape.budgetUsd.unwrap().nullable().optional(),
    expiresAt: z.iso.datetime({ offset: true }).nullable().optional(),
  })
  .refine((body) => Object.keys(body).length > 0, { message: "change at least one field" });

const rotateTokenBody = z.strictObject({
  /** How long the replaced secret keeps working. */
  graceSeconds: z
    .number()
    .int()
    .min(0)
    .max(30 * 86_400)
    .default(0),
});

export const issuedToken = z.object({ id: z.string(), token: z.string() });

/** Token-service refusals as the caller should see them. */
async function asApiErrors<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (error instanceof TokenNotFoundError) throw new ApiError("not_found", error.message);
    if (error instanceof TokenRevokedError || error instanceof InvalidTokenChangeError) {
      throw new ApiError("invalid_request", error.message);
    }
    throw error;
  }
}

/**
 * Token management and the audit log for operators (admin scope); the command line offers the
 * same token operations on the server's machine.
 */
export function adminRoutes(deps: {
  tokens: TokenService;
  store: Store;
  defaultRpm: number;
  maxPageRows: number;
}): Route[] {
  const withLimits = (token: TokenSummary) => withEffectiveLimits(token, deps.defaultRpm);
  return [
    defineRoute({
      method: "post",
      path: "/api/v1/admin/tokens",
      access: "admin",
      tag: "Admin",
      summary: "Issue a token; its secret is in this response only",
      body: createTokenBody,
      response: issuedToken,
      successStatus: 201,
      handle: async ({ body, caller }) => {
        const { id, token } = await deps.tokens.create(
          {
            name: body.name,
            scopes: body.scopes,
            expiresInMs: body.expiresInDays ? body.expiresInDays * 86_400_000 : undefined,
            rpm: body.rpm,
            budgetUsd: body.budgetUsd,
          },
          caller.tokenId,
        );
        return { id, token };
      },
    }),
    defineRoute({
      method: "patch",
      path: "/api/v1/admin/tokens/:id",
      access: "admin",
      tag: "Admin",
      summary: "Change a token's name, scopes, rate limit, monthly budget or expiry",
      description:
        "Fields left out stay as they are; null clears rpm (back to the server's default), " +
        "budgetUsd (no budget) or expiresAt (never expires). Every instance applies the change " +
        "within a second. Audited as token.updated with each field's old and new value.",
      body: updateTokenBody,
      response: tokenSummary,
      handle: async ({ body, params, caller }) =>
        withLimits(await asApiErrors(deps.tokens.update(params.id!, body, caller.tokenId))),
    }),
    defineRoute({
      method: "post",
      path: "/api/v1/admin/tokens/:id/rotate",
      access: "admin",
      tag: "Admin",
      summary: "Replace a token's secret; the old one works for graceSeconds more",
      body: rotateTokenBody,
      response: issuedToken.extend({ previousSecretValidUntil: z.string().nullable() }),
      handle: async ({ body, params, caller }) => {
        const rotated = await asApiErrors(
          deps.tokens.rotate(params.id!, body.graceSeconds * 1000, caller.tokenId),
        );
        return {
          id: rotated.id,
          token: rotated.token,
          previousSecretValidUntil: rotated.summary.previousSecretValidUntil,
        };
      },
    }),
    defineRoute({
      method: "delete",
      path: "/api/v1/admin/tokens/:id",
      access: "admin",
      tag: "Admin",
      summary: "Revoke a token at once",
      response: tokenSummary,
      handle: async ({ params, caller }) =>
        withLimits(await asApiErrors(deps.tokens.revoke(params.id!, caller.tokenId))),
    }),
    defineRoute({
      method: "get",
      path: "/api/v1/admin/tokens",
      access: "admin",
      tag: "Admin",
      summary: "Every token, without secrets",
      response: z.object({ tokens: z.array(tokenSummary) }),
      handle: async () => ({ tokens: (await deps.tokens.list()).map(withLimits) }),
    }),
    defineRoute({
      method: "get",
      path: "/api/v1/admin/audit",
      access: "admin",
      tag: "Admin",
      summary: "The audit log, newest first, filtered and paged",
      description: "Every filter narrows. Pages follow `nextCursor` (null on the last page).",
      query: z.object({
        limit: pageLimit(deps.maxPageRows),
        action: z.string().trim().min(1).max(100).optional(),
        actorTokenId: z.string().trim().min(1).max(200).optional(),
        subject: z.string().trim().min(1).max(200).optional(),
        ...timeRangeQuery,
        cursor: cursorSchema.optional(),
      }),
      response: z.object({ entries: z.array(auditEntry), nextCursor: z.string().nullable() }),
      handle: async ({ query }) => {
        const { limit, cursor, ...filter } = query;
        const entries = await deps.store.audit.list(limit + 1, { ...filter, after: cursor });
        const page = entries.slice(0, limit);
        const last = page.at(-1);
        return {
          entries: page,
          nextCursor: entries.length > limit && last ? encodeCursor(last) : null,
        };
      },
    }),
  ];
}
