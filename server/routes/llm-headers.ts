import type { Response } from "express";

/**
 * Headers that tell a caller how an LLM answer was produced, and `extra` ones of the same answer.
 * None once an answer has gone out: the request timed out while the call ran, and the handler's
 * late result is dropped (http/dispatch-routes.ts).
 */
export function setLlmHeaders(
  res: Response,
  info: {
    model: string;
    provider: string;
    cached: boolean;
    retries?: number;
    latencyMs?: number;
    upstreamMs?: number;
  },
  extra: Record<string, string> = {},
): void {
  if (res.headersSent) return;
  for (const [name, value] of Object.entries(extra)) res.setHeader(name, value);
  res.setHeader("x-officellm-cache", info.cached ? "hit" : "miss");
  res.setHeader("x-officellm-model", info.model);
  res.setHeader("x-officellm-provider", info.provider);
  if (info.retries !== undefined) res.setHeader("x-officellm-retries", String(info.retries));
  if (info.latencyMs !== undefined && info.upstreamMs !== undefined) {
    res.setHeader("x-officellm-overhead-ms", String(Math.max(info.latencyMs - info.upstreamMs, 0)));
  }
}

/** How many of a conversation's oldest messages did not fit the model's context window. */
export const HISTORY_DROPPED_HEADER = "x-officellm-history-dropped";

export const llmHeaderNames = [
  "x-officellm-cache",
  "x-officellm-model",
  "x-officellm-provider",
  "x-officellm-retries",
  "x-officellm-overhead-ms",
  HISTORY_DROPPED_HEADER,
];
