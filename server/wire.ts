import type { z } from "zod";
import type {
  consentLinkSchema,
  disconnectedSchema,
  parsedEventSchema,
  parseResponseSchema,
  createResponseSchema,
} from "./calendar/schemas.ts";
import type {
  batchItemSchema,
  batchResponseSchema,
  completionRequestSchema,
  completionResponseSchema,
} from "./llm/completion-request.ts";

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
export type { BatchItemResult } from "./llm/completion-request.ts";

/** Google Calendar. */
export type { CalendarStatus, CreateResult, PublicEvent } from "./calendar/schemas.ts";
export type ConsentLink = z.output<typeof consentLinkSchema>;
export type Disconnected = z.output<typeof disconnectedSchema>;
export type ParsedEvent = z.output<typeof parsedEventSchema>;
export type ParseResponse = z.output<typeof parseResponseSchema>;
export type CreateResponse = z.output<typeof createResponseSchema>;
