import OpenAI from "openai";
import type { Logger } from "../../../logger.ts";
import {
  ProviderError,
  type EmbeddingRequest,
  type EmbeddingResult,
  type Provider,
} from "../../provider.ts";
import type {
  ChatMessage,
  ContentPart,
  ProviderRequest,
  ProviderResult,
  StreamChunk,
  TokenUsage,
  ToolOffer,
} from "../../types.ts";
import {
  estimateUsage,
  jsonObjectInstruction,
  promptText,
  schemaInstruction,
  withInstruction,
} from "../shared/prompt.ts";
import { classifySdkError, type SdkErrors } from "../shared/errors.ts";
import { sdkLogging } from "../shared/sdk-logging.ts";
import { guardStream } from "../shared/stream-guard.ts";
import { ToolCallParts } from "../shared/tool-call-parts.ts";
import { estimateTokens } from "../../token-estimate.ts";

export interface OpenAiProviderOptions {
  /** "openai" for the official API, "openai-compatible" for Ollama, vLLM, LM Studio, llama.cpp… */
  name: string;
  /** Optional for local servers, which usually ignore it. */
  apiKey: string | undefined;
  baseUrl: string | undefined;
  /** The official API wants `max_completion_tokens`; most compatible servers only know `max_tokens`. */
  maxTokensField: "max_completion_tokens" | "max_tokens";
  /** The models `listModels` gives, when the settings name them; else it asks the server. */
  models?: string[] | undefined;
  /** The HTTP client; the platform's fetch when not given. */
  fetch?: typeof fetch;
  /** Where the SDK's own log lines go; the console when not given. */
  logger?: Logger;
  /** Calls the server takes at once, when it sets its own (a local server's); see Provider. */
  concurrency?: number | undefined;
  /**
   * Whether a model takes `json_schema` output; one that does not (DeepSeek's) is asked for a
   * JSON object with the schema in its instructions, and the gateway checks the answer. All do
   * when not given.
   */
  nativeSchema?: (model: string) => boolean;
}

const openAiErrors: SdkErrors<InstanceType<typeof OpenAI.APIError>> = {
  base: OpenAI.OpenAIError,
  api: OpenAI.APIError,
  connection: OpenAI.APIConnectionError,
  connectionTimeout: OpenAI.APIConnectionTimeoutError,
  userAbort: OpenAI.APIUserAbortError,
  describe(error) {
    const body = error.error as { message?: unknown } | undefined;
    return {
      message: typeof body?.message === "string" ? body.message : undefined,
      type: error.code ?? error.type ?? undefined,
    };
  },
};

/** The SDK will not start without a key; local servers take any. */
const placeholderKey = "not-needed";
const listModelsTimeoutMs = 15_000;

type Params = OpenAI.Chat.ChatCompletionCreateParamsNonStreaming;

