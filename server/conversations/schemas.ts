import { z } from "zod";
import { fileIdsField } from "../files/schemas.ts";
import { completionResponseSchema } from "../llm/request/completion-request.ts";

/**
 * The conversation API's bodies and answers: the route table's schemas, so the OpenAPI
 * document's too. No Node here: the add-in takes their types through server/wire.ts.
 */

export const createConversationSchema = z.strictObject({
  title: z
    .string()
    .trim()
    .min(1)
    .max(200)
    .optional()
    .describe("Default: named after the first message"),
  model: z.string().trim().min(1).max(200).optional().describe("Default: your settings' model"),
  systemPrompt: z.string().max(50_000).optional().describe("Default: your settings' one"),
});

/** A user message added to a conversation. */
export const appendMessageSchema = z.strictObject({
  content: z.string().min(1).describe("The user's message"),
  model: z.string().trim().min(1).max(200).optional().describe("For this message only"),
  temperature: z.number().min(0).max(2).optional(),
  maxTokens: z.number().int().positive().optional().describe("Longest answer, in tokens"),
  stream: z.boolean().optional(),
  fileIds: fileIdsField.describe("Files whose text the model receives with this message only"),
});

export const conversationSchema = z.object({
  id: z.string(),
  title: z.string(),
  model: z.string().nullable(),
  systemPrompt: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export type Conversation = z.output<typeof conversationSchema>;

export const conversationMessageSchema = z.object({
  id: z.string(),
  role: z.enum(["user", "assistant"]),
  content: z.string(),
  createdAt: z.string(),
});

export type ConversationMessage = z.output<typeof conversationMessageSchema>;

export const conversationListSchema = z.object({ conversations: z.array(conversationSchema) });

export const conversationWithMessagesSchema = conversationSchema.extend({
  messages: z.array(conversationMessageSchema),
});

const historySchema = z.object({
  sent: z.number().int().describe("Messages sent to the model, the new one included"),
  dropped: z.number().int().describe("Oldest messages left out to fit the context window"),
});

/** The answer to a message: the stored reply, its completion, and how the history was fitted. */
export const replySchema = z.object({
  message: conversationMessageSchema,
  completion: completionResponseSchema,
  history: historySchema,
});

/**
 * A streamed reply's `done` event: the completion, with the stored reply and the history beside
 * it (not nested as in the answer above).
 */
export type ReplyDoneEvent = z.output<typeof completionResponseSchema> &
  Omit<z.output<typeof replySchema>, "completion">;
