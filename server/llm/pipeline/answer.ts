import type { ReservationId } from "../billing/usage-ledger.ts";
import type { ModelInfo } from "../model-registry.ts";
import type { TokenUsage, ToolCall } from "../types.ts";

/** An answer from upstream (or the cache), before it is billed and recorded. */
export interface Answer {
  text: string;
  /** The parsed answer, when JSON was asked for. */
  json: unknown;
  /** The functions the model called, when it called any. */
  toolCalls?: ToolCall[] | undefined;
  usage: TokenUsage;
  /** The model that answered (a fallback, perhaps). */
  model: ModelInfo;
  /** The operator's label of the provider key that answered; none from the cache. */
  keyLabel?: string | undefined;
  /** Retries taken upstream (for the x-officellm-retries header). */
  retries: number;
  /** Time spent waiting on the provider, to report the gateway's own overhead. */
  upstreamMs: number;
  /** What was held against the budget for the call, released as its payer records it. */
  reservation?: ReservationId | undefined;
}
