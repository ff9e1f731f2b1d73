import type { z } from "zod";
import type { fileSchema, fileTotalsSchema } from "./files/schemas.ts";
import type { meSchema, settingsChangeSchema } from "./account/schemas.ts";
import type {
  consentLinkSchema,
  disconnectedSchema,
  parsedEventSchema,
  parseResponseSchema,
  createResponseSchema,
} from "./calendar/schemas.ts";
import type {
  appendMessageSchema,
  conversationListSchema,
  conversationWithMessagesSchema,
  createConversationSchema,
} from "./conversations/schemas.ts";
import type {
  batchItemSchema,
  batchResponseSchema,
  completionRequestSchema,
  completionResponseSchema,
} from "./llm/request/completion-request.ts";
import type { jobEndSchema, jobSchema } from "./llm/jobs/schemas.ts";
import type { embeddingRequestSchema, embeddingResponseSchema } from "./llm/embeddings/schemas.ts";
import type { modelInfoSchema, modelsResponseSchema } from "./models/schemas.ts";
import type { TemplateBodies, templateListSchema } from "./templates/schemas.ts";
import type {
  adminUsageReportSchema,
  usageRangeSchema,
  usageReportSchema,
} from "./usage/schemas.ts";
import type {
  backupTakenSchema,
  ledgerPageSchema,
  ledgerRowSchema,
  modelHealthSchema,
  systemStatusSchema,
} from "./admin/schemas.ts";
import type { auditEntry, issuedToken, tokenSummary } from "./routes/admin.ts";

/**
 * The API's wire types for the add-in, derived from the schemas of the route table (which the
 * OpenAPI document is generated from too): a change to a schema fails the add-in's type check
 * where the add-in no longer fits it. The add-in imports this module with `import type` only
 * (ESLint enforces it), so nothing of the server reaches its bundle. The schemas it reads sit
 * beside their domain in modules of their own, free of Node and of the HTTP layer.
 */

export type { ErrorCode, ErrorEnvelope } from "./errors.ts";

/** POST /api/v1/completions: the body, and the answer (also a stream's `done` event). */
export type CompletionRequest = z.input<typeof completionRequestSchema>;
export type Completion = z.output<typeof completionResponseSchema>;

/** POST /api/v1/batch: one item of the body, and the answer. */
export type BatchItem = z.input<typeof batchItemSchema>;
export type BatchResponse = z.output<typeof batchResponseSchema>;
export type { BatchItemResult } from "./llm/request/completion-request.ts";

/** POST /api/v1/embeddings: the body, and the answer. */
export type EmbeddingRequest = z.input<typeof embeddingRequestSchema>;
export type Embeddings = z.output<typeof embeddingResponseSchema>;

/** POST /api/v1/jobs (the body is a batch's), GET /api/v1/jobs/:id, and its events' `done`. */
export type Job = z.output<typeof jobSchema>;
export type JobEnd = z.output<typeof jobEndSchema>;

/** GET /api/v1/models. */
export type ModelInfo = z.output<typeof modelInfoSchema>;
export type ModelsResponse = z.output<typeof modelsResponseSchema>;

/** GET /api/v1/me, and the caller's settings (GET and PUT /api/v1/me/settings). */
export type Me = z.output<typeof meSchema>;
export type { Settings } from "./account/schemas.ts";
export type SettingsChange = z.input<typeof settingsChangeSchema>;

/** Conversations: the bodies that start one and add a message, the answers, a reply's `done`. */
export type CreateConversation = z.input<typeof createConversationSchema>;
export type AppendMessage = z.input<typeof appendMessageSchema>;
export type { Conversation, ConversationMessage, ReplyDoneEvent } from "./conversations/schemas.ts";
export type ConversationList = z.output<typeof conversationListSchema>;
export type ConversationWithMessages = z.output<typeof conversationWithMessagesSchema>;

/** Prompt templates: the bodies that create and change one, and the answers. */
export type TemplateInput = z.input<TemplateBodies["create"]>;
export type TemplateChange = z.input<TemplateBodies["patch"]>;
export type { Template } from "./templates/schemas.ts";
export type TemplateList = z.output<typeof templateListSchema>;

/** GET /api/v1/usage: the range asked for (its query), and the report. */
export type UsageRange = z.input<typeof usageRangeSchema>;
export type UsageReport = z.output<typeof usageReportSchema>;

/** Google Calendar. */
export type { CalendarStatus, CreateResult, PublicEvent } from "./calendar/schemas.ts";
export type ConsentLink = z.output<typeof consentLinkSchema>;
export type Disconnected = z.output<typeof disconnectedSchema>;
export type ParsedEvent = z.output<typeof parsedEventSchema>;
export type ParseResponse = z.output<typeof parseResponseSchema>;
export type CreateResponse = z.output<typeof createResponseSchema>;

/** The admin console (addin/src/admin/): tokens, everyone's usage, the ledger, audit, system. */
export type TokenSummary = z.output<typeof tokenSummary>;
export type IssuedToken = z.output<typeof issuedToken>;
export type AuditEntry = z.output<typeof auditEntry>;
export type AdminUsageReport = z.output<typeof adminUsageReportSchema>;
export type LedgerPage = z.output<typeof ledgerPageSchema>;
export type LedgerRow = z.output<typeof ledgerRowSchema>;
export type ModelHealth = z.output<typeof modelHealthSchema>;
export type SystemStatus = z.output<typeof systemStatusSchema>;
export type FileTotals = z.output<typeof fileTotalsSchema>;
export type BackupTaken = z.output<typeof backupTakenSchema>;
// Files
export type StoredFile = z.output<typeof fileSchema>;
