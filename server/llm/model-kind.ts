import { LlmError } from "./errors.ts";
import type { ModelInfo, ModelRegistry } from "./model-registry.ts";

/** Names a refusal lists at most. */
const maxNamesShown = 10;

/** Whether the model may be asked for completions (a local server's model may be either). */
function chats(model: ModelInfo): boolean {
  return model.kind !== "embedding";
}

/** Whether the model may be asked for embeddings (a local server's model may be either). */
export function embeds(model: ModelInfo): boolean {
  return model.kind === "embedding" || model.kind === "unknown";
}

/** Refuses an embedding model asked for a completion (`not_a_chat_model`), naming chat models. */
export function checkChatModel(model: ModelInfo, registry: ModelRegistry): void {
  if (chats(model)) return;
  throw new LlmError(
    "not_a_chat_model",
    `${model.id} is an embedding model: it makes vectors (POST /v1/embeddings), not answers. ` +
      `Chat models: ${namesOf(registry, chats)}.`,
  );
}

/**
 * Refuses a model that makes no embeddings (`not_an_embedding_model`), naming those that do: a
 * chat model, or any model of a provider that has no embeddings (Anthropic).
 */
export function checkEmbeddingModel(
  model: ModelInfo,
  registry: ModelRegistry,
  providerEmbeds: boolean,
): void {
  if (embeds(model) && providerEmbeds) return;
  const why = providerEmbeds
    ? `${model.id} is a chat model, not an embedding model`
    : `${model.provider} offers no embeddings (${model.id} is one of its models)`;
  throw new LlmError(
    "not_an_embedding_model",
    `${why}. Embedding models: ${namesOf(registry, (each) => each.kind === "embedding")}.`,
  );
}

function namesOf(registry: ModelRegistry, wanted: (model: ModelInfo) => boolean): string {
  const names = registry
    .list()
    .filter(wanted)
    .map((model) => model.id);
  if (names.length === 0) return "none here";
  const shown = names.slice(0, maxNamesShown).join(", ");
  return names.length > maxNamesShown ? `${shown}… (GET /v1/models lists them all)` : shown;
}
