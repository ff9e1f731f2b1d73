import { LlmError } from "../errors.ts";
import type { ChatMessage } from "../types.ts";

/**
 * Each tool turn answers a call of the assistant turn just before it (other tool turns between),
 * once: what every provider requires. Refused here as the caller's mistake (400), not sent to be
 * refused upstream and reported as the provider's (502).
 */
export function checkToolTurns(messages: readonly ChatMessage[]): void {
  let unanswered = new Set<string>();
  messages.forEach((message, index) => {
    if (message.role === "tool") {
      const id = message.toolCallId ?? "";
      if (!unanswered.delete(id))
        throw new LlmError(
          "invalid_request",
          `messages[${index}]: a function result for '${id}', which the assistant turn before it did not call, or whose result came already`,
        );
      return;
    }
    unanswered = new Set(
      message.role === "assistant" ? (message.toolCalls ?? []).map((call) => call.id) : [],
    );
  });
}
