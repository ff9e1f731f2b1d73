/**
 * Table shapes as both SQL dialects hold them. Times are ISO 8601 UTC strings (sortable as
 * text on SQLite and PostgreSQL alike); booleans are 0/1 integers.
 */

export interface TokensTable {
  id: string;
  name: string;
  /** The first characters of the secret, safe to show ("ollm_AbC1234"). */
  prefix: string;
  /** SHA-256 (hex) of the current secret; the secret itself is never stored. */
  secret_hash: string;
  /** The secret replaced by the last rotation, accepted until `previous_expires_at`. */
  previous_secret_hash: string | null;
  previous_expires_at: string | null;
  /** Comma-separated scopes: llm, calendar, admin. */
  scopes: string;
  rpm: number | null;
  budget_usd: number | null;
  expires_at: string | null;
  revoked_at: string | null;
  last_used_at: string | null;
  created_at: string;
}

export interface UsageTable {
  id: string;
  token_id: string;
  request_id: string;
  provider: string;
  model: string;
  /** The operator's label of the provider key that answered (never the key); null when none. */
  key_label: string | null;
  input_tokens: number;
  output_tokens: number;
  /** Whole nano-dollars (10⁻⁹ USD): exact sums, see util/money.ts. */
  cost_nano_usd: number;
  cached: number;
  latency_ms: number;
  status: string;
  error_code: string | null;
  created_at: string;
}

/**
 * Money set aside against a token's monthly budget for one model call in flight: its maximum
 * cost, held until the call's ledger row is written or the call is given up. A hold left by a
 * process that died stops counting at `expires_at`.
 */
export interface BudgetReservationsTable {
  id: string;
  token_id: string;
  amount_nano_usd: number;
  expires_at: string;
}

export interface AuditTable {
  id: string;
  /** The token that acted, or null for the command line. */
  actor_token_id: string | null;
  action: string;
  /** What the action was about (a token id, a calendar…). */
  subject: string | null;
  /** JSON with the details worth keeping; never a secret. */
  detail: string;
  created_at: string;
}

/** Per-token defaults applied when a request leaves them out. */
export interface UserSettingsTable {
  token_id: string;
  model: string | null;
  system_prompt: string | null;
  temperature: number | null;
  updated_at: string;
}

export interface TemplatesTable {
  id: string;
  token_id: string;
  name: string;
  description: string | null;
  /** Prompt text with {{variable}} placeholders. */
  body: string;
  system_prompt: string | null;
  model: string | null;
  created_at: string;
  updated_at: string;
}

export interface ConversationsTable {
  id: string;
  token_id: string;
  title: string;
  model: string | null;
  system_prompt: string | null;
  created_at: string;
  updated_at: string;
}

export interface ConversationMessagesTable {
  id: string;
  conversation_id: string;
  /** Position in the conversation, from 0. */
  seq: number;
  role: string;
  content: string;
  /** An assistant turn's function calls, as JSON (`[{id, name, arguments}]`); else null. */
  tool_calls: string | null;
  /** A tool turn: the id of the call whose result it holds; else null. */
  tool_call_id: string | null;
  created_at: string;
}

/** A token's Google Calendar grant; the Google tokens are sealed (AES-256-GCM, ENCRYPTION_KEY). */
export interface CalendarConnectionsTable {
  token_id: string;
  /** Sealed JSON of Google's credentials (access and refresh tokens, expiry); never plaintext. */
  tokens_sealed: string;
  /** The Google account (its primary calendar's id), when Google told us. */
  email: string | null;
  /** The primary calendar's timezone, when Google told us. */
  time_zone: string | null;
  /** Space-separated scopes Google granted. */
  scope: string;
  /** 1 once Google refused the grant (revoked or expired): the user must connect again. */
  needs_reconnect: number;
  connected_at: string;
  updated_at: string;
}

/**
 * A pending OAuth consent: single-use, bound to the token that asked and to the browser that
 * started it, short-lived.
 */
export interface OAuthStatesTable {
  /** SHA-256 (hex) of the `state` sent to Google; the state itself is never stored. */
  state_hash: string;
  token_id: string;
  /** The PKCE code verifier, sealed. */
  code_verifier_sealed: string;
  expires_at: string;
  used_at: string | null;
  created_at: string;
  /** SHA-256 (hex) of the cookie set in the browser that started the consent (null: none). */
  browser_hash: string | null;
}

/**
 * A one-time ticket to start Google's consent in a browser (GET /api/v1/calendar/oauth/start),
 * handed to the token that asked for it.
 */
export interface OAuthStartsTable {
  /** SHA-256 (hex) of the ticket; the ticket itself is never stored. */
  ticket_hash: string;
  token_id: string;
  expires_at: string;
  used_at: string | null;
  created_at: string;
}

/** One row (id 1): a counter that a trigger moves on each change to a token (migration 0004). */
export interface TokenChangesTable {
  id: number;
  generation: number;
}

/** A file a token uploaded, kept as the text extracted from it until `expires_at`. */
export interface FilesTable {
  id: string;
  token_id: string;
  /** The name the file was uploaded with. */
  name: string;
  /** csv, xlsx, pdf, docx, txt or md. */
  kind: string;
  /** Size of the upload, in bytes; the upload itself is not kept. */
  bytes: number;
  text: string;
  text_chars: number;
  /** What was read, e.g. "3 pages" or "2 sheets, 120 cells". */
  detail: string | null;
  created_at: string;
  expires_at: string;
}

export interface Database {
  tokens: TokensTable;
  token_changes: TokenChangesTable;
  usage: UsageTable;
  budget_reservations: BudgetReservationsTable;
  audit_log: AuditTable;
  user_settings: UserSettingsTable;
  templates: TemplatesTable;
  conversations: ConversationsTable;
  conversation_messages: ConversationMessagesTable;
  calendar_connections: CalendarConnectionsTable;
  oauth_states: OAuthStatesTable;
  oauth_starts: OAuthStartsTable;
  files: FilesTable;
}
