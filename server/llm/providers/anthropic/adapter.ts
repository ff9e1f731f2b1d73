import Anthropic from "@anthropic-ai/sdk";
import { transformJSONSchema } from "@anthropic-ai/sdk/lib/transform-json-schema";
import type { Logger } from "../../../logger.ts";
import { ProviderError, type Provider } from "../../provider.ts";
import type {
  ChatMessage,
  ContentPart,
  ProviderRequest,
  ProviderResult,
  StreamChunk,
  TokenUsage,
  ToolOffer,
} from "../../types.ts";
import { jsonObjectInstruction, withInstruction } from "../shared/prompt.ts";
import { classifySdkError, type SdkErrors } from "../shared/errors.ts";
import { sdkLogging } from "../shared/sdk-logging.ts";
import { inlineImage } from "../shared/image-parts.ts";
import { guardStream } from "../shared/stream-guard.ts";
import { argumentsObject, ToolCallParts } from "../shared/tool-call-parts.ts";

export interface AnthropicProviderOptions {
  apiKey: string;
  baseUrl: string | undefined;
  /** `max_tokens` when the request sets none (Anthropic requires one). 4096 by default. */
  defaultMaxTokens?: number;
  /** The HTTP client; the platform's fetch when not given. */
  fetch?: typeof fetch;
  /** Where the SDK's own log lines go; the console when not given. */
  logger?: Logger;
}

const name = "anthropic";

type Params = Anthropic.MessageCreateParamsNonStreaming;

/**
 * Anthropic's finish reasons in the OpenAI words the rest of the gateway (and its
 * OpenAI-compatible endpoint) uses; reasons without an equivalent pass through unchanged.
 */
const finishReasons: Record<string, string> = {
  end_turn: "stop",
  stop_sequence: "stop",
  max_tokens: "length",
  model_context_window_exceeded: "length",
  refusal: "content_filter",
  tool_use: "tool_calls",
};

function finishReason(stopReason: string | null | undefined): string {
  if (!stopReason) return "stop";
  return finishReasons[stopReason] ?? stopReason;
}

/**
 * Structured outputs accept a subset of JSON Schema (every object closed with
 * `additionalProperties: false`, few string and array keywords). The SDK's own transform closes
 * objects and moves unsupported keywords into descriptions; the gateway still validates the answer
 * against the caller's schema. A schema the transform cannot handle is sent as given.
 */
function outputSchema(schema: Record<string, unknown>): Record<string, unknown> {
  try {
    return transformJSONSchema(schema);
  } catch {
    return schema;
  }
}

/** Every input token of a turn: fresh, written to the prompt cache and read from it. */
function inputTokens(usage: {
  input_tokens: number | null;
  cache_creation_input_tokens: number | null;
  cache_read_input_tokens: number | null;
}): number {
  return (
    (usage.input_tokens ?? 0) +
    (usage.cache_creation_input_tokens ?? 0) +
    (usage.cache_read_input_tokens ?? 0)
  );
}

const anthropicErrors: SdkErrors<InstanceType<typeof Anthropic.APIError>> = {
  base: Anthropic.AnthropicError,
  api: Anthropic.APIError,
  connection: Anthropic.APIConnectionError,
  connectionTimeout: Anthropic.APIConnectionTimeoutError,
  userAbort: Anthropic.APIUserAbortError,
  describe: (error) => ({
    message: error.apiMessage ?? undefined,
    type: error.type ?? undefined,
  }),
};

