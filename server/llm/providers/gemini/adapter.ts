import {
  ApiError,
  FunctionCallingConfigMode,
  GoogleGenAI,
  type Content,
  type GenerateContentConfig,
  type GenerateContentResponse,
  type Part,
  type ToolConfig,
} from "@google/genai";
import { randomUUID } from "node:crypto";
import { ProviderError, type Provider } from "../../provider.ts";
import type {
  ChatMessage,
  ContentPart,
  ProviderRequest,
  ProviderResult,
  StreamChunk,
  TokenUsage,
  ToolCall,
  ToolOffer,
} from "../../types.ts";
import { classifySdkError, type SdkErrors } from "../shared/errors.ts";
import { estimateUsage, jsonObjectInstruction, withInstruction } from "../shared/prompt.ts";
import { imageTypeOfUrl, inlineImage } from "../shared/image-parts.ts";
import { guardStream } from "../shared/stream-guard.ts";
import { argumentsObject } from "../shared/tool-call-parts.ts";

export interface GeminiProviderOptions {
  apiKey: string;
  /** Another endpoint speaking the Gemini API (a proxy, the tests' fake); Google's when unset. */
  baseUrl: string | undefined;
  /** The HTTP client; the platform's fetch when not given. */
  fetch?: typeof fetch;
}

const name = "gemini";
/** Set here, so that GOOGLE_GEMINI_BASE_URL and GOOGLE_GENAI_API_VERSION never apply. */
const googleBaseUrl = "https://generativelanguage.googleapis.com";
const apiVersion = "v1beta";

/**
 * Gemini's finish reasons in the OpenAI words the rest of the gateway uses; reasons without an
 * equivalent pass through, in lower case.
 */
const finishReasons: Record<string, string> = {
  STOP: "stop",
  MAX_TOKENS: "length",
  SAFETY: "content_filter",
  RECITATION: "content_filter",
  BLOCKLIST: "content_filter",
  PROHIBITED_CONTENT: "content_filter",
  SPII: "content_filter",
};

/**
 * Gemini 3 refuses a replayed function call without the thought signature it came with, which an
 * OpenAI client cannot carry back; Google documents this value for calls from elsewhere.
 */
const noThoughtSignature = "skip_thought_signature_validator";

/** Google's error body: `{error: {code, message, status, details}}`, in the SDK's message. */
interface GoogleErrorBody {
  message?: unknown;
  status?: unknown;
  details?: unknown;
}

/** The body inside an ApiError's message (the SDK writes it as JSON, after a prefix in streams). */
function errorBody(error: ApiError): GoogleErrorBody | undefined {
  const start = error.message.indexOf("{");
  if (start === -1) return undefined;
  try {
    const parsed = JSON.parse(error.message.slice(start)) as { error?: GoogleErrorBody };
    return typeof parsed.error === "object" && parsed.error !== null ? parsed.error : undefined;
  } catch {
    return undefined;
  }
}

/** A 429's `RetryInfo` detail (`"retryDelay": "30s"`): how long Google asks to wait. */
function retryDelayMs(error: ApiError): number | undefined {
  const details = errorBody(error)?.details;
  if (!Array.isArray(details)) return undefined;
  for (const detail of details as { retryDelay?: unknown }[]) {
    const delay =
      typeof detail?.retryDelay === "string" ? /^(\d+(?:\.\d+)?)s$/.exec(detail.retryDelay) : null;
    if (delay) return Number(delay[1]) * 1000;
  }
  return undefined;
}

const geminiErrors: SdkErrors<ApiError> = {
  base: ApiError,
  api: ApiError,
  describe(error) {
    const body = errorBody(error);
    return {
      message: typeof body?.message === "string" ? body.message : undefined,
      type: typeof body?.status === "string" ? body.status : undefined,
    };
  },
  retryAfterMs: retryDelayMs,
};

/**
 * The SDK's own stream reader throws plain errors when a stream stops in the middle of an event
 * or sends one it cannot read: the provider's doing, not ours.
 */
const unreadableStream =
  /^(Incomplete JSON segment|exception parsing stream chunk|Response body is empty)/;

