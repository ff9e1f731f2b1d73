import { z } from "zod";
import { fileIdsField } from "../files/schemas.ts";
import {
  completionResponseSchema,
  maxToolCallsPerTurn,
  toolCallSchema,
  toolFields,
} from "../llm/request/completion-request.ts";

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

/** The result of one function the last reply called. */
const toolResultSchema = z.strictObject({
  toolCallId: z.string().min(1).max(200).describe("The call's id, from the reply's toolCalls"),
  content: z.string().describe("What the function returned, as text"),
});

/** A user message, or the results of the functions the last reply called, or both. */
export const appendMessageSchema = z
  .strictObject({
    content: z.string().min(1).optional().describe("The user's message"),
    toolResults: z
      .array(toolResultSchema)
      .min(1)
      .max(maxToolCallsPerTurn)
      .optional()
      .describe("One result for each function the last reply called, stored before `content`"),
    ...toolFields,
    model: z.string().trim().min(1).max(200).optional().describe("For this message only"),
    temperature: z.number().min(0).max(2).optional(),
    maxTokens: z.number().int().positive().optional().describe("Longest answer, in tokens"),
    stream: z.boolean().optional(),
    fileIds: fileIdsField.describe("Files whose text the model receives with this message only"),
  })
  .refine((body) => body.content !== undefined || body.toolResults !== undefined, {
    path: ["content"],
    message: "send content, toolResults or both",
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
  role: z.enum(["user", "assistant", "tool"]),
  content: z.string(),
  toolCalls: z.array(toolCallSchema).optional().describe("An assistant turn's function calls"),
  toolCallId: z.string().optional().describe("A tool turn: the call whose result it holds"),
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