/** A provider for Anthropic's Messages API. */
export function createAnthropicProvider(options: AnthropicProviderOptions): Provider {
  const client = new Anthropic({
    apiKey: options.apiKey,
    // `undefined` lets the SDK read ANTHROPIC_BASE_URL, which the config has already read.
    baseURL: options.baseUrl,
    // The gateway retries, with its own policy and metrics.
    maxRetries: 0,
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.logger ? sdkLogging(options.logger, name) : {}),
  });
  const defaultMaxTokens = options.defaultMaxTokens ?? 4096;
  const secrets = [options.apiKey];
  const fail = (error: unknown, signal?: AbortSignal) =>
    classifySdkError(error, { provider: name, sdk: anthropicErrors, signal, secrets });

  function params(request: ProviderRequest): Params {
    let system = request.system;
    const body: Params = {
      model: request.model,
      max_tokens: request.maxTokens ?? defaultMaxTokens,
      messages: anthropicMessages(request.messages),
      ...anthropicTools(request.tools),
    };
    if (request.json?.schema) {
      body.output_config = {
        format: { type: "json_schema", schema: outputSchema(request.json.schema) },
      };
    } else if (request.json) {
      // Anthropic has no "any JSON object" mode: ask in words, the gateway checks the answer.
      system = withInstruction(system, jsonObjectInstruction);
    }
    if (system) body.system = system;
    // No temperature: API version 2026-10-21, which SDK v1 sends, removed the sampling parameters
    // (temperature, top_p, top_k) and answers 400 to any of them, even at their defaults.
    if (request.stop && request.stop.length > 0) body.stop_sequences = request.stop;
    return body;
  }

  return {
    name,

    async complete(request: ProviderRequest): Promise<ProviderResult> {
      let message: Anthropic.Message;
      try {
        message = await client.messages.create(params(request), {
          timeout: request.timeoutMs,
          signal: request.signal,
        });
      } catch (error) {
        throw fail(error, request.signal);
      }
      const text = message.content
        .map((block) => (block.type === "text" ? block.text : ""))
        .join("");
      const toolCalls = message.content.flatMap((block) =>
        block.type === "tool_use"
          ? [{ id: block.id, name: block.name, arguments: JSON.stringify(block.input ?? {}) }]
          : [],
      );
      return {
        ...(toolCalls.length > 0 ? { toolCalls } : {}),
        text,
        usage: {
          inputTokens: inputTokens(message.usage),
          outputTokens: message.usage.output_tokens,
        },
        finishReason: finishReason(message.stop_reason),
      };
    },

    async *stream(request: ProviderRequest): AsyncIterable<StreamChunk> {
      const usage: TokenUsage = { inputTokens: 0, outputTokens: 0 };
      let stopReason: string | null | undefined;
      let stopped = false;
      const calls = new ToolCallParts();
      try {
        const stream = await client.messages.create(
          { ...params(request), stream: true },
          { timeout: request.timeoutMs, signal: request.signal },
        );
        const events = guardStream(stream, {
          provider: name,
          signal: request.signal,
          idleTimeoutMs: request.timeoutMs,
          cancel: () => stream.controller.abort(),
        });
        for await (const event of events) {
          switch (event.type) {
            case "message_start":
              usage.inputTokens = inputTokens(event.message.usage);
              usage.outputTokens = event.message.usage.output_tokens;
              break;
            case "content_block_start":
              if (event.content_block.type === "tool_use")
                calls.add(event.index, event.content_block.id, event.content_block.name);
              break;
            case "content_block_delta":
              if (event.delta.type === "text_delta" && event.delta.text) {
                yield { type: "delta", text: event.delta.text };
              } else if (event.delta.type === "input_json_delta") {
                calls.add(event.index, undefined, undefined, event.delta.partial_json);
              }
              break;
            case "message_delta":
              stopReason = event.delta.stop_reason ?? stopReason;
              // Both counts are cumulative; input is repeated only when it changed.
              usage.outputTokens = event.usage.output_tokens;
              if (event.usage.input_tokens !== null && event.usage.input_tokens !== undefined) {
                usage.inputTokens = inputTokens(event.usage);
              }
              break;
            case "message_stop":
              stopped = true;
              break;
          }
        }
      } catch (error) {
        throw fail(error, request.signal);
      }
      if (!stopped) {
        // The stream ended without an error but before message_stop: the answer is incomplete.
        throw new ProviderError(
          "connection",
          name,
          "The provider closed the stream before the answer was complete.",
        );
      }
      // A call without arguments streams none: Anthropic's empty input is `{}`.
      const toolCalls = calls
        .whole()
        .map((call) => ({ ...call, arguments: call.arguments || "{}" }));
      yield {
        type: "done",
        usage,
        finishReason: finishReason(stopReason),
        ...(toolCalls.length > 0 ? { toolCalls } : {}),
      };
    },
  };
}

