import { randomBytes } from "node:crypto";
import type { Clock } from "../clock.ts";
import type { Store } from "../store/store.ts";
import type { TokenRow } from "../store/token-repository.ts";
import { parseScopes, type Scope } from "./scopes.ts";
import { generateSecret, hashSecret, isWellFormedSecret, secretPrefix } from "./secrets.ts";

/** What a request knows about the token that authenticated it. */
export interface Caller {
  tokenId: string;
  name: string;
  scopes: Scope[];
  rpm: number | null;
  budgetUsd: number | null;
  expiresAt: string | null;
}

/** A token as listings show it: never the secret or its hash. */
export interface TokenSummary extends Omit<Caller, "tokenId"> {
  id: string;
  prefix: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
  /** Until when the secret replaced by the last rotation is still accepted. */
  previousSecretValidUntil: string | null;
}

export type AuthFailure = "malformed" | "unknown" | "expired" | "revoked";
export type AuthResult = { ok: true; caller: Caller } | { ok: false; reason: AuthFailure };

export interface CreateTokenInput {
  name: string;
  scopes: Scope[];
  expiresInMs?: number | undefined;
  rpm?: number | undefined;
  budgetUsd?: number | undefined;
}

/**
 * A change to a token's properties; absent: unchanged. `null` clears: rpm back to the default,
 * no budget, no expiry.
 */
export interface TokenChangeInput {
  name?: string | undefined;
  scopes?: Scope[] | undefined;
  rpm?: number | null | undefined;
  budgetUsd?: number | null | undefined;
  /** ISO 8601 instant. */
  expiresAt?: string | null | undefined;
}

const CHANGEABLE = ["name", "scopes", "rpm", "budgetUsd", "expiresAt"] as const;

/** last_used_at is written at most this often per token, to keep requests write-free. */
const LAST_USED_RESOLUTION_MS = 60_000;

export class TokenNotFoundError extends Error {
  constructor(id: string) {
    super(`no token with id ${id}`);
    this.name = "TokenNotFoundError";
  }
}

export class TokenRevokedError extends Error {
  constructor(id: string) {
    super(`token ${id} is revoked; create a new one instead`);
    this.name = "TokenRevokedError";
  }
}

export class InvalidTokenChangeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InvalidTokenChangeError";
  }
}

/** Issues, checks, rotates and revokes OfficeLLM tokens; stores only their hashes. */
export class TokenService {
  readonly #store: Store;
  readonly #clock: Clock;

  constructor(store: Store, clock: Clock) {
    this.#store = store;
    this.#clock = clock;
  }

