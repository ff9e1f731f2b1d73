import { estimateTokens, imageTokens } from "../../token-estimate.ts";
import type { ProviderRequest, TokenUsage } from "../../types.ts";

/** Every character the model reads: the system prompt and each message. */
export function promptText(request: Pick<ProviderRequest, "system" | "messages">): string {
  const parts = request.messages.map((message) => message.content);
  return (request.system ? [request.system, ...parts] : parts).join("\n");
}

export function estimateUsage(request: ProviderRequest, output: string): TokenUsage {
  return {
    inputTokens: estimateTokens(promptText(request)) + imageTokens(request.messages),
    outputTokens: estimateTokens(output),
  };
}

/** Said to models that have no native "any JSON object" mode (or need the word JSON for it). */
export const jsonObjectInstruction =
  "Respond with one valid JSON object and nothing else: no prose, no code fences.";

/** Said to models that cannot be given a JSON schema natively: the schema, in words. */
export function schemaInstruction(schema: Record<string, unknown>): string {
  return `Respond with one valid JSON value matching this JSON Schema and nothing else: no prose, no code fences.\n${JSON.stringify(schema)}`;
}

/** Appends an instruction to an optional system prompt. */
export function withInstruction(system: string | undefined, instruction: string): string {
  return system ? `${system}\n\n${instruction}` : instruction;
}
