import type { Limits } from "../../config.ts";
import { LlmError } from "../errors.ts";
import type { Store } from "../../store/store.ts";
import type { CompletionRequest } from "./completion-request.ts";
import type { ModelInfo, ModelRegistry } from "../model-registry.ts";
import { cacheKey } from "../cache/response-cache.ts";
import { jsonInstruction, type SchemaChecker } from "../schemas/schema-checker.ts";
import { renderTemplate } from "./templates.ts";
import type { ChatMessage } from "../types.ts";
import { estimateTokens } from "../token-estimate.ts";

/** A request with every default applied and every parameter fitted to its model. */
export interface PreparedCompletion {
  model: ModelInfo;
  fallbacks: ModelInfo[];
  system: string | undefined;
  messages: ChatMessage[];
  temperature: number | undefined;
  maxTokens: number | undefined;
  /** Stop sequences sent to the provider. */
  stop: string[] | undefined;
  /** Stop sequences the gateway applies itself, for models that reject them. */
  localStop: string[] | undefined;
  /** The caller's temperature and stop sequences, for fallbacks to fit to their own rules. */
  requested: { temperature: number | undefined; stop: string[] | undefined };
  json: { schema: Record<string, unknown> | undefined } | undefined;
  cacheable: boolean;
  /** Identifies the exact answer: same key, same answer (computed when first read). */
  readonly key: string;
}

type Source = Pick<
  CompletionRequest,
  | "prompt"
  | "messages"
  | "system"
  | "templateId"
  | "variables"
  | "model"
  | "fallbackModels"
  | "temperature"
  | "maxTokens"
  | "stop"
  | "responseFormat"
  | "cache"
>;

/**
 * Applies the template, the caller's saved settings and DEFAULT_MODEL; adapts parameters to
 * the model's rules so callers never see a provider error we could have avoided.
 */
export async function prepareCompletion(
  request: Source,
  tokenId: string,
  deps: {
    store: Store;
    registry: ModelRegistry;
    limits: Pick<Limits, "bodyBytes">;
    schemas: SchemaChecker;
  },
): Promise<PreparedCompletion> {
  const [settings, template] = await Promise.all([
    deps.store.settings.get(tokenId),
    request.templateId ? deps.store.templates.get(tokenId, request.templateId) : undefined,
  ]);
  let prompt = request.prompt;
  let templateSystem: string | null = null;
  let templateModel: string | null = null;
  if (request.templateId) {
    if (!template) throw new LlmError("not_found", `No template with id ${request.templateId}`);
    // A filled template may be as large as a prompt sent in a request body, no larger.
    prompt = renderTemplate(template.body, request.variables ?? {}, deps.limits.bodyBytes);
    templateSystem = template.system_prompt;
    templateModel = template.model;
  }

  const conversation: ChatMessage[] = request.messages ?? [{ role: "user", content: prompt ?? "" }];
  const systemParts = [
    request.system ?? templateSystem ?? settings?.system_prompt ?? undefined,
    ...conversation.filter((m) => m.role === "system").map((m) => m.content),
  ].filter((part): part is string => Boolean(part));
  const messages = conversation.filter((m) => m.role !== "system");
  if (messages.length === 0) {
    throw new LlmError(
      "invalid_request",
      "body.messages: needs at least one user or assistant message",
    );
  }

  const model = deps.registry.resolve(
    request.model ?? templateModel ?? settings?.model ?? deps.registry.defaultModel,
  );
  const fallbacks = (request.fallbackModels ?? []).map((id) => deps.registry.resolve(id));

  const wantsJson = request.responseFormat?.type === "json";
  const schema = wantsJson ? request.responseFormat?.schema : undefined;
  // Only the cheap check here: the schema is compiled once the call's budget has passed.
  if (schema) deps.schemas.checkShape(schema);
  if (wantsJson) systemParts.push(jsonInstruction(schema));
  const system = systemParts.length > 0 ? systemParts.join("\n\n") : undefined;

  const requestedTemperature = request.temperature ?? settings?.temperature ?? undefined;
  const temperature = model.rules.fixedTemperature ?? requestedTemperature;
  const stop = typeof request.stop === "string" ? [request.stop] : request.stop;
  const maxTokens =
    request.maxTokens === undefined
      ? undefined
      : Math.min(request.maxTokens, model.maxOutputTokens);

  const inputTokens = estimateTokens((system ?? "") + messages.map((m) => m.content).join(""));
  if (inputTokens + (maxTokens ?? 0) > model.contextWindow) {
    throw new LlmError(
      "invalid_request",
      `The prompt (about ${inputTokens} tokens) does not fit ${model.id}'s context window of ${model.contextWindow} tokens`,
    );
  }

  const cacheable = request.cache ?? requestedTemperature === 0;
  const json = wantsJson ? { schema } : undefined;
  // Hashing the whole conversation costs; only cached, shared or batched calls need the key.
  let key: string | undefined;
  return {
    model,
    fallbacks,
    system,
    messages,
    temperature,
    maxTokens,
    stop: model.rules.noStop ? undefined : stop,
    localStop: model.rules.noStop ? stop : undefined,
    requested: { temperature: requestedTemperature, stop },
    json,
    cacheable,
    get key() {
      return (key ??= cacheKey([
        model.provider,
        model.id,
        system,
        messages,
        temperature,
        maxTokens,
        stop,
        json,
      ]));
    },
  };
}

/** Cuts an answer at the first stop sequence, for models that cannot take them. */
export function applyLocalStop(text: string, stop: string[] | undefined): string {
  if (!stop) return text;
  const cut = Math.min(...stop.map((s) => text.indexOf(s)).filter((index) => index >= 0));
  return Number.isFinite(cut) ? text.slice(0, cut) : text;
}

/**
 * How many characters at the end of a streamed text could be the start of a stop sequence, and
 * must wait for the next piece before they are sent.
 */
export function heldBack(text: string, stop: string[]): number {
  let held = 0;
  for (const sequence of stop) {
    for (let length = Math.min(sequence.length - 1, text.length); length > held; length--) {
      if (text.endsWith(sequence.slice(0, length))) {
        held = length;
        break;
      }
    }
  }
  return held;
}
