import type { Limits } from "../../config.ts";
import { LlmError } from "../errors.ts";
import type { Store } from "../../store/store.ts";
import type { CompletionRequest } from "./completion-request.ts";
import type { ModelRegistry } from "../model-registry.ts";
import { cacheKey } from "../cache/response-cache.ts";
import { jsonInstruction, type SchemaChecker } from "../schemas/schema-checker.ts";
import { renderTemplate } from "./templates.ts";
import type { ChatMessage, ToolOffer } from "../types.ts";
import { estimateTokens, imageTokens } from "../token-estimate.ts";
import { checkImageBounds, checkVision } from "./images.ts";
import { checkToolTurns } from "./tool-turns.ts";
import { fitToModel, type FittedModel } from "./fit-to-model.ts";
import type { Clock } from "../../clock.ts";
import { attachFiles } from "./attach-files.ts";
import { outputReserve } from "./fit-history.ts";

/** A request with every default applied and its parameters fitted to each model it may ask. */
export interface PreparedCompletion {
  /** The model to ask, then each fallback in turn: the caller's parameters fitted to each, here. */
  candidates: readonly [FittedModel, ...FittedModel[]];
  system: string | undefined;
  messages: ChatMessage[];
  json: { schema: Record<string, unknown> | undefined } | undefined;
  /** How the caller named the schema, for its refusals (CompletionInput.schemaField). */
  schemaField?: string | undefined;
  /** Functions offered to the model; a call offering them is never cached. */
  tools: ToolOffer | undefined;
  cacheable: boolean;
  /** Identifies the exact answer: same key, same answer (computed when first read). */
  readonly key: string;
}

/**
 * What a completion is asked with: the body of /api/v1/completions (or a batch item, or what an
 * OpenAI-format request translates to), whose messages may carry function calls and results.
 */
export type CompletionInput = Omit<
  CompletionRequest,
  "stream" | "messages" | "tools" | "toolChoice" | "parallelToolCalls"
> & {
  messages?: ChatMessage[] | undefined;
  tools?: ToolOffer | undefined;
  /**
   * Where the caller's request holds `responseFormat.schema` (`body.text.format.schema` on
   * /v1/responses…), named so in a refusal of the schema; `responseFormat.schema` unless said.
   */
  schemaField?: string | undefined;
};

/**
 * Applies the template, the caller's saved settings and DEFAULT_MODEL, and fits the parameters to
 * the model and to each fallback (fit-to-model.ts), once.
 */
export async function prepareCompletion(
  request: CompletionInput,
  tokenId: string,
  deps: {
    store: Store;
    registry: ModelRegistry;
    limits: Pick<Limits, "bodyBytes" | "tools" | "images">;
    schemas: SchemaChecker;
    clock: Clock;
  },
): Promise<PreparedCompletion> {
  const images = checkImageBounds(request.messages ?? [], deps.limits.images);
  checkToolTurns(request.messages ?? []);
  const fileIds = [...new Set(request.fileIds ?? [])];
  const [settings, template, files] = await Promise.all([
    deps.store.settings.get(tokenId),
    request.templateId ? deps.store.templates.get(tokenId, request.templateId) : undefined,
    deps.store.files.getMany(tokenId, fileIds, deps.clock.now().toISOString()),
  ]);
  // Another token's file is as unknown as one never uploaded.
  const missing = fileIds.find((id) => !files.some((file) => file.id === id));
  if (missing) throw new LlmError("not_found", `No file with id ${missing}`);
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
  let messages = conversation.filter((m) => m.role !== "system");
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
  if (images > 0) checkVision([model, ...fallbacks]);

  const wantsJson = request.responseFormat?.type === "json";
  const schema = wantsJson ? request.responseFormat?.schema : undefined;
  // Only the cheap check here: the schema is compiled once the call's budget has passed.
  if (schema) deps.schemas.checkShape(schema, request.schemaField);
  if (wantsJson) systemParts.push(jsonInstruction(schema));
  const system = systemParts.length > 0 ? systemParts.join("\n\n") : undefined;

  const requestedTemperature = request.temperature ?? settings?.temperature ?? undefined;
  const stop = typeof request.stop === "string" ? [request.stop] : request.stop;
  const requested = { temperature: requestedTemperature, maxTokens: request.maxTokens, stop };
  const first = fitToModel(model, requested);
  const { temperature, maxTokens } = first;

  if (fileIds.length > 0) {
    // The files get what the prompt and the answer leave of the window, in the order named.
    const promptTokens =
      estimateTokens((system ?? "") + messages.map((m) => m.content).join("")) +
      imageTokens(messages);
    const room = model.contextWindow - outputReserve(model, maxTokens) - promptTokens;
    const named = fileIds.map((id) => files.find((file) => file.id === id)!);
    messages = attachFiles(messages, named, room, model.id);
  }

  const inputTokens =
    estimateTokens((system ?? "") + messages.map((m) => m.content).join("")) +
    imageTokens(messages);
  if (inputTokens + (maxTokens ?? 0) > model.contextWindow) {
    throw new LlmError(
      "invalid_request",
      `The prompt (about ${inputTokens} tokens) does not fit ${model.id}'s context window of ${model.contextWindow} tokens`,
    );
  }

  const tools = request.tools;
  if (tools) checkTools(tools, deps);
  if (tools && wantsJson)
    throw new LlmError(
      "invalid_request",
      "body.tools: functions and a JSON response format cannot be asked together",
    );
  // A function's result can change from one call to the next: such answers are not kept.
  const cacheable = !tools && (request.cache ?? requestedTemperature === 0);
  const json = wantsJson ? { schema } : undefined;
  // Hashing the whole conversation costs; only cached, shared or batched calls need the key.
  let key: string | undefined;
  return {
    // A fallback answers with at most the tokens the model asked first could: the prompt's fit to
    // the context window was checked with those.
    candidates: [
      first,
      ...fallbacks.map((other) => fitToModel(other, { ...requested, maxTokens })),
    ],
    system,
    messages,
    json,
    schemaField: request.schemaField,
    tools,
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
        tools,
      ]));
    },
  };
}

/**
 * Bounds the functions offered: at most TOOLS_MAX, each parameters schema within the JSON Schema
 * limits a response format has (its cheap shape check), each name once.
 */
function checkTools(
  tools: ToolOffer,
  deps: { limits: Pick<Limits, "tools">; schemas: SchemaChecker },
): void {
  if (tools.definitions.length > deps.limits.tools)
    throw new LlmError(
      "invalid_request",
      `body.tools: at most ${deps.limits.tools} functions may be offered (TOOLS_MAX)`,
    );
  const names = new Set<string>();
  for (const [index, tool] of tools.definitions.entries()) {
    if (names.has(tool.name))
      throw new LlmError(
        "invalid_request",
        `body.tools: the function '${tool.name}' is named twice`,
      );
    names.add(tool.name);
    if (tool.parameters) deps.schemas.checkShape(tool.parameters, `body.tools.${index}.parameters`);
  }
  const chosen = tools.choice;
  if (typeof chosen === "object" && !names.has(chosen.name))
    throw new LlmError(
      "invalid_request",
      `body.tool_choice: no function '${chosen.name}' is offered`,
    );
}
