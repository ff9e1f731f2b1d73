/**
 * A fake model provider at the HTTP edge: a small real HTTP server that speaks the wire formats
 * the official OpenAI, Anthropic and Google Gen AI SDKs use (chat completions, messages, model lists, plain and
 * streamed), so tests and benchmarks can drive the real SDKs and the gateway's provider adapters
 * against it. Tests script it in-process: queue faults and answers, set a responder, read what
 * it received and how many requests the client abandoned.
 *
 * Routes (any leading prefix is accepted, e.g. `/openai/v1/chat/completions`):
 * - `POST …/chat/completions`   OpenAI chat completions (`stream: true` → SSE)
 * - `POST …/messages`           Anthropic messages (`stream: true` → SSE)
 * - `POST …/models/M:generateContent`, `…:streamGenerateContent?alt=sse`  Gemini (Google's SDK)
 * - `POST …/messages/count_tokens` Anthropic token count
 * - `GET  …/models`             OpenAI list, or Anthropic list when `anthropic-version` is sent
 * - `POST …/embeddings`         OpenAI embeddings: hashed bag-of-words vectors (1536 long unless
 *                               `dimensions` says), as floats or base64 as `encoding_format` asks
 *
 * The default answer is `echo: <last user message>`, followed by ` [images: …]` naming each image
 * that message showed (its URL, or `image/png base64 (N chars)` for inline data, as OpenAI's
 * `image_url` parts, Anthropic's image blocks or Gemini's inline and file data carry it); with JSON output asked for, a value built
 * from the JSON schema (or `{"echo": …}` without one). Token counts are `fakeTokenCount`:
 * ceil(characters / 3), input over the system prompt and every message's text.
 */
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";
import { LISTEN_BACKLOG } from "../http/server.ts";
import { SampleRefused, sampleSchema } from "../llm/schemas/schema-sampler.ts";
import { hashedEmbedding } from "../llm/providers/shared/hashed-embedding.ts";

export type FakeProviderKind = "openai" | "anthropic" | "gemini";

export interface FakeProviderOptions {
  /** Delay before every answer (errors included), in ms. Default 0. */
  latencyMs?: number;
  /** Delay between streamed events, in ms. Default 0 (the whole stream in one write). */
  chunkDelayMs?: number;
  /** How a delay passes: real timers unless a test passes its own. */
  schedule?: (ms: number, run: () => void) => void;
  /** Keep every request in `requests`. Default true; benchmarks turn it off. */
  record?: boolean;
  /** Model ids `GET /v1/models` lists. */
  models?: string[];
}

export interface RecordedRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  headers: IncomingHttpHeaders;
  /** Parsed JSON body; the raw text when it is not JSON; undefined when empty. */
  body: unknown;
  provider: FakeProviderKind | undefined;
}

/** When a behaviour starts: after `delayMs` (else the fake's latency), once `gate` settles. */
export interface FakeTiming {
  delayMs?: number;
  /** Holds the response (headers included) until it settles, so a test decides when it goes. */
  gate?: Promise<unknown>;
}

/** Answers `text` (streamed as word-sized deltas when the request streams). */
export interface FakeTextAnswer extends FakeTiming {
  text: string;
  /** "length" reports a truncated answer (OpenAI `length`, Anthropic `max_tokens`). */
  finish?: "stop" | "length";
}

/** Answers `JSON.stringify(json)` as the text. */
export interface FakeJsonAnswer extends FakeTiming {
  json: unknown;
  finish?: "stop" | "length";
}

/** An HTTP error in the provider's own error format (with `retry-after` when given). */
export interface FakeHttpError extends FakeTiming {
  status: number;
  message?: string;
  retryAfterSeconds?: number;
  /** OpenAI's error code in place of the status's own (`insufficient_quota` on a 429). */
  code?: string;
}

/** Never answers; the request stays open until the client gives up or the fake closes. */
export interface FakeHang {
  hang: true;
}

/** Destroys the socket without a response (TCP reset). */
export interface FakeReset extends FakeTiming {
  reset: true;
}

/**
 * Sends the stream's opening events and `n` text deltas (of `text`, or the default answer),
 * then destroys the socket. On a non-streaming request, sends half of the body, then destroys.
 */
export interface FakeCutStream extends FakeTiming {
  cutStreamAfterChunks: number;
  text?: string;
}

/**
 * Sends what a cut after `n` chunks sends (headers, then the stream's opening events and `n`
 * deltas, or half of a JSON body), then goes silent with the connection open until the client
 * gives up, or until `resume` settles, when it sends the rest.
 */
export interface FakeStall extends FakeTiming {
  stallAfterChunks: number;
  text?: string;
  resume?: Promise<unknown>;
}

/**
 * Answers by calling functions (OpenAI `tool_calls`, Anthropic `tool_use` blocks), after `text`
 * if given; streamed, each call's arguments arrive in two pieces.
 */
export interface FakeToolCallAnswer extends FakeTiming {
  toolCalls: { name: string; arguments: Record<string, unknown> }[];
  text?: string;
}

export type FakeBehaviour =
  | FakeToolCallAnswer
  | FakeTextAnswer
  | FakeJsonAnswer
  | FakeHttpError
  | FakeHang
  | FakeReset
  | FakeCutStream
  | FakeStall;

