import { randomBytes } from "node:crypto";
import { z } from "zod";
import type { Clock } from "../clock.ts";
import {
  appendMessageSchema,
  conversationListSchema,
  conversationSchema,
  conversationWithMessagesSchema,
  createConversationSchema,
  replySchema,
  type Conversation,
  type ConversationMessage,
  type ReplyDoneEvent,
} from "../conversations/schemas.ts";
import { ApiError } from "../errors.ts";
import { setLlmHeaders } from "./llm-headers.ts";
import { defineRoute, type Route } from "../http/route.ts";
import { publicOutcome, sendCompletionStream } from "./stream-completion.ts";
import type { CompletionOutcome, CompletionService } from "../llm/completion-service.ts";
import { toolOfferOf } from "../llm/request/completion-request.ts";
import { fitHistory, outputReserve } from "../llm/request/fit-history.ts";
import type { ChatMessage, ToolCall } from "../llm/types.ts";
import type { ConversationRow, MessageRow } from "../store/conversation-repository.ts";
import type { Store } from "../store/store.ts";
import { assertKnownModel } from "./settings.ts";
import { HISTORY_DROPPED_HEADER } from "./llm-headers.ts";

/** The title of a conversation created without one, until its first message names it. */
export const UNTITLED = "New conversation";
const TITLE_LENGTH = 80;

/** Says how many of the oldest messages were left out to fit the model's context window. */