/** A provider for Google's Gemini API, through Google's SDK. */
export function createGeminiProvider(options: GeminiProviderOptions): Provider {
  const client = new GoogleGenAI({
    apiKey: options.apiKey,
    vertexai: false,
    apiVersion,
    // No retryOptions: the SDK then sends each request once; the gateway retries, with its own
    // policy and metrics.
    httpOptions: {
      baseUrl: options.baseUrl ?? googleBaseUrl,
      ...(options.fetch ? { fetch: options.fetch } : {}),
    },
  });
  const secrets = [options.apiKey];

  /** What a call threw, as the gateway expects it (see classifySdkError). */
  function fail(error: unknown, request: ProviderRequest, timedOut: boolean): unknown {
    if (request.signal.aborted) return request.signal.reason ?? error;
    if (timedOut) return new ProviderError("timeout", name, "The provider did not answer in time.");
    const classified = classifySdkError(error, { provider: name, sdk: geminiErrors, secrets });
    if (classified instanceof Error && !(classified instanceof ProviderError)) {
      if (unreadableStream.test(classified.message))
        return new ProviderError(
          "connection",
          name,
          "The provider's stream broke off or could not be read.",
        );
    }
    return classified;
  }

  /**
   * An abort signal for one call: the caller's, and `timeoutMs` until `settled()` (the answer's
   * headers for a stream, whose silences the stream guard bounds from then on).
   */
  function callSignal(request: ProviderRequest) {
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, request.timeoutMs);
    const onAbort = () => controller.abort();
    request.signal.addEventListener("abort", onAbort, { once: true });
    return {
      signal: controller.signal,
      abort: () => controller.abort(),
      get timedOut() {
        return timedOut;
      },
      settled: () => clearTimeout(timer),
      dispose: () => {
        clearTimeout(timer);
        request.signal.removeEventListener("abort", onAbort);
      },
    };
  }

  return {
    name,

    async complete(request: ProviderRequest): Promise<ProviderResult> {
      const call = callSignal(request);
      let response: GenerateContentResponse;
      try {
        response = await client.models.generateContent(params(request, call.signal));
      } catch (error) {
        throw fail(error, request, call.timedOut);
      } finally {
        call.dispose();
      }
      const answer = new AnswerParts();
      answer.add(response);
      const text = answer.text;
      const toolCalls = answer.toolCalls;
      return {
        text,
        usage: answer.usage(request),
        finishReason: answer.finishReason,
        ...(toolCalls.length > 0 ? { toolCalls } : {}),
      };
    },

    async *stream(request: ProviderRequest): AsyncIterable<StreamChunk> {
      const call = callSignal(request);
      const answer = new AnswerParts();
      try {
        const stream = await client.models.generateContentStream(params(request, call.signal));
        call.settled();
        const events = guardStream(stream, {
          provider: name,
          signal: request.signal,
          idleTimeoutMs: request.timeoutMs,
          cancel: call.abort,
        });
        for await (const chunk of events) {
          const delta = answer.add(chunk);
          if (delta) yield { type: "delta", text: delta };
        }
      } catch (error) {
        throw fail(error, request, call.timedOut);
      } finally {
        call.dispose();
      }
      if (!answer.finished) {
        // The stream ended without an error but before the model finished (a cleanly closed
        // socket): the answer is incomplete and must not pass for a whole one.
        throw new ProviderError(
          "connection",
          name,
          "The provider closed the stream before the answer was complete.",
        );
      }
      const toolCalls = answer.toolCalls;
      yield {
        type: "done",
        usage: answer.usage(request),
        finishReason: answer.finishReason,
        ...(toolCalls.length > 0 ? { toolCalls } : {}),
      };
    },
  };
}

/** The SDK's parameters for a request: its turns, and everything else in `config`. */
function params(request: ProviderRequest, abortSignal: AbortSignal) {
  let system = request.system;
  const config: GenerateContentConfig = {
    abortSignal,
    // One request per call: the gateway decides whether to ask again.
    automaticContinuation: false,
    ...geminiTools(request.tools),
  };
  if (request.json) {
    config.responseMimeType = "application/json";
    if (request.json.schema) config.responseJsonSchema = withoutDialect(request.json.schema);
    // JSON mode without a schema still wants the model told what to write.
    else system = withInstruction(system, jsonObjectInstruction);
  }
  if (system) config.systemInstruction = system;
  if (request.temperature !== undefined) config.temperature = request.temperature;
  if (request.maxTokens !== undefined) config.maxOutputTokens = request.maxTokens;
  if (request.stop && request.stop.length > 0) config.stopSequences = request.stop;
  return { model: request.model, contents: geminiContents(request.messages), config };
}

/**
 * `$schema` is not among the keywords Gemini's response and parameter schemas take (the AI SDK
 * and zod write one); the gateway has checked the draft.
 */
function withoutDialect(schema: Record<string, unknown>): Record<string, unknown> {
  const { $schema: _dialect, ...rest } = schema;
  return rest;
}

/**
 * The turns in Gemini's words: the assistant is `model`, its function calls are `functionCall`
 * parts, and the results of a turn's calls go back together in one `user` turn of
 * `functionResponse` parts, each naming its function (found by the call's id).
 */