/** One completion request, as the responder sees it. */
export interface FakeCall {
  provider: FakeProviderKind;
  model: string;
  /** System prompt text ("" when none); OpenAI system/developer messages are moved here. */
  system: string;
  /** Non-system turns, their text parts joined. */
  messages: { role: string; content: string }[];
  lastUserText: string;
  /** The images the last user message showed: each URL, or `<media type> base64 (N chars)`. */
  lastUserImages: string[];
  stream: boolean;
  /** Set when the request asks for JSON output; `schema` when it gives a JSON schema. */
  json: { schema: Record<string, unknown> | undefined } | undefined;
  maxTokens: number | undefined;
  request: RecordedRequest;
}

/** Decides the answer when nothing is queued; `undefined` falls back to the default answer. */
export type FakeResponder = (call: FakeCall) => FakeBehaviour | undefined;

export interface FakeProvider {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** `url + "/v1"`, the OpenAI SDK's `baseURL`. */
  readonly openaiBaseUrl: string;
  /** `url`, the Anthropic SDK's `baseURL`. */
  readonly anthropicBaseUrl: string;
  /** `url`, the Google Gen AI SDK's `httpOptions.baseUrl`. */
  readonly geminiBaseUrl: string;
  /** Every request received, in order (cleared by `reset`; the same array throughout). */
  readonly requests: RecordedRequest[];
  /** Every completion request (not token counts or model lists), as the responder sees it. */
  readonly calls: FakeCall[];
  /** Requests whose client closed the connection before the answer was complete. */
  readonly aborted: number;
  /** Requests received and not yet finished or closed. */
  readonly inflight: number;
  /** Queues one-shot behaviours, each consumed by the next request, in order. */
  enqueue(...behaviours: FakeBehaviour[]): void;
  /** Sets (or with undefined clears) the answer function used when nothing is queued. */
  setResponder(responder: FakeResponder | undefined): void;
  /** Clears the queue, the responder, the recorded requests and calls, and `aborted`. */
  reset(): void;
  /** Resolves once `aborted` reaches `count`; rejects after `timeoutMs`. */
  waitForAborted(count: number, timeoutMs?: number): Promise<void>;
  /** Resolves once `requests` holds `count` requests; rejects after `timeoutMs`. */
  waitForRequests(count: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * The fake's token count for a text: ceil(characters / 3). Not the gateway's own estimate
 * (characters / 4, for providers that report no usage), so tests can tell the two apart.
 */
export function fakeTokenCount(text: string): number {
  return Math.ceil(text.length / 3);
}

/** How large a JSON answer the fake builds from a schema at most. */
const sampleLimits = { generatedOutputBytes: 64_000, schemaDepth: 32 };

/** How much of the echo a string in a JSON answer holds. */
const sampleTextChars = 200;

/**
 * The fake's default answer for a call, as text: for a JSON schema, a value that fits it (the
 * demo model's sampler, strings being the echo, cut to 200 characters so that a long prompt
 * still fits); `SampleRefused` when no bounded value does.
 */
export function defaultFakeText(call: FakeCall): string {
  const images = call.lastUserImages;
  const echo = `echo: ${call.lastUserText}${images.length ? ` [images: ${images.join(", ")}]` : ""}`;
  if (!call.json) return echo;
  const text = echo.slice(0, sampleTextChars);
  return JSON.stringify(
    call.json.schema ? sampleSchema(call.json.schema, sampleLimits, text) : { echo },
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Text of an OpenAI or Anthropic message content (a string or an array of text parts), or of
 * Gemini's parts, a function's result written as its JSON.
 */
function contentText(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  let text = "";
  for (const part of content) {
    if (isRecord(part) && typeof part.text === "string") text += part.text;
    else if (isRecord(part) && isRecord(part.functionResponse))
      text += JSON.stringify(part.functionResponse.response);
  }
  return text;
}

/** Gemini's request as the other two are read: its `contents` as messages, its config's JSON. */
function geminiCall(body: Record<string, unknown>, path: string) {
  const system = isRecord(body.systemInstruction)
    ? contentText(body.systemInstruction.parts)
    : contentText(body.systemInstruction);
  const messages: { role: string; content: string }[] = [];
  let lastUserImages: string[] = [];
  for (const content of Array.isArray(body.contents) ? body.contents : []) {
    if (!isRecord(content)) continue;
    const role = content.role === "model" ? "assistant" : "user";
    messages.push({ role, content: contentText(content.parts) });
    if (role === "user") lastUserImages = contentImages(content.parts);
  }
  const config = isRecord(body.generationConfig) ? body.generationConfig : {};
  let json: FakeCall["json"];
  if (config.responseMimeType === "application/json") {
    const schema = config.responseJsonSchema ?? config.responseSchema;
    json = { schema: isRecord(schema) ? schema : undefined };
  }
  const match = /\/models\/([^/:]+):(generateContent|streamGenerateContent)$/.exec(path);
  return {
    model: match?.[1] ?? "fake-model",
    stream: match?.[2] === "streamGenerateContent",
    lastUserImages,
    system,
    messages,
    json,
    maxTokens: config.maxOutputTokens,
  };
}

/** Inline image data as the echo names it: its media type and length. */
function inlineImage(mediaType: unknown, data: unknown): string {
  return `${String(mediaType)} base64 (${typeof data === "string" ? data.length : 0} chars)`;
}

/**
 * The images of a message's content: OpenAI `image_url` parts, Anthropic `image` blocks, Gemini
 * `inlineData` and `fileData` parts.
 */
function contentImages(content: unknown): string[] {
  if (!Array.isArray(content)) return [];
  return content.flatMap((part): string[] => {
    if (!isRecord(part)) return [];
    if (part.type === "image_url" && isRecord(part.image_url)) {
      const url = String(part.image_url.url);
      const data = /^data:([^;,]+);base64,/.exec(url);
      return [data ? inlineImage(data[1], url.slice(data[0].length)) : url];
    }
    if (isRecord(part.inlineData))
      return [inlineImage(part.inlineData.mimeType, part.inlineData.data)];
    if (isRecord(part.fileData)) return [String(part.fileData.fileUri)];
    if (part.type === "image" && isRecord(part.source)) {
      const source = part.source;
      return [
        source.type === "url" ? String(source.url) : inlineImage(source.media_type, source.data),
      ];
    }
    return [];
  });
}

function toCall(provider: FakeProviderKind, request: RecordedRequest): FakeCall {
  const body = isRecord(request.body) ? request.body : {};
  if (provider === "gemini") {
    const { maxTokens, ...call } = geminiCall(body, request.path);
    const lastUser = call.messages.findLast((message) => message.role === "user");
    return {
      provider,
      ...call,
      lastUserText: lastUser?.content ?? "",
      maxTokens: typeof maxTokens === "number" ? maxTokens : undefined,
      request,
    };
  }
  const messages: { role: string; content: string }[] = [];
  const images: string[][] = [];
  const systemParts: string[] = [];
  if (provider === "anthropic" && body.system !== undefined)
    systemParts.push(contentText(body.system));
  if (Array.isArray(body.messages)) {
    for (const message of body.messages) {
      if (!isRecord(message)) continue;
      const role = typeof message.role === "string" ? message.role : "user";
      const content = contentText(message.content);
      if (role === "system" || role === "developer") systemParts.push(content);
      else {
        messages.push({ role, content });
        images.push(contentImages(message.content));
      }
    }
  }
  let lastUserText = "";
  let lastUserImages: string[] = [];
  for (let index = messages.length - 1; index >= 0; index--) {
    const message = messages[index];
    if (message?.role === "user") {
      lastUserText = message.content;
      lastUserImages = images[index] ?? [];
      break;
    }
  }
  let json: FakeCall["json"];
  if (provider === "openai" && isRecord(body.response_format)) {
    const format = body.response_format;
    if (format.type === "json_object") json = { schema: undefined };
    if (format.type === "json_schema") {
      const schema = isRecord(format.json_schema) ? format.json_schema.schema : undefined;
      json = { schema: isRecord(schema) ? schema : undefined };
    }
  }
  if (provider === "anthropic") {
    const outputConfig = isRecord(body.output_config) ? body.output_config : undefined;
    const format = outputConfig?.format ?? body.output_format;
    if (isRecord(format) && format.type === "json_schema") {
      json = { schema: isRecord(format.schema) ? format.schema : undefined };
    }
  }
  const maxTokens = body.max_tokens ?? body.max_completion_tokens;
  return {
    provider,
    model: typeof body.model === "string" ? body.model : "fake-model",
    system: systemParts.join("\n"),
    messages,
    lastUserText,
    lastUserImages,
    stream: body.stream === true,
    json,
    maxTokens: typeof maxTokens === "number" ? maxTokens : undefined,
    request,
  };
}

function inputTokens(call: FakeCall): number {
  return fakeTokenCount(call.system + call.messages.map((message) => message.content).join(""));
}

/** Splits a text into word-sized deltas whose concatenation is the text. */
function splitDeltas(text: string): string[] {
  return text.match(/\S+\s*|\s+/g) ?? [];
}

const OPENAI_ERROR_TYPES: Record<number, [type: string, code: string | null]> = {
  400: ["invalid_request_error", null],
  401: ["invalid_request_error", "invalid_api_key"],
  403: ["invalid_request_error", "unsupported_country_region_territory"],
  404: ["invalid_request_error", "model_not_found"],
  429: ["requests", "rate_limit_exceeded"],
};

const ANTHROPIC_ERROR_TYPES: Record<number, string> = {
  400: "invalid_request_error",
  401: "authentication_error",
  403: "permission_error",
  404: "not_found_error",
  413: "request_too_large",
  429: "rate_limit_error",
  500: "api_error",
  503: "overloaded_error",
  529: "overloaded_error",
};

/** Google's status names for the HTTP statuses its APIs answer. */
const GOOGLE_STATUSES: Record<number, string> = {
  400: "INVALID_ARGUMENT",
  401: "UNAUTHENTICATED",
  403: "PERMISSION_DENIED",
  404: "NOT_FOUND",
  429: "RESOURCE_EXHAUSTED",
  500: "INTERNAL",
  503: "UNAVAILABLE",
  504: "DEADLINE_EXCEEDED",
};

function errorBody(
  provider: FakeProviderKind,
  status: number,
  message: string,
  id: string,
  retryAfterSeconds?: number,
  openaiCode?: string,
) {
  if (provider === "gemini") {
    // Google says how long to wait in the body (RetryInfo), not in a header.
    const details =
      retryAfterSeconds === undefined
        ? []
        : [
            {
              "@type": "type.googleapis.com/google.rpc.RetryInfo",
              retryDelay: `${retryAfterSeconds}s`,
            },
          ];
    const statusName =
      GOOGLE_STATUSES[status] ?? (status >= 500 ? "INTERNAL" : "FAILED_PRECONDITION");
    return { error: { code: status, message, status: statusName, details } };
  }
  if (provider === "anthropic") {
    const type =
      ANTHROPIC_ERROR_TYPES[status] ?? (status >= 500 ? "api_error" : "invalid_request_error");
    return { type: "error", error: { type, message }, request_id: id };
  }
  const [type, code] =
    OPENAI_ERROR_TYPES[status] ??
    (status >= 500 ? ["server_error", null] : ["invalid_request_error", null]);
  return { error: { message, type, param: null, code: openaiCode ?? code } };
}

type Kind = "chat" | "messages" | "count" | "models" | "generate" | "embeddings";

interface Exchange {
  res: ServerResponse;
  /** The request's parsed body. */
  body?: unknown;
  /** The fake itself ended the connection (reset, cut stream): not a client abort. */
  deliberate: boolean;
}

export async function startFakeProvider(options: FakeProviderOptions = {}): Promise<FakeProvider> {
  const latencyMs = options.latencyMs ?? 0;
  const chunkDelayMs = options.chunkDelayMs ?? 0;
  const schedule = options.schedule ?? ((ms, run) => setTimeout(run, ms));
  const record = options.record ?? true;
  const models = options.models ?? [
    "gpt-4o-mini",
    "gpt-4o",
    "claude-sonnet-4-6",
    "claude-haiku-4-5",
  ];
  const requests: RecordedRequest[] = [];
  const calls: FakeCall[] = [];
  let queue: FakeBehaviour[] = [];
  let responder: FakeResponder | undefined;
  let aborted = 0;
  let inflight = 0;
  let counter = 0;
  let closing = false;
  /** Checks of pending `waitFor…` calls, run whenever a request arrives or is abandoned. */
  const waiters = new Set<() => void>();

  const server = createServer({ keepAlive: true, noDelay: true }, (req, res) => {
    inflight++;
    const exchange: Exchange = { res, deliberate: false };
    res.once("close", () => {
      inflight--;
      if (!res.writableFinished && !exchange.deliberate && !closing) {
        aborted++;
        for (const waiter of waiters) waiter();
      }
    });
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.once("end", () => {
      const raw = chunks.length === 0 ? "" : Buffer.concat(chunks).toString("utf8");
      route(req, raw, exchange);
    });
  });
  server.keepAliveTimeout = 30_000;

  function route(req: IncomingMessage, raw: string, exchange: Exchange): void {
    const target = req.url ?? "/";
    const queryAt = target.indexOf("?");
    const path = queryAt === -1 ? target : target.slice(0, queryAt);
    const method = req.method ?? "GET";
    let provider: FakeProviderKind | undefined;
    let kind: Kind | undefined;
    if (
      method === "POST" &&
      /\/models\/[^/:]+:(generateContent|streamGenerateContent)$/.test(path)
    ) {
      provider = "gemini";
      kind = "generate";
    } else if (method === "POST" && path.endsWith("/chat/completions")) {
      provider = "openai";
      kind = "chat";
    } else if (method === "POST" && path.endsWith("/messages")) {
      provider = "anthropic";
      kind = "messages";
    } else if (method === "POST" && path.endsWith("/messages/count_tokens")) {
      provider = "anthropic";
      kind = "count";
    } else if (method === "POST" && path.endsWith("/embeddings")) {
      provider = "openai";
      kind = "embeddings";
    } else if (method === "GET" && path.endsWith("/models")) {
      provider = req.headers["anthropic-version"] === undefined ? "openai" : "anthropic";
      kind = "models";
    }
    let body: unknown;
    let badJson = false;
    if (raw !== "") {
      try {
        body = JSON.parse(raw);
      } catch {
        body = raw;
        badJson = true;
      }
    }
    const recorded: RecordedRequest = { method, path, headers: req.headers, body, provider };
    exchange.body = body;
    if (record) {
      requests.push(recorded);
      for (const waiter of waiters) waiter();
    }
    const id = `req_fake${++counter}`;
    if (!provider || !kind) {
      const message = `Unknown request URL: ${method} ${path}.`;
      sendJson(exchange.res, 404, errorBody("openai", 404, message, id), id, "openai");
      return;
    }
    if (badJson) {
      const message = "We could not parse the JSON body of your request.";
      sendJson(exchange.res, 400, errorBody(provider, 400, message, id), id, provider);
      return;
    }
    const call =
      kind === "models" || kind === "embeddings" ? undefined : toCall(provider, recorded);
    if (call && kind !== "count" && record) calls.push(call);
    const behaviour =
      queue.shift() ?? (call && kind !== "count" && responder ? responder(call) : undefined);
    if (behaviour && "hang" in behaviour) return;
    const delay = behaviour?.delayMs ?? latencyMs;
    const go = () => {
      if (!exchange.res.destroyed) act(exchange, provider, kind, call, behaviour, id);
    };
    const gated = behaviour?.gate ? () => void behaviour.gate!.then(go, go) : go;
    if (delay > 0) schedule(delay, gated);
    else gated();
  }

  function act(
    exchange: Exchange,
    provider: FakeProviderKind,
    kind: Kind,
    call: FakeCall | undefined,
    behaviour: FakeBehaviour | undefined,
    id: string,
  ): void {
    const { res } = exchange;
    if (behaviour && "reset" in behaviour) {
      exchange.deliberate = true;
      res.socket?.resetAndDestroy();
      return;
    }
    if (behaviour && "status" in behaviour) {
      const message = behaviour.message ?? defaultErrorMessage(behaviour.status);
      const headers: Record<string, string> = {};
      if (behaviour.retryAfterSeconds !== undefined) {
        headers["retry-after"] = String(behaviour.retryAfterSeconds);
      }
      sendJson(
        res,
        behaviour.status,
        errorBody(
          provider,
          behaviour.status,
          message,
          id,
          behaviour.retryAfterSeconds,
          behaviour.code,
        ),
        id,
        provider,
        headers,
      );
      return;
    }
    const cut = cutOf(behaviour);
    if (kind === "models") {
      const body = provider === "anthropic" ? anthropicModels(models) : openaiModels(models);
      if (cut === undefined) sendJson(res, 200, body, id, provider);
      else sendCut(exchange, JSON.stringify(body), id, provider, cut);
      return;
    }
    if (kind === "embeddings") {
      const answer = embeddingsAnswer(exchange.body);
      if (answer.status === 200) sendJson(res, 200, answer.body, id, provider);
      else sendJson(res, 400, errorBody(provider, 400, answer.message, id), id, provider);
      return;
    }
    if (!call) return;
    if (kind === "count") {
      sendJson(res, 200, { input_tokens: inputTokens(call) }, id, provider);
      return;
    }
    let text: string;
    let finish: Answer["finish"] = "stop";
    let toolCalls: Answer["toolCalls"];
    if (behaviour && "toolCalls" in behaviour) {
      text = behaviour.text ?? "";
      finish = "tool_calls";
      toolCalls = behaviour.toolCalls.map((call, index) => ({
        id: `${provider === "anthropic" ? "toolu" : "call"}_fake${counter}_${index}`,
        name: call.name,
        arguments: JSON.stringify(call.arguments),
      }));
    } else if (behaviour && "text" in behaviour && typeof behaviour.text === "string")
      text = behaviour.text;
    else if (behaviour && "json" in behaviour) text = JSON.stringify(behaviour.json) ?? "null";
    else {
      try {
        text = defaultFakeText(call);
      } catch (error) {
        if (!(error instanceof SampleRefused)) throw error;
        const message = `The fake cannot answer this schema: ${error.message}`;
        sendJson(res, 400, errorBody(provider, 400, message, id), id, provider);
        return;
      }
    }
    if (behaviour && "finish" in behaviour && behaviour.finish) finish = behaviour.finish;

    const answer: Answer = {
      id: provider === "openai" ? `chatcmpl-fake${counter}` : `msg_fake${counter}`,
      model: call.model,
      text,
      finish,
      inputTokens: inputTokens(call),
      outputTokens: fakeTokenCount(text + (toolCalls?.map((c) => c.arguments).join("") ?? "")),
      created: Math.floor(Date.now() / 1000),
      includeUsage: includeUsage(call),
      toolCalls,
    };
    if (!call.stream) {
      const body = {
        openai: openaiCompletion,
        anthropic: anthropicMessage,
        gemini: geminiResponse,
      }[provider](answer);
      if (cut === undefined) sendJson(res, 200, body, id, provider);
      else sendCut(exchange, JSON.stringify(body), id, provider, cut);
      return;
    }
    const events = { openai: openaiStream, anthropic: anthropicStream, gemini: geminiStream }[
      provider
    ](answer);
    sendStream(exchange, events, id, provider, cut);
  }

  /**
   * Resolves once `reached()` holds, checked as requests arrive and go; rejects after
   * `timeoutMs`, a guard against a hang generous enough for a loaded machine.
   */
  function waitUntil(
    reached: () => boolean,
    timeoutMs = 20_000,
    seen: () => string,
  ): Promise<void> {
    if (reached()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const check = () => {
        if (!reached()) return;
        clearTimeout(timer);
        waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`fake provider: waited ${timeoutMs} ms, saw ${seen()}`));
      }, timeoutMs);
      waiters.add(check);
    });
  }

