/** The shapes a completion takes on its way through the gateway, independent of provider. */

export type Role = "system" | "user" | "assistant" | "tool";

/** A function call a model asked for: its id, the function's name and its JSON arguments. */
export interface ToolCall {
  id: string;
  name: string;
  /** The arguments as the model wrote them: JSON text, not parsed here. */
  arguments: string;
}

/**
 * An inline image's URL: a base64 PNG, JPEG, GIF or WebP (Anthropic's four, which every provider
 * reads), its media type the first group.
 */
export const DATA_IMAGE_URL = /^data:(image\/(?:png|jpeg|gif|webp));base64,/;

/** What a user turn shows the model: text, or an image the provider fetches or decodes. */
export type ContentPart =
  | { type: "text"; text: string }
  /** `url` is https: (the provider fetches it) or a base64 `data:image/…` URL. */
  | { type: "image"; url: string; detail?: "auto" | "low" | "high" | undefined };

export interface ChatMessage {
  role: Role;
  /** The turn's text (its text parts joined, when it has `parts`). */
  content: string;
  /** A user turn with images: its text and images in order. Absent on text-only turns. */
  parts?: ContentPart[] | undefined;
  /** An assistant turn's function calls (its content may then be empty). */
  toolCalls?: ToolCall[] | undefined;
  /** A tool turn: the id of the call whose result `content` is. */
  toolCallId?: string | undefined;
}

/** A function the model may call: name, description and its parameters' JSON Schema. */
export interface ToolDefinition {
  name: string;
  description?: string | undefined;
  parameters?: Record<string, unknown> | undefined;
}

/** Whether the model may, must, or must not call a function, or must call one named. */
export type ToolChoice = "auto" | "none" | "required" | { name: string };

/** The functions offered to the model, and how it may use them. */
export interface ToolOffer {
  definitions: ToolDefinition[];
  choice: ToolChoice | undefined;
  /** False asks for one call at most per turn; undefined leaves the provider's default. */
  parallel: boolean | undefined;
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
  tools?: ToolOffer | undefined;
  signal: AbortSignal;
  timeoutMs: number;
  /** Told which of the provider's keys each attempt went to, and how it went (for metrics). */
  onKey?: ((use: KeyUse) => void) | undefined;
}

/**
 * How an attempt on one of a provider's keys went: answered, refused (401/403: the key is
 * wrong), rate limited (429), or failed otherwise.
 */
export type KeyOutcome = "ok" | "refused" | "rate_limited" | "failed";

/** One attempt on a provider's key, by the operator's label for it (never the key). */
export interface KeyUse {
  label: string;
  outcome: KeyOutcome;
}

export interface ProviderResult {
  text: string;
  usage: TokenUsage;
  finishReason: string;
  /** The functions the model called, when it called any. */
  toolCalls?: ToolCall[] | undefined;
}

/** A stream's text as it comes; its function calls, whole, with the `done` chunk. */
export type StreamChunk =
  | { type: "delta"; text: string }
  | { type: "done"; usage: TokenUsage; finishReason: string; toolCalls?: ToolCall[] | undefined };