function toConversation(row: ConversationRow): Conversation {
  return {
    id: row.id,
    title: row.title,
    model: row.model,
    systemPrompt: row.system_prompt,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** A stored assistant turn's function calls; undefined when it called none. */
function storedToolCalls(row: Pick<MessageRow, "tool_calls">): ToolCall[] | undefined {
  return row.tool_calls === null ? undefined : (JSON.parse(row.tool_calls) as ToolCall[]);
}

function toMessage(row: MessageRow): ConversationMessage {
  const toolCalls = storedToolCalls(row);
  return {
    id: row.id,
    role: row.role as ConversationMessage["role"],
    content: row.content,
    ...(toolCalls ? { toolCalls } : {}),
    ...(row.tool_call_id === null ? {} : { toolCallId: row.tool_call_id }),
    createdAt: row.created_at,
  };
}

type NewMessage = Parameters<Store["conversations"]["append"]>[1][number];

/** A stored or new message as the turn the model gets. */
function toTurn(row: NewMessage): ChatMessage {
  const toolCalls = storedToolCalls({ tool_calls: row.tool_calls ?? null });
  return {
    role: row.role as ChatMessage["role"],
    content: row.content,
    ...(toolCalls ? { toolCalls } : {}),
    ...(row.tool_call_id ? { toolCallId: row.tool_call_id } : {}),
  };
}

/**
 * Tool results answer the last reply's function calls, each once and all of them; a reply that
 * called functions is answered by their results before anything else (providers refuse a
 * conversation where a call has no result).
 */
function checkToolResults(last: MessageRow | undefined, results: { toolCallId: string }[]): void {
  const calls = (last && storedToolCalls(last)) ?? [];
  const pending = new Set(calls.map((call) => call.id));
  if (calls.length === 0 && results.length > 0)
    throw new ApiError(
      "invalid_request",
      "body.toolResults: the conversation's last message called no function",
    );
  for (const { toolCallId } of results)
    if (!pending.delete(toolCallId))
      throw new ApiError(
        "invalid_request",
        `body.toolResults: '${toolCallId}' is no unanswered call of the last reply`,
      );
  if (pending.size > 0)
    throw new ApiError(
      "invalid_request",
      `body.toolResults: the last reply called functions; send a result for each (missing: ${[...pending].join(", ")})`,
    );
}

/** A title from the first message: its first line, whitespace collapsed, cut to length. */
export function titleFrom(content: string): string {
  const line = content.trim().split("\n")[0]!.replace(/\s+/g, " ").trim();
  if (!line) return UNTITLED;
  return line.length > TITLE_LENGTH ? `${line.slice(0, TITLE_LENGTH - 1)}…` : line;
}

const newId = (prefix: string) => `${prefix}_${randomBytes(12).toString("base64url")}`;
const notFound = (id: string) => new ApiError("not_found", `No conversation with id ${id}`);

/**
 * Conversations kept on the server, each the caller's own (another token's answers 404).
 * Appending a message sends as much of the history as fits the model's context window.
 */
export function conversationRoutes(deps: {
  store: Store;
  clock: Clock;
  completions: CompletionService;
  /** Most messages one conversation may hold (CONVERSATION_MAX_MESSAGES). */
  maxMessages: number;
}): Route[] {
  const { store, clock, completions, maxMessages } = deps;
  const now = () => clock.now().toISOString();

  return [
    defineRoute({
      method: "post",
      path: "/api/v1/conversations",
      access: "llm",
      tag: "Conversations",
      summary: "Start a conversation, optionally with its own model and system prompt",
      body: createConversationSchema,
      response: conversationSchema,
      successStatus: 201,
      handle: async ({ body, caller }) => {
        if (body.model) assertKnownModel(completions.registry, body.model, "body.model");
        const at = now();
        const row: ConversationRow = {
          id: newId("conv"),
          token_id: caller.tokenId,
          title: body.title ?? UNTITLED,
          model: body.model ?? null,
          system_prompt: body.systemPrompt ?? null,
          created_at: at,
          updated_at: at,
        };
        await store.conversations.insert(row);
        return toConversation(row);
      },
    }),
    defineRoute({
      method: "get",
      path: "/api/v1/conversations",
      access: "llm",
      tag: "Conversations",
      summary: "The caller's conversations, the most recently active first",
      query: z.object({ limit: z.coerce.number().int().min(1).max(200).default(50) }),
      response: conversationListSchema,
      handle: async ({ query, caller }) => ({
        conversations: (await store.conversations.list(caller.tokenId, query.limit)).map(
          toConversation,
        ),
      }),
    }),
    defineRoute({
      method: "get",
      path: "/api/v1/conversations/:id",
      access: "llm",
      tag: "Conversations",
      summary: "A conversation with all its messages, oldest first",
      response: conversationWithMessagesSchema,
      handle: async ({ params, caller }) => {
        const row = await store.conversations.get(caller.tokenId, params.id!);
        if (!row) throw notFound(params.id!);
        const messages = await store.conversations.messages(row.id);
        return { ...toConversation(row), messages: messages.map(toMessage) };
      },
    }),
    defineRoute({
      method: "delete",
      path: "/api/v1/conversations/:id",
      access: "llm",
      tag: "Conversations",
      summary: "Delete a conversation and its messages; answers 204 with no body",
      successStatus: 204,
      handle: async ({ params, caller }, _req, res) => {
        if (!(await store.conversations.delete(caller.tokenId, params.id!)))
          throw notFound(params.id!);
        res.status(204).end();
      },
    }),
    defineRoute({
      method: "post",
      path: "/api/v1/conversations/:id/messages",
      access: "llm",
      tag: "Conversations",
      summary:
        "Add a user message and get the model's reply; `stream: true` answers with server-sent events",
      description:
        "The model gets the conversation's system prompt (else your settings' one) and as much of " +
        "the history as fits its context window with room kept for the answer: the newest " +
        "message always, the oldest turns dropped first (the count is in the " +
        `\`${HISTORY_DROPPED_HEADER}\` header). The model is the message's \`model\`, else the ` +
        "conversation's, else your settings' one. The user message is stored before the model " +
        "is called, so it stays when the call fails (sending again adds another one); the reply " +
        "is stored once it is complete. A conversation holds at most CONVERSATION_MAX_MESSAGES " +
        "messages (1,000 by default): a message that would pass it, with its reply, is refused " +
        "with 400 and nothing is stored; start a new conversation. A streamed reply arrives as on POST /api/v1/completions: " +
        "`event: delta` events, then `event: done` whose data is the completion plus `message` " +
        "(the stored reply) and `history`; a stream that fails or is abandoned stores no reply. " +
        "With `tools`, a reply may call functions (its `toolCalls` are stored with it); the next " +
        "message sends `toolResults`, one for each call, stored as `tool` messages before its " +
        "`content`, if any.",
      body: appendMessageSchema,
      response: replySchema,
      handle: async ({ params, body, ...context }, _req, res) => {
        const tokenId = context.caller.tokenId;
        const conversation = await store.conversations.get(tokenId, params.id!);
        if (!conversation) throw notFound(params.id!);

        // Resolve what prepare() would, so the history is fitted to the model that answers.
        if (body.model) assertKnownModel(completions.registry, body.model, "body.model");
        const settings = await store.settings.get(tokenId);
        const model = completions.registry.resolve(
          body.model ?? conversation.model ?? settings?.model ?? completions.registry.defaultModel,
        );
        const system = conversation.system_prompt ?? settings?.system_prompt ?? undefined;

        const earlier = await store.conversations.messages(conversation.id);
        // The message and its reply must both fit, checked before any model work.
        const adding = (body.toolResults?.length ?? 0) + (body.content === undefined ? 0 : 1);
        if (earlier.length + adding + 1 > maxMessages) {
          throw new ApiError(
            "invalid_request",
            `This conversation is full: it holds ${earlier.length} messages and may hold ${maxMessages} ` +
              "(CONVERSATION_MAX_MESSAGES). Start a new conversation.",
          );
        }
        checkToolResults(earlier.at(-1), body.toolResults ?? []);
        const added: NewMessage[] = [
          ...(body.toolResults ?? []).map((result) => ({
            id: newId("msg"),
            role: "tool",
            content: result.content,
            tool_call_id: result.toolCallId,
          })),
          ...(body.content === undefined
            ? []
            : [{ id: newId("msg"), role: "user", content: body.content }]),
        ];
        const fitted = fitHistory([...earlier, ...added].map(toTurn), {
          contextWindow: model.contextWindow,
          reserveForOutput: outputReserve(model, body.maxTokens),
          system,
        });
        const tools = toolOfferOf(body);
        const prepared = await completions.prepare(
          {
            messages: fitted.messages,
            system,
            model: model.id,
            temperature: body.temperature,
            maxTokens: body.maxTokens,
            fileIds: body.fileIds,
            ...(tools ? { tools } : {}),
          },
          tokenId,
        );

        // Accepted input: stored before the call, kept whatever the call does; unless another
        // message came in since `earlier` was read (two sent at once), whose order would be wrong.
        const stored = await store.conversations.appendAfter(
          conversation.id,
          added,
          now(),
          earlier.at(-1)?.seq ?? null,
        );
        if (!stored)
          throw new ApiError(
            "conflict",
            "Another message reached this conversation while this one was sent; read it again and send this one once more",
          );
        if (earlier.length === 0 && conversation.title === UNTITLED && body.content)
          await store.conversations.rename(tokenId, conversation.id, titleFrom(body.content));

        const history = { sent: fitted.messages.length, dropped: fitted.dropped };
        const storeReply = async (outcome: CompletionOutcome) => {
          const [reply] = await store.conversations.append(
            conversation.id,
            [
              {
                id: newId("msg"),
                role: "assistant",
                content: outcome.text,
                tool_calls: outcome.toolCalls ? JSON.stringify(outcome.toolCalls) : null,
              },
            ],
            now(),
          );
          return toMessage(reply!);
        };

        if (!body.stream) {
          const outcome = await completions.run(prepared, context);
          const message = await storeReply(outcome);
          setLlmHeaders(res, outcome, { [HISTORY_DROPPED_HEADER]: String(history.dropped) });
          return { message, completion: publicOutcome(outcome), history };
        }
        await sendCompletionStream(res, await completions.stream(prepared, context), context, {
          headers: { [HISTORY_DROPPED_HEADER]: String(history.dropped) },
          done: async (outcome): Promise<ReplyDoneEvent> => ({
            ...publicOutcome(outcome),
            message: await storeReply(outcome),
            history,
          }),
        });
      },
    }),
  ];
}