  const fake: FakeProvider = {
    url: "",
    openaiBaseUrl: "",
    anthropicBaseUrl: "",
    geminiBaseUrl: "",
    requests,
    calls,
    get aborted() {
      return aborted;
    },
    get inflight() {
      return inflight;
    },
    enqueue(...behaviours) {
      queue.push(...behaviours);
    },
    setResponder(next) {
      responder = next;
    },
    reset() {
      queue = [];
      responder = undefined;
      requests.length = 0;
      calls.length = 0;
      aborted = 0;
    },
    waitForAborted(count, timeoutMs) {
      return waitUntil(
        () => aborted >= count,
        timeoutMs,
        () => `${aborted} aborted requests`,
      );
    },
    waitForRequests(count, timeoutMs) {
      return waitUntil(
        () => requests.length >= count,
        timeoutMs,
        () => `${requests.length} requests`,
      );
    },
    async close() {
      closing = true;
      queue = [];
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };

  // A provider's front end takes a burst of connections at once, as OfficeLLM's own server does.
  server.listen({ port: 0, host: "127.0.0.1", backlog: LISTEN_BACKLOG });
  await new Promise<void>((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", reject);
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return Object.assign(fake, {
    url,
    openaiBaseUrl: `${url}/v1`,
    anthropicBaseUrl: url,
    geminiBaseUrl: url,
  });

  function sendStream(
    exchange: Exchange,
    events: StreamEvents,
    id: string,
    provider: FakeProviderKind,
    cut: Cut | undefined,
  ): void {
    const { res } = exchange;
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
      [provider === "openai" ? "x-request-id" : "request-id"]: id,
    });
    // With a cut, the opening events and `cut.after` deltas go out, then the socket is destroyed
    // (or left silent).
    const sent = Math.max(cut?.after ?? events.deltas.length, 0);
    const parts =
      cut === undefined
        ? [...events.head, ...events.deltas, ...events.tail]
        : [...events.head, ...events.deltas.slice(0, sent)];
    const finishWith = () => {
      if (cut === undefined) res.end();
      else endCut(exchange, cut, [...events.deltas.slice(sent), ...events.tail].join(""));
    };
    if (chunkDelayMs <= 0) {
      if (cut === undefined) res.end(parts.join(""));
      else res.write(parts.join(""), finishWith);
      return;
    }
    let index = 0;
    const next = () => {
      if (res.destroyed) return;
      const part = parts[index++];
      if (part === undefined) {
        finishWith();
        return;
      }
      res.write(part);
      schedule(chunkDelayMs, next);
    };
    next();
  }
}

/** The length of the fake's vectors unless a request asks for others. */
export const FAKE_EMBEDDING_DIMENSIONS = 1536;

/** OpenAI's embeddings answer for a body: one hashed bag-of-words vector per text. */
function embeddingsAnswer(
  body: unknown,
): { status: 200; body: unknown } | { status: 400; message: string } {
  const request = isRecord(body) ? body : {};
  const inputs = typeof request.input === "string" ? [request.input] : request.input;
  if (!Array.isArray(inputs) || !inputs.every((input) => typeof input === "string"))
    return { status: 400, message: "'$.input' is invalid." };
  const dimensions =
    typeof request.dimensions === "number" ? request.dimensions : FAKE_EMBEDDING_DIMENSIONS;
  const base64 = request.encoding_format === "base64";
  const data = inputs.map((input: string, index) => {
    const vector = hashedEmbedding(input, dimensions);
    return {
      object: "embedding",
      index,
      embedding: base64 ? Buffer.from(Float32Array.from(vector).buffer).toString("base64") : vector,
    };
  });
  const tokens = inputs.reduce((sum: number, input: string) => sum + fakeTokenCount(input), 0);
  return {
    status: 200,
    body: {
      object: "list",
      data,
      model: typeof request.model === "string" ? request.model : "fake-embedding",
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    },
  };
}

function defaultErrorMessage(status: number): string {
  if (status === 429) return "Rate limit reached for requests (fake provider).";
  if (status === 401) return "Incorrect API key provided (fake provider).";
  if (status >= 500)
    return "The server had an error while processing your request (fake provider).";
  return `Request failed with status ${status} (fake provider).`;
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  id: string,
  provider: FakeProviderKind,
  extraHeaders?: Record<string, string>,
): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(payload),
    [provider === "openai" ? "x-request-id" : "request-id"]: id,
    ...extraHeaders,
  });
  res.end(payload);
}

