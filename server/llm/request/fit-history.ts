import { LlmError } from "../errors.ts";
import type { ModelInfo } from "../model-registry.ts";
import { estimateTokens, imageTokens } from "../token-estimate.ts";
import type { ChatMessage } from "../types.ts";

/**
 * Fits a conversation's history into a model's context window: the newest message always, then
 * as many earlier turns as fit, newest to oldest; the oldest are dropped first.
 */

/** What a message costs beyond its text (role markers, separators): a safe overestimate. */
export const MESSAGE_OVERHEAD_TOKENS = 4;

export function messageTokens(message: Pick<ChatMessage, "content" | "parts">): number {
  return estimateTokens(message.content) + imageTokens([message]) + MESSAGE_OVERHEAD_TOKENS;
}

/**
 * Tokens to keep free for the answer: the caller's maxTokens (within the model's output limit),
 * else the model's output limit but never more than a quarter of its window, so a model with a
 * large output limit still gets a useful history.
 */
export function outputReserve(
  model: Pick<ModelInfo, "contextWindow" | "maxOutputTokens">,
  maxTokens?: number,
): number {
  if (maxTokens !== undefined) return Math.min(maxTokens, model.maxOutputTokens);
  return Math.min(model.maxOutputTokens, Math.floor(model.contextWindow / 4));
}

export interface HistoryBudget {
  contextWindow: number;
  /** Tokens kept free for the answer (see outputReserve). */
  reserveForOutput: number;
  /** The system prompt sent with the history; it always goes, so it counts first. */
  system?: string | undefined;
}

export interface FittedHistory {
  /** What to send, oldest first; ends with the newest message and starts with a user turn. */
  messages: ChatMessage[];
  /** How many of the oldest messages were left out. */
  dropped: number;
  /** Estimated input tokens of what is sent, the system prompt included. */
  inputTokens: number;
}

/**
 * Keeps the newest message and every earlier one back to the first that would not fit; the
 * kept part never starts with an assistant turn (it would answer a question the model cannot
 * see). Refuses (`invalid_request`) a newest message that does not fit alone, and function
 * results that do not fit with the assistant turn whose calls they answer.
 */
export function fitHistory(history: readonly ChatMessage[], budget: HistoryBudget): FittedHistory {
  if (history.length === 0) throw new Error("fitHistory needs at least one message");
  const systemTokens = budget.system ? messageTokens({ content: budget.system }) : 0;
  const available = budget.contextWindow - budget.reserveForOutput - systemTokens;
  const newest = history[history.length - 1]!;
  let used = messageTokens(newest);
  if (used > available) {
    throw new LlmError(
      "invalid_request",
      `The message (about ${used} tokens${systemTokens ? `, plus ${systemTokens} of system prompt` : ""}) ` +
        `does not fit the model's context window of ${budget.contextWindow} tokens ` +
        `with ${budget.reserveForOutput} kept for the answer`,
      { details: [{ path: "body.content", message: "too long for the model's context window" }] },
    );
  }
  let start = history.length - 1;
  while (start > 0) {
    const cost = messageTokens(history[start - 1]!);
    if (used + cost > available) break;
    used += cost;
    start--;
  }
  while (start < history.length - 1 && history[start]!.role !== "user") {
    used -= messageTokens(history[start]!);
    start++;
  }
  if (history[start]!.role === "tool")
    // Results sent without the call they answer would be refused by the provider.
    throw new LlmError(
      "invalid_request",
      `The function results do not fit the model's context window of ${budget.contextWindow} ` +
        "tokens together with the call they answer",
      {
        details: [{ path: "body.toolResults", message: "too long for the model's context window" }],
      },
    );
  return {
    messages: history.slice(start),
    dropped: start,
    inputTokens: used + systemTokens,
  };
}