/**
 * The gateway's turns in Anthropic's words: an assistant's function calls become `tool_use`
 * blocks, and tool results `tool_result` blocks of a user turn; consecutive results (answers to
 * parallel calls) share one user turn, as Anthropic requires.
 */
function anthropicMessages(messages: ChatMessage[]): Anthropic.MessageParam[] {
  const turns: Anthropic.MessageParam[] = [];
  for (const message of messages) {
    if (message.role === "tool") {
      const result: Anthropic.ToolResultBlockParam = {
        type: "tool_result",
        tool_use_id: message.toolCallId ?? "",
        content: message.content,
      };
      const last = turns.at(-1);
      if (
        last?.role === "user" &&
        Array.isArray(last.content) &&
        last.content.every((block) => block.type === "tool_result")
      )
        last.content.push(result);
      else turns.push({ role: "user", content: [result] });
    } else if (message.role === "assistant" && message.toolCalls?.length) {
      const blocks: Anthropic.ContentBlockParam[] = message.content
        ? [{ type: "text", text: message.content }]
        : [];
      for (const call of message.toolCalls)
        blocks.push({
          type: "tool_use",
          id: call.id,
          name: call.name,
          input: argumentsObject(call.arguments),
        });
      turns.push({ role: "assistant", content: blocks });
    } else if (message.role === "user" && message.parts) {
      turns.push({ role: "user", content: message.parts.map(anthropicPart) });
    } else {
      turns.push({
        role: message.role === "assistant" ? "assistant" : "user",
        content: message.content,
      });
    }
  }
  return turns;
}

/**
 * A user turn's part as Anthropic's block: an image sent as a data: URL becomes a base64 source,
 * one at an https: URL a url source (Anthropic fetches it).
 */
function anthropicPart(part: ContentPart): Anthropic.TextBlockParam | Anthropic.ImageBlockParam {
  if (part.type === "text") return { type: "text", text: part.text };
  const inline = inlineImage(part.url);
  return {
    type: "image",
    source: inline
      ? {
          type: "base64",
          media_type: inline.mediaType as Anthropic.Base64ImageSource["media_type"],
          data: inline.data,
        }
      : { type: "url", url: part.url },
  };
}

/** The request's functions as Anthropic's tools, its choice as `tool_choice`. */
function anthropicTools(tools: ToolOffer | undefined): Partial<Params> {
  if (!tools) return {};
  const choice = tools.choice;
  // Anthropic's `none` still takes the tools (their definitions stay in the prompt).
  const disableParallel = tools.parallel === false ? { disable_parallel_tool_use: true } : {};
  let toolChoice: Anthropic.ToolChoice | undefined;
  if (choice === "none") toolChoice = { type: "none" };
  else if (choice === "required") toolChoice = { type: "any", ...disableParallel };
  else if (typeof choice === "object")
    toolChoice = { type: "tool", name: choice.name, ...disableParallel };
  else if (choice === "auto" || tools.parallel === false)
    toolChoice = { type: "auto", ...disableParallel };
  return {
    tools: tools.definitions.map((tool) => ({
      name: tool.name,
      ...(tool.description !== undefined ? { description: tool.description } : {}),
      input_schema: { type: "object", ...(tool.parameters ?? {}) } as Anthropic.Tool.InputSchema,
    })),
    ...(toolChoice ? { tool_choice: toolChoice } : {}),
  };
}