/**
 * Where a response stops: after `after` stream deltas, by a reset or by going silent (until
 * `resume` settles, if given).
 */
interface Cut {
  after: number;
  then: "destroy" | "stall";
  resume?: Promise<unknown> | undefined;
}

function cutOf(behaviour: FakeBehaviour | undefined): Cut | undefined {
  if (behaviour && "cutStreamAfterChunks" in behaviour)
    return { after: behaviour.cutStreamAfterChunks, then: "destroy" };
  if (behaviour && "stallAfterChunks" in behaviour)
    return { after: behaviour.stallAfterChunks, then: "stall", resume: behaviour.resume };
  return undefined;
}

/**
 * Ends a cut response: destroys the socket, or leaves it open and silent, sending `rest` once a
 * stall's `resume` settles.
 */
function endCut(exchange: Exchange, cut: Cut, rest: string): void {
  if (cut.then === "stall") {
    const { res } = exchange;
    const end = () => {
      if (!res.destroyed) res.end(rest);
    };
    cut.resume?.then(end, end);
    return;
  }
  exchange.deliberate = true;
  exchange.res.socket?.destroy();
}

/** Headers and the first half of a JSON body, then the cut's end. */
function sendCut(
  exchange: Exchange,
  payload: string,
  id: string,
  provider: FakeProviderKind,
  cut: Cut,
): void {
  const { res } = exchange;
  res.writeHead(200, {
    "content-type": "application/json",
    [provider === "openai" ? "x-request-id" : "request-id"]: id,
  });
  const half = Math.floor(payload.length / 2);
  res.write(payload.slice(0, half), () => endCut(exchange, cut, payload.slice(half)));
}

