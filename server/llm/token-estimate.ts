import type { ChatMessage } from "./types.ts";

/**
 * A rough token count (about four characters a token), where no tokenizer or usage report is at
 * hand. The add-in's cost estimate before a fill imports it too: keep it pure.
 */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/**
 * What one image counts for in an estimate, whatever its size: Anthropic's cost for the largest
 * image it reads unscaled (about 1,600 tokens), above OpenAI's for a 1024×1024 image in detail
 * (765). An image's URL or bytes are never counted as text.
 */
export const IMAGE_TOKENS = 1_600;

/** The estimated tokens of the images among messages. */
export function imageTokens(messages: readonly Pick<ChatMessage, "parts">[]): number {
  let images = 0;
  for (const message of messages)
    for (const part of message.parts ?? []) if (part.type === "image") images++;
  return images * IMAGE_TOKENS;
}