function geminiContents(messages: ChatMessage[]): Content[] {
  const names = new Map<string, string>();
  const contents: Content[] = [];
  for (const message of messages) {
    if (message.role === "tool") {
      const id = message.toolCallId ?? "";
      const part: Part = {
        functionResponse: {
          name: names.get(id) ?? id,
          response: { output: message.content },
        },
      };
      const last = contents.at(-1);
      if (last?.role === "user" && last.parts?.every((p) => p.functionResponse))
        last.parts.push(part);
      else contents.push({ role: "user", parts: [part] });
    } else if (message.role === "assistant") {
      const parts: Part[] = message.content ? [{ text: message.content }] : [];
      for (const call of message.toolCalls ?? []) {
        names.set(call.id, call.name);
        parts.push({
          functionCall: { name: call.name, args: argumentsObject(call.arguments) },
          thoughtSignature: noThoughtSignature,
        });
      }
      contents.push({ role: "model", parts });
    } else if (message.parts) {
      contents.push({ role: "user", parts: message.parts.map(geminiPart) });
    } else {
      contents.push({ role: "user", parts: [{ text: message.content }] });
    }
  }
  return contents;
}

/**
 * A user turn's part as Gemini's: an image sent as a data: URL becomes inline data, one at an
 * https: URL file data (Google fetches it), its media type read from the URL's name.
 */
function geminiPart(part: ContentPart): Part {
  if (part.type === "text") return { text: part.text };
  const inline = inlineImage(part.url);
  return inline
    ? { inlineData: { mimeType: inline.mediaType, data: inline.data } }
    : { fileData: { fileUri: part.url, mimeType: imageTypeOfUrl(part.url) } };
}

/**
 * The request's functions as Gemini's `functionDeclarations` (their parameters as JSON Schema),
 * the choice as its calling mode. Gemini has no switch for one call per turn: `parallel` is left.
 */
function geminiTools(tools: ToolOffer | undefined): Partial<GenerateContentConfig> {
  if (!tools) return {};
  const choice = tools.choice;
  let toolConfig: ToolConfig | undefined;
  if (choice === "none")
    toolConfig = { functionCallingConfig: { mode: FunctionCallingConfigMode.NONE } };
  else if (choice === "required")
    toolConfig = { functionCallingConfig: { mode: FunctionCallingConfigMode.ANY } };
  else if (typeof choice === "object")
    toolConfig = {
      functionCallingConfig: {
        mode: FunctionCallingConfigMode.ANY,
        allowedFunctionNames: [choice.name],
      },
    };
  else if (choice === "auto")
    toolConfig = { functionCallingConfig: { mode: FunctionCallingConfigMode.AUTO } };
  return {
    tools: [
      {
        functionDeclarations: tools.definitions.map((tool) => ({
          name: tool.name,
          ...(tool.description !== undefined ? { description: tool.description } : {}),
          ...(tool.parameters ? { parametersJsonSchema: withoutDialect(tool.parameters) } : {}),
        })),
      },
    ],
    ...(toolConfig ? { toolConfig } : {}),
  };
}

/**
 * An answer as its responses arrive (one, or a stream's chunks): its text (thoughts left out),
 * its function calls, its finish reason and its usage, which Gemini reports whole in each chunk.
 */
class AnswerParts {
  text = "";
  readonly toolCalls: ToolCall[] = [];
  #finish: string | undefined;
  #blocked = false;
  #usage: TokenUsage | undefined;

  /** Takes a response in; answers the text it adds. */
  add(response: GenerateContentResponse): string {
    let delta = "";
    const candidate = response.candidates?.[0];
    for (const part of candidate?.content?.parts ?? []) {
      if (part.functionCall) {
        this.toolCalls.push({
          // Gemini gives ids only in some cases; the caller needs one to send the result back.
          id: part.functionCall.id || `call_${randomUUID().replaceAll("-", "")}`,
          name: part.functionCall.name ?? "",
          arguments: JSON.stringify(part.functionCall.args ?? {}),
        });
      } else if (typeof part.text === "string" && !part.thought) {
        delta += part.text;
      }
    }
    this.text += delta;
    if (candidate?.finishReason) this.#finish = candidate.finishReason;
    // A prompt blocked before any answer: no candidate, a reason in the feedback.
    if (!candidate && response.promptFeedback?.blockReason) this.#blocked = true;
    const usage = response.usageMetadata;
    if (usage) {
      this.#usage = {
        inputTokens: (usage.promptTokenCount ?? 0) + (usage.toolUsePromptTokenCount ?? 0),
        // Thinking is billed as output.
        outputTokens: (usage.candidatesTokenCount ?? 0) + (usage.thoughtsTokenCount ?? 0),
      };
    }
    return delta;
  }

  get finished(): boolean {
    return this.#finish !== undefined || this.#blocked;
  }

  get finishReason(): string {
    if (this.#blocked) return "content_filter";
    if (this.toolCalls.length > 0 && (this.#finish === undefined || this.#finish === "STOP"))
      return "tool_calls";
    if (this.#finish === undefined) return "stop";
    return finishReasons[this.#finish] ?? this.#finish.toLowerCase();
  }

  usage(request: ProviderRequest): TokenUsage {
    return this.#usage ?? estimateUsage(request, this.text);
  }
}
