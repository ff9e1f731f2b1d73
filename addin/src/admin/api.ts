import type {
  AdminUsageReport,
  AuditEntry,
  BackupTaken,
  FileTotals,
  IssuedToken,
  LedgerPage,
  ModelHealth,
  SystemStatus,
  TokenSummary,
} from "../../../server/wire.ts";
import { ApiClient } from "../shared/api-client.ts";

export type { AdminUsageReport, AuditEntry, LedgerPage, LedgerRow } from "../../../server/wire.ts";
export type { ModelHealth, SystemStatus, TokenSummary } from "../../../server/wire.ts";

export type Scope = TokenSummary["scopes"][number];
export const scopes: readonly Scope[] = ["llm", "calendar", "admin"];

export interface AuditPage {
  entries: AuditEntry[];
  nextCursor: string | null;
}

/** What a token's form may change; null clears (see PATCH /api/v1/admin/tokens/:id). */
export interface TokenChange {
  name?: string;
  scopes?: Scope[];
  rpm?: number | null;
  budgetUsd?: number | null;
  expiresAt?: string | null;
}

export interface NewToken {
  name: string;
  scopes: Scope[];
  expiresInDays?: number;
  rpm?: number;
  budgetUsd?: number;
}

/** A query string from the filters that are set. */
export function query(params: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params))
    if (value !== undefined && value !== "") search.set(key, String(value));
  const text = search.toString();
  return text ? `?${text}` : "";
}

/** The admin API the console calls, on the origin that serves it. */
export class AdminApi {
  readonly #client: ApiClient;

  constructor(token: string) {
    this.#client = new ApiClient({ baseUrl: "", token });
  }

  tokens(): Promise<{ tokens: TokenSummary[] }> {
    return this.#client.get("/api/v1/admin/tokens");
  }
  createToken(body: NewToken): Promise<IssuedToken> {
    return this.#client.post("/api/v1/admin/tokens", body);
  }
  updateToken(id: string, change: TokenChange): Promise<TokenSummary> {
    return this.#client.json(`/api/v1/admin/tokens/${encodeURIComponent(id)}`, {
      method: "PATCH",
      body: JSON.stringify(change),
    });
  }
  rotateToken(
    id: string,
    graceSeconds: number,
  ): Promise<IssuedToken & { previousSecretValidUntil: string | null }> {
    return this.#client.post(`/api/v1/admin/tokens/${encodeURIComponent(id)}/rotate`, {
      graceSeconds,
    });
  }
  revokeToken(id: string): Promise<TokenSummary> {
    return this.#client.json(`/api/v1/admin/tokens/${encodeURIComponent(id)}`, {
      method: "DELETE",
    });
  }
  usage(range: { from?: string; to?: string; tokenId?: string }): Promise<AdminUsageReport> {
    return this.#client.get(`/api/v1/admin/usage${query(range)}`);
  }
  requests(filter: Record<string, string | number | undefined>): Promise<LedgerPage> {
    return this.#client.get(`/api/v1/admin/requests${query(filter)}`);
  }
  audit(filter: Record<string, string | number | undefined>): Promise<AuditPage> {
    return this.#client.get(`/api/v1/admin/audit${query(filter)}`);
  }
  models(hours: number): Promise<ModelHealth> {
    return this.#client.get(`/api/v1/admin/models${query({ hours })}`);
  }
  system(): Promise<SystemStatus> {
    return this.#client.get("/api/v1/admin/system");
  }
  backupNow(): Promise<BackupTaken> {
    return this.#client.post("/api/v1/admin/backups", {});
  }
  files(): Promise<FileTotals> {
    return this.#client.get("/api/v1/admin/files");
  }
}