interface Answer {
  id: string;
  model: string;
  text: string;
  finish: "stop" | "length" | "tool_calls";
  toolCalls: { id: string; name: string; arguments: string }[] | undefined;
  inputTokens: number;
  outputTokens: number;
  created: number;
  includeUsage: boolean;
}

/** A stream's events, already framed: opening events, one per text delta, closing events. */
interface StreamEvents {
  head: string[];
  deltas: string[];
  tail: string[];
}

function includeUsage(call: FakeCall): boolean {
  const body = call.request.body;
  if (!isRecord(body) || !isRecord(body.stream_options)) return false;
  return body.stream_options.include_usage === true;
}

function openaiUsage(answer: Answer) {
  return {
    prompt_tokens: answer.inputTokens,
    completion_tokens: answer.outputTokens,
    total_tokens: answer.inputTokens + answer.outputTokens,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: 0,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

function openaiCompletion(answer: Answer) {
  return {
    id: answer.id,
    object: "chat.completion",
    created: answer.created,
    model: answer.model,
    choices: [
      {
        index: 0,
        message: {
          role: "assistant",
          content: answer.toolCalls && !answer.text ? null : answer.text,
          refusal: null,
          annotations: [],
          ...(answer.toolCalls
            ? {
                tool_calls: answer.toolCalls.map((call) => ({
                  id: call.id,
                  type: "function",
                  function: { name: call.name, arguments: call.arguments },
                })),
              }
            : {}),
        },
        logprobs: null,
        finish_reason: answer.finish,
      },
    ],
    usage: openaiUsage(answer),
    service_tier: "default",
    system_fingerprint: "fp_fake",
  };
}

function openaiStream(answer: Answer): StreamEvents {
  // Like the real API: with include_usage every chunk carries `usage: null`, and one last chunk
  // with no choices carries the usage.
  const usage = answer.includeUsage ? ',"usage":null' : "";
  const prefix =
    `data: {"id":${JSON.stringify(answer.id)},"object":"chat.completion.chunk",` +
    `"created":${answer.created},"model":${JSON.stringify(answer.model)},` +
    `"service_tier":"default","system_fingerprint":"fp_fake","choices":[{"index":0,`;
  const head = [
    `${prefix}"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}]${usage}}\n\n`,
  ];
  const deltas = splitDeltas(answer.text).map(
    (text) =>
      `${prefix}"delta":{"content":${JSON.stringify(text)}},"logprobs":null,"finish_reason":null}]${usage}}\n\n`,
  );
  // Each call opens with its id and name, then its arguments come in two pieces.
  for (const [index, call] of (answer.toolCalls ?? []).entries()) {
    const half = Math.floor(call.arguments.length / 2);
    const piece = (fields: Record<string, unknown>) =>
      `${prefix}"delta":{"tool_calls":[${JSON.stringify({ index, ...fields })}]},"logprobs":null,"finish_reason":null}]${usage}}\n\n`;
    deltas.push(
      piece({ id: call.id, type: "function", function: { name: call.name, arguments: "" } }),
      piece({ function: { arguments: call.arguments.slice(0, half) } }),
      piece({ function: { arguments: call.arguments.slice(half) } }),
    );
  }
  const tail = [
    `${prefix}"delta":{},"logprobs":null,"finish_reason":"${answer.finish}"}]${usage}}\n\n`,
  ];
  if (answer.includeUsage) {
    const chunk = {
      id: answer.id,
      object: "chat.completion.chunk",
      created: answer.created,
      model: answer.model,
      service_tier: "default",
      system_fingerprint: "fp_fake",
      choices: [],
      usage: openaiUsage(answer),
    };
    tail.push(`data: ${JSON.stringify(chunk)}\n\n`);
  }
  tail.push("data: [DONE]\n\n");
  return { head, deltas, tail };
}

function openaiModels(models: string[]) {
  return {
    object: "list",
    data: models.map((id) => ({ id, object: "model", created: 1_700_000_000, owned_by: "fake" })),
  };
}

function anthropicModels(models: string[]) {
  return {
    data: models.map((id) => ({
      type: "model",
      id,
      display_name: id,
      created_at: "2025-01-01T00:00:00Z",
    })),
    has_more: false,
    first_id: models[0] ?? null,
    last_id: models.at(-1) ?? null,
  };
}

function anthropicUsage(inputTokens: number, outputTokens: number) {
  return {
    input_tokens: inputTokens,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
    output_tokens: outputTokens,
    service_tier: "standard",
  };
}

function anthropicStopReason(answer: Answer): string {
  if (answer.finish === "tool_calls") return "tool_use";
  return answer.finish === "length" ? "max_tokens" : "end_turn";
}

function toolUseBlock(call: { id: string; name: string; arguments: string }) {
  return { type: "tool_use", id: call.id, name: call.name, input: JSON.parse(call.arguments) };
}

function anthropicMessage(answer: Answer) {
  return {
    id: answer.id,
    type: "message",
    role: "assistant",
    model: answer.model,
    content: [
      ...(answer.toolCalls && !answer.text ? [] : [{ type: "text", text: answer.text }]),
      ...(answer.toolCalls ?? []).map(toolUseBlock),
    ],
    stop_reason: anthropicStopReason(answer),
    stop_sequence: null,
    usage: anthropicUsage(answer.inputTokens, answer.outputTokens),
  };
}

function sse(event: string, data: string): string {
  return `event: ${event}\ndata: ${data}\n\n`;
}

function anthropicStream(answer: Answer): StreamEvents {
  const start = {
    type: "message_start",
    message: {
      id: answer.id,
      type: "message",
      role: "assistant",
      model: answer.model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: anthropicUsage(answer.inputTokens, 1),
    },
  };
  const head = [
    sse("message_start", JSON.stringify(start)),
    sse(
      "content_block_start",
      '{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}',
    ),
    sse("ping", '{"type": "ping"}'),
  ];
  const deltas = splitDeltas(answer.text).map((text) =>
    sse(
      "content_block_delta",
      `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":${JSON.stringify(text)}}}`,
    ),
  );
  const delta = {
    type: "message_delta",
    delta: { stop_reason: anthropicStopReason(answer), stop_sequence: null },
    usage: { output_tokens: answer.outputTokens },
  };
  const tail = [sse("content_block_stop", '{"type":"content_block_stop","index":0}')];
  // Each call a block of its own after the text's: its input in two input_json_delta pieces.
  for (const [offset, call] of (answer.toolCalls ?? []).entries()) {
    const index = offset + 1;
    const half = Math.floor(call.arguments.length / 2);
    const block = { ...toolUseBlock(call), input: {} };
    const piece = (partial: string) =>
      sse(
        "content_block_delta",
        JSON.stringify({
          type: "content_block_delta",
          index,
          delta: { type: "input_json_delta", partial_json: partial },
        }),
      );
    tail.push(
      sse(
        "content_block_start",
        JSON.stringify({ type: "content_block_start", index, content_block: block }),
      ),
      piece(call.arguments.slice(0, half)),
      piece(call.arguments.slice(half)),
      sse("content_block_stop", JSON.stringify({ type: "content_block_stop", index })),
    );
  }
  tail.push(
    sse("message_delta", JSON.stringify(delta)),
    sse("message_stop", '{"type":"message_stop"}'),
  );
  return { head, deltas, tail };
}

/** Gemini's finish reason for an answer: function calls end with STOP, as Google's do. */
function geminiFinish(answer: Answer): string {
  return answer.finish === "length" ? "MAX_TOKENS" : "STOP";
}

function geminiUsage(answer: Answer, outputTokens = answer.outputTokens) {
  return {
    promptTokenCount: answer.inputTokens,
    candidatesTokenCount: outputTokens,
    totalTokenCount: answer.inputTokens + outputTokens,
  };
}

/** Google gives function calls no id unless asked; the adapter makes its own. */
function geminiCallPart(call: { name: string; arguments: string }) {
  return { functionCall: { name: call.name, args: JSON.parse(call.arguments) as unknown } };
}

function geminiResponse(answer: Answer) {
  const parts = [
    ...(answer.toolCalls && !answer.text ? [] : [{ text: answer.text }]),
    ...(answer.toolCalls ?? []).map(geminiCallPart),
  ];
  return {
    candidates: [
      { content: { parts, role: "model" }, finishReason: geminiFinish(answer), index: 0 },
    ],
    usageMetadata: geminiUsage(answer),
    modelVersion: answer.model,
    responseId: answer.id,
  };
}

/**
 * Gemini's stream (`alt=sse`): one response per text delta, then the function calls, each whole,
 * then the finish reason with the final usage (each chunk carries the usage so far).
 */
function geminiStream(answer: Answer): StreamEvents {
  const chunk = (parts: unknown[], extra: Record<string, unknown> = {}) =>
    `data: ${JSON.stringify({
      candidates: [{ content: { parts, role: "model" }, index: 0, ...extra }],
      usageMetadata: geminiUsage(answer, 0),
      modelVersion: answer.model,
      responseId: answer.id,
    })}\r\n\r\n`;
  const deltas = splitDeltas(answer.text).map((text) => chunk([{ text }]));
  const tail = (answer.toolCalls ?? []).map((call) => chunk([geminiCallPart(call)]));
  const last = {
    candidates: [
      {
        content: { parts: [{ text: "" }], role: "model" },
        finishReason: geminiFinish(answer),
        index: 0,
      },
    ],
    usageMetadata: geminiUsage(answer),
    modelVersion: answer.model,
    responseId: answer.id,
  };
  tail.push(`data: ${JSON.stringify(last)}\r\n\r\n`);
  return { head: [], deltas, tail };
}