  /** Creates a token; the returned secret is shown once and never again. */
  async create(
    input: CreateTokenInput,
    actorTokenId: string | null = null,
  ): Promise<{ id: string; token: string; summary: TokenSummary }> {
    const now = this.#clock.now();
    const secret = generateSecret();
    const row: TokenRow = {
      id: `tok_${randomBytes(9).toString("base64url")}`,
      name: input.name,
      prefix: secretPrefix(secret),
      secret_hash: hashSecret(secret),
      previous_secret_hash: null,
      previous_expires_at: null,
      scopes: parseScopes(input.scopes.join(",")).join(","),
      rpm: input.rpm ?? null,
      budget_usd: input.budgetUsd ?? null,
      expires_at: input.expiresInMs
        ? new Date(now.getTime() + input.expiresInMs).toISOString()
        : null,
      revoked_at: null,
      last_used_at: null,
      created_at: now.toISOString(),
    };
    await this.#store.tokens.insert(row);
    await this.#audit(actorTokenId, "token.created", row.id, {
      name: row.name,
      scopes: row.scopes,
    });
    return { id: row.id, token: secret, summary: summarize(row) };
  }

  async list(): Promise<TokenSummary[]> {
    return (await this.#store.tokens.list()).map(summarize);
  }

  async revoke(id: string, actorTokenId: string | null = null): Promise<TokenSummary> {
    const row = await this.#require(id);
    const revokedAt = row.revoked_at ?? this.#clock.now().toISOString();
    await this.#store.tokens.update(id, { revoked_at: revokedAt });
    if (!row.revoked_at) await this.#audit(actorTokenId, "token.revoked", id, {});
    return summarize({ ...row, revoked_at: revokedAt });
  }

  /**
   * Changes a token's name, scopes, limits or expiry. Every instance applies it within a second:
   * the columns move the token change counter (store/token-changes.ts), which drops the cached
   * copies, and the rate limiter counts a token's requests under its id, whatever its rpm.
   */
  async update(
    id: string,
    change: TokenChangeInput,
    actorTokenId: string | null = null,
  ): Promise<TokenSummary> {
    const row = await this.#require(id);
    if (row.revoked_at) throw new TokenRevokedError(id);
    const patch: Partial<TokenRow> = {};
    if (change.name !== undefined) patch.name = change.name;
    if (change.scopes !== undefined) {
      const scopes = parseScopes(change.scopes.join(","));
      if (scopes.length === 0)
        throw new InvalidTokenChangeError("a token needs at least one scope");
      patch.scopes = scopes.join(",");
    }
    if (change.rpm !== undefined) patch.rpm = change.rpm;
    if (change.budgetUsd !== undefined) patch.budget_usd = change.budgetUsd;
    if (change.expiresAt !== undefined) patch.expires_at = this.#futureInstant(change.expiresAt);
    const before = summarize(row);
    const after = summarize({ ...row, ...patch });
    const changes = Object.fromEntries(
      CHANGEABLE.filter(
        (field) => JSON.stringify(before[field]) !== JSON.stringify(after[field]),
      ).map((field) => [field, { from: before[field], to: after[field] }]),
    );
    if (Object.keys(changes).length > 0) {
      await this.#store.tokens.update(id, patch);
      await this.#audit(actorTokenId, "token.updated", id, { changes });
    }
    return after;
  }

  /**
   * Replaces a token's secret. The old secret keeps working for `graceMs` (0: not at all),
   * so clients can move over without an outage.
   */
  async rotate(
    id: string,
    graceMs: number,
    actorTokenId: string | null = null,
  ): Promise<{ id: string; token: string; summary: TokenSummary }> {
    const row = await this.#require(id);
    if (row.revoked_at) throw new TokenRevokedError(id);
    const now = this.#clock.now();
    const secret = generateSecret();
    const patch = {
      prefix: secretPrefix(secret),
      secret_hash: hashSecret(secret),
      previous_secret_hash: graceMs > 0 ? row.secret_hash : null,
      previous_expires_at: graceMs > 0 ? new Date(now.getTime() + graceMs).toISOString() : null,
    };
    await this.#store.tokens.update(id, patch);
    await this.#audit(actorTokenId, "token.rotated", id, { graceMs });
    return { id, token: secret, summary: summarize({ ...row, ...patch }) };
  }

  /** Checks a presented secret; records when the token was last used. */
  async authenticate(secret: string): Promise<AuthResult> {
    if (!isWellFormedSecret(secret)) return { ok: false, reason: "malformed" };
    const hash = hashSecret(secret);
    const row = await this.#store.tokens.findBySecretHash(hash);
    if (!row) return { ok: false, reason: "unknown" };
    const now = this.#clock.now();
    const nowIso = now.toISOString();
    if (row.revoked_at) return { ok: false, reason: "revoked" };
    if (row.expires_at && row.expires_at <= nowIso) return { ok: false, reason: "expired" };
    if (
      row.secret_hash !== hash &&
      (!row.previous_expires_at || row.previous_expires_at <= nowIso)
    ) {
      return { ok: false, reason: "expired" };
    }
    const lastUsed = row.last_used_at ? Date.parse(row.last_used_at) : 0;
    if (now.getTime() - lastUsed >= LAST_USED_RESOLUTION_MS) {
      // The row may be a read cache's copy (cache/cached-store.ts): mark it before writing, so
      // that this instance's next requests, concurrent ones too, do not write again.
      row.last_used_at = nowIso;
      await this.#store.tokens.update(row.id, { last_used_at: nowIso });
    }
    return { ok: true, caller: toCaller(row) };
  }

  async hasAny(): Promise<boolean> {
    return (await this.#store.tokens.count()) > 0;
  }

  /** A new expiry, normalised; one already past would be a revocation by another name. */
  #futureInstant(expiresAt: string | null): string | null {
    if (expiresAt === null) return null;
    const instant = Date.parse(expiresAt);
    if (Number.isNaN(instant)) throw new InvalidTokenChangeError(`"${expiresAt}" is not a date`);
    if (instant <= this.#clock.now().getTime()) {
      throw new InvalidTokenChangeError(
        "the expiry must be in the future; revoke the token instead",
      );
    }
    return new Date(instant).toISOString();
  }

  async #require(id: string): Promise<TokenRow> {
    const row = await this.#store.tokens.findById(id);
    if (!row) throw new TokenNotFoundError(id);
    return row;
  }

  async #audit(
    actorTokenId: string | null,
    action: "token.created" | "token.rotated" | "token.revoked" | "token.updated",
    id: string,
    detail: Record<string, unknown>,
  ) {
    await this.#store.audit.record({
      actorTokenId,
      action,
      subject: id,
      detail,
      createdAt: this.#clock.now().toISOString(),
    });
  }
}

function toCaller(row: TokenRow): Caller {
  return {
    tokenId: row.id,
    name: row.name,
    scopes: parseScopes(row.scopes),
    rpm: row.rpm,
    budgetUsd: row.budget_usd,
    expiresAt: row.expires_at,
  };
}

function summarize(row: TokenRow): TokenSummary {
  const { tokenId, ...caller } = toCaller(row);
  return {
    id: tokenId,
    ...caller,
    prefix: row.prefix,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
    previousSecretValidUntil: row.previous_expires_at,
  };
}

/** A token with the limits that apply to it: its own rpm, or else the server's default. */
export function withEffectiveLimits(token: TokenSummary, defaultRpm: number) {
  return {
    ...token,
    limits: { requestsPerMinute: token.rpm ?? defaultRpm, monthlyBudgetUsd: token.budgetUsd },
  };
}