/** A provider for the OpenAI chat completions API and the many servers that speak it. */
export function createOpenAiProvider(options: OpenAiProviderOptions): Provider {
  const { name, maxTokensField } = options;
  const official = name === "openai";
  const client = new OpenAI({
    apiKey: options.apiKey ?? placeholderKey,
    // `undefined` would let the SDK read OPENAI_BASE_URL for a compatible server too.
    baseURL: options.baseUrl ?? (official ? undefined : null),
    // The gateway retries, with its own policy and metrics.
    maxRetries: 0,
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.logger ? sdkLogging(options.logger, name) : {}),
    // OPENAI_ORG_ID / OPENAI_PROJECT_ID belong to OpenAI, not to a local model server.
    ...(official ? {} : { organization: null, project: null }),
  });
  const secrets = [options.apiKey];
  const fail = (error: unknown, signal?: AbortSignal) =>
    classifySdkError(error, { provider: name, sdk: openAiErrors, signal, secrets });

  function params(request: ProviderRequest): Params {
    let system = request.system;
    let responseFormat: Params["response_format"];
    if (request.json?.schema && (options.nativeSchema?.(request.model) ?? true)) {
      responseFormat = {
        type: "json_schema",
        json_schema: { name: "response", schema: request.json.schema, strict: false },
      };
    } else if (request.json) {
      responseFormat = { type: "json_object" };
      if (request.json.schema)
        system = withInstruction(system, schemaInstruction(request.json.schema));
      // OpenAI rejects json_object mode unless the word "JSON" appears in the messages.
      else if (!/json/i.test(promptText(request)))
        system = withInstruction(system, jsonObjectInstruction);
    }
    const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [];
    if (system) messages.push({ role: "system", content: system });
    for (const message of request.messages) messages.push(openAiMessage(message));

    const body: Params = { model: request.model, messages, ...openAiTools(request.tools) };
    if (request.maxTokens !== undefined) body[maxTokensField] = request.maxTokens;
    if (request.temperature !== undefined) body.temperature = request.temperature;
    if (request.stop && request.stop.length > 0) body.stop = request.stop;
    if (responseFormat) body.response_format = responseFormat;
    return body;
  }

  function usageOf(
    usage: OpenAI.CompletionUsage | null | undefined,
    request: ProviderRequest,
    text: string,
  ): TokenUsage {
    if (!usage) return estimateUsage(request, text);
    return { inputTokens: usage.prompt_tokens ?? 0, outputTokens: usage.completion_tokens ?? 0 };
  }

  return {
    name,
    concurrency: options.concurrency,

    async complete(request: ProviderRequest): Promise<ProviderResult> {
      let completion: OpenAI.Chat.ChatCompletion;
      try {
        completion = await client.chat.completions.create(params(request), {
          timeout: request.timeoutMs,
          signal: request.signal,
        });
      } catch (error) {
        throw fail(error, request.signal);
      }
      const choice = completion.choices?.[0];
      const text = choice?.message?.content ?? choice?.message?.refusal ?? "";
      const toolCalls = (choice?.message?.tool_calls ?? []).flatMap((call) =>
        call.type === "function"
          ? [{ id: call.id, name: call.function.name, arguments: call.function.arguments }]
          : [],
      );
      return {
        text,
        usage: usageOf(completion.usage, request, text),
        finishReason: choice?.finish_reason ?? "stop",
        ...(toolCalls.length > 0 ? { toolCalls } : {}),
      };
    },

    async *stream(request: ProviderRequest): AsyncIterable<StreamChunk> {
      let text = "";
      let usage: OpenAI.CompletionUsage | undefined;
      let finishReason: string | undefined;
      const calls = new ToolCallParts();
      try {
        const stream = await client.chat.completions.create(
          { ...params(request), stream: true, stream_options: { include_usage: true } },
          { timeout: request.timeoutMs, signal: request.signal },
        );
        const events = guardStream(stream, {
          provider: name,
          signal: request.signal,
          idleTimeoutMs: request.timeoutMs,
          cancel: () => stream.controller.abort(),
        });
        for await (const chunk of events) {
          if (chunk.usage) usage = chunk.usage;
          const choice = chunk.choices?.[0];
          if (!choice) continue;
          if (choice.finish_reason) finishReason = choice.finish_reason;
          for (const part of choice.delta?.tool_calls ?? [])
            calls.add(part.index, part.id, part.function?.name, part.function?.arguments);
          const delta = choice.delta?.content;
          if (delta) {
            text += delta;
            yield { type: "delta", text: delta };
          }
        }
      } catch (error) {
        throw fail(error, request.signal);
      }
      if (!finishReason && !usage) {
        // The stream ended without an error but before the model finished (a cleanly closed
        // socket): the answer is incomplete and must not pass for a whole one.
        throw new ProviderError(
          "connection",
          name,
          "The provider closed the stream before the answer was complete.",
        );
      }
      const toolCalls = calls.whole();
      yield {
        type: "done",
        usage: usageOf(usage, request, text),
        finishReason: finishReason ?? "stop",
        ...(toolCalls.length > 0 ? { toolCalls } : {}),
      };
    },

    async embed(request: EmbeddingRequest): Promise<EmbeddingResult> {
      let response: OpenAI.CreateEmbeddingResponse;
      try {
        response = await client.embeddings.create(
          {
            model: request.model,
            input: request.inputs,
            ...(request.dimensions !== undefined ? { dimensions: request.dimensions } : {}),
          },
          { timeout: request.timeoutMs, signal: request.signal },
        );
      } catch (error) {
        throw fail(error, request.signal);
      }
      const byIndex = new Map(response.data?.map((item) => [item.index, item.embedding]));
      const vectors = request.inputs.map((_, index) => byIndex.get(index));
      if (!vectors.every((vector): vector is number[] => vector !== undefined))
        throw new ProviderError(
          "invalid_output",
          name,
          `The provider answered ${byIndex.size} vectors for ${request.inputs.length} inputs.`,
        );
      // A local server may report no usage: the gateway's estimate stands in.
      const inputTokens =
        response.usage?.prompt_tokens ?? estimateTokens(request.inputs.join("\n"));
      return { vectors, inputTokens };
    },

    async listModels(): Promise<string[]> {
      if (options.models) return options.models;
      const ids: string[] = [];
      try {
        for await (const model of client.models.list({ timeout: listModelsTimeoutMs }))
          ids.push(model.id);
      } catch (error) {
        throw fail(error);
      }
      return ids;
    },
  };
}

/** A gateway message in OpenAI's words: an assistant's function calls, a tool's result. */
function openAiMessage(message: ChatMessage): OpenAI.Chat.ChatCompletionMessageParam {
  switch (message.role) {
    case "tool":
      return { role: "tool", tool_call_id: message.toolCallId ?? "", content: message.content };
    case "assistant":
      return message.toolCalls?.length
        ? {
            role: "assistant",
            content: message.content || null,
            tool_calls: message.toolCalls.map((call) => ({
              id: call.id,
              type: "function",
              function: { name: call.name, arguments: call.arguments },
            })),
          }
        : { role: "assistant", content: message.content };
    case "user":
      return {
        role: "user",
        content: message.parts ? openAiParts(message.parts) : message.content,
      };
    default:
      return { role: message.role, content: message.content };
  }
}

/** A user turn's text and images as OpenAI's content parts; an image's URL goes as given. */
function openAiParts(parts: ContentPart[]): OpenAI.Chat.ChatCompletionContentPart[] {
  return parts.map((part) =>
    part.type === "text"
      ? { type: "text", text: part.text }
      : {
          type: "image_url",
          image_url: { url: part.url, ...(part.detail ? { detail: part.detail } : {}) },
        },
  );
}

/** The request's functions, choice and parallelism as OpenAI's fields (none when none). */
function openAiTools(tools: ToolOffer | undefined): Partial<Params> {
  if (!tools) return {};
  const choice = tools.choice;
  return {
    tools: tools.definitions.map((tool) => ({
      type: "function",
      function: {
        name: tool.name,
        ...(tool.description !== undefined ? { description: tool.description } : {}),
        ...(tool.parameters ? { parameters: tool.parameters } : {}),
      },
    })),
    ...(choice === undefined
      ? {}
      : {
          tool_choice: typeof choice === "string" ? choice : { type: "function", function: choice },
        }),
    ...(tools.parallel !== undefined ? { parallel_tool_calls: tools.parallel } : {}),
  };
}
