import type { ModelRegistry } from "../model-registry.ts";
import type { PreparedCompletion } from "../request/prepare.ts";

/** Tokens a provider adds around each message and the request (roles, delimiters): generous. */
const MESSAGE_OVERHEAD_TOKENS = 8;
/** The request to answer again after an answer that broke the schema, beside that answer. */
const REPAIR_OVERHEAD_TOKENS = 64;

/**
 * The most tokens a request's input can count: the byte-level tokenizers of the catalog's models
 * make at most one token of each UTF-8 byte. A schema counts twice, as it is sent twice (in the
 * instruction and as the provider's structured-output parameter).
 */
export function maxInputTokens(prepared: PreparedCompletion): number {
  let bytes = Buffer.byteLength(prepared.system ?? "");
  for (const message of prepared.messages) bytes += Buffer.byteLength(message.content);
  if (prepared.json?.schema) bytes += Buffer.byteLength(JSON.stringify(prepared.json.schema));
  return bytes + MESSAGE_OVERHEAD_TOKENS * (prepared.messages.length + 1);
}

/**
 * The most a call can cost, in nano-dollars: what its budget reservation holds. Its input, and
 * its maxTokens (else the model's output cap), at the model's price. Asked for JSON, a model may
 * be asked twice (the second time with its first answer); and a fallback model is asked only
 * after the model before failed, at a cost only when that was an answer breaking the format. A
 * stream asks its model once.
 */
export function maxCostNanoUsd(
  prepared: PreparedCompletion,
  registry: ModelRegistry,
  streamed: boolean,
): number {
  const input = maxInputTokens(prepared);
  const candidates = streamed ? prepared.candidates.slice(0, 1) : prepared.candidates;
  const repairs = Boolean(prepared.json) && !streamed;
  const costs = candidates.map(({ model, maxTokens }) => {
    const output = maxTokens ?? model.maxOutputTokens;
    const first = registry.costNanoUsd(model, input, output);
    if (!repairs) return first;
    return first + registry.costNanoUsd(model, input + 2 * output + REPAIR_OVERHEAD_TOKENS, output);
  });
  return repairs ? costs.reduce((sum, cost) => sum + cost, 0) : Math.max(...costs);
}
