import { z } from "zod";
import { scopeSchema } from "../auth/scopes.ts";
import type { TokenService } from "../auth/token-service.ts";
import { defineRoute, type Route } from "../http/route.ts";
import type { Store } from "../store/store.ts";

const tokenSummary = z.object({
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
});

const auditEntry = z.object({
  id: z.string(),
  actorTokenId: z.string().nullable(),
  action: z.string(),
  subject: z.string().nullable(),
  detail: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
});

/** Read-only views for operators (admin scope); tokens are issued with the command line. */
export function adminRoutes(deps: { tokens: TokenService; store: Store }): Route[] {
  return [
    defineRoute({
      method: "get",
      path: "/api/v1/admin/tokens",
      access: "admin",
      tag: "Admin",
      summary: "Every token, without secrets",
      response: z.object({ tokens: z.array(tokenSummary) }),
      handle: async () => ({ tokens: await deps.tokens.list() }),
    }),
    defineRoute({
      method: "get",
      path: "/api/v1/admin/audit",
      access: "admin",
      tag: "Admin",
      summary: "The audit log, newest first",
      query: z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) }),
      response: z.object({ entries: z.array(auditEntry) }),
      handle: async ({ query }) => ({ entries: await deps.store.audit.list(query.limit) }),
    }),
  ];
}
