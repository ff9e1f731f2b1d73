/** The shapes a completion takes on its way through the gateway, independent of provider. */

export type Role = "system" | "user" | "assistant";

export interface ChatMessage {
  role: Role;
  content: string;
}

export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
}

/** What the gateway asks a provider for, already adapted to the model's parameter rules. */
export interface ProviderRequest {
  /** The provider's own model id. */
  model: string;
  system: string | undefined;
  /** user/assistant turns, oldest first; never a system message. */
  messages: ChatMessage[];
  temperature: number | undefined;
  maxTokens: number | undefined;
  stop: string[] | undefined;
  /**
   * Structured output: `schema` set asks the provider's native JSON-schema mode where it has
   * one; `{}` without schema asks for any JSON object.
   */
  json: { schema: Record<string, unknown> | undefined } | undefined;
  signal: AbortSignal;
  timeoutMs: number;
}

export interface ProviderResult {
  text: string;
  usage: TokenUsage;
  finishReason: string;
}

export type StreamChunk =
  { type: "delta"; text: string } | { type: "done"; usage: TokenUsage; finishReason: string };
