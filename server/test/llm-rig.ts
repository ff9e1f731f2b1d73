/**
 * The gateway's integration rig: the real app, the real provider adapters and SDKs, and the fake
 * provider over real HTTP. Used by the `server/llm/*.int.test.ts` suites.
 */
import type OpenAI from "openai";
import type { Redis } from "ioredis";
import { expect } from "vitest";
import { loadConfig } from "../config.ts";
import type { Sleep } from "../clock.ts";
import { catalog } from "../llm/providers/catalog.ts";
import type { Answer } from "../llm/pipeline/answer.ts";
import { createGateway } from "../llm/gateway.ts";
import { SingleFlight } from "../llm/cache/single-flight.ts";
import type { UsageRow } from "../store/usage-repository.ts";
import {
  fakeTokenCount,
  startFakeProvider,
  type FakeProvider,
  type FakeProviderOptions,
  type RecordedRequest,
} from "./fake-provider.ts";
import { startTestServer, type TestServer } from "./harness.ts";
import { TestSleep } from "./test-sleep.ts";

/** Upstream keys: shaped like real ones, and never to be seen by a caller or in a log. */
export const OPENAI_KEY = "sk-upstream-3f9c2a7b1d8e4f60a5b9c7d2";
export const ANTHROPIC_KEY = "sk-ant-upstream-8e1d4c7b2a9f3e6d0c5b";
export const UPSTREAM_KEYS = [OPENAI_KEY, ANTHROPIC_KEY];

export interface ProviderCase {
  provider: "openai" | "anthropic";
  model: string;
  /** A model of the other provider, for fallbacks. */
  other: string;
  otherProvider: "openai" | "anthropic";
}

export const providerCases: ProviderCase[] = [
  {
    provider: "openai",
    model: "gpt-4.1-mini",
    other: "claude-haiku-4-5",
    otherProvider: "anthropic",
  },
  {
    provider: "anthropic",
    model: "claude-haiku-4-5",
    other: "gpt-4.1-mini",
    otherProvider: "openai",
  },
];

export interface Reply<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  text: string;
  /** The parsed JSON body (undefined for event streams). */
  body: T;
}

export interface ErrorBody {
  error: { code: string; message: string; requestId: string };
}

export interface CompletionBody {
  id: string;
  model: string;
  provider: string;
  text: string;
  json?: unknown;
  usage: { inputTokens: number; outputTokens: number; costUsd: number };
  cached: boolean;
  latencyMs: number;
}

export interface SseEvent {
  event: string;
  data: unknown;
}

export interface Rig {
  fake: FakeProvider;
  server: TestServer;
  /** The waits between retries: asked for, recorded, and taking no real time. */
  sleep: TestSleep;
  /** The calls identical requests share, to count the callers waiting for one. */
  flights: SingleFlight<Answer>;
  /** Every response body and header block the tests received, for the secret checks. */
  seen: string[];
  /** A fresh token (secret and id); pass `budgetUsd` to limit it. */
  token(input?: { budgetUsd?: number }): Promise<{ id: string; token: string }>;
  post<T = Record<string, unknown>>(
    path: string,
    token: string,
    body: unknown,
    init?: { signal?: AbortSignal },
  ): Promise<Reply<T>>;
  close(): Promise<void>;
}

/**
 * Starts the fake provider, then the real server with a gateway configured for it (both
 * providers keyed), with the given settings on top; its response cache is in `redis` when given.
 * Waits between retries take no real time (`rig.sleep` records them).
 */
export async function startRig(
  options: { env?: Record<string, string>; fake?: FakeProviderOptions; redis?: Redis } = {},
): Promise<Rig> {
  const fake = await startFakeProvider(options.fake);
  const flights = new SingleFlight<Answer>();
  const sleep = new TestSleep();
  const server = await startGatewayServer(fake, options.env, {
    redis: options.redis,
    flights,
    sleep: sleep.sleep,
  });
  const seen: string[] = [];
  return {
    fake,
    server,
    sleep,
    flights,
    seen,
    async token(input = {}) {
      return server.token({ name: "gateway test", scopes: ["llm"], ...input });
    },
    async post<T>(path: string, token: string, body: unknown, init: { signal?: AbortSignal } = {}) {
      const response = await server.fetch(path, {
        method: "POST",
        token,
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
        ...(init.signal ? { signal: init.signal } : {}),
      });
      const text = await response.text();
      seen.push(JSON.stringify([...response.headers]), text);
      const isJson = (response.headers.get("content-type") ?? "").includes("json");
      return {
        status: response.status,
        headers: response.headers,
        text,
        body: (isJson ? JSON.parse(text) : undefined) as T,
      };
    },
    async close() {
      await server.close();
      await fake.close();
    },
  };
}

/**
 * Starts the real server with a gateway configured for `fake` (both providers keyed), with the
 * given settings on top: another instance beside a rig's, on the same DATABASE_URL, say.
 */
export async function startGatewayServer(
  fake: FakeProvider,
  settings: Record<string, string> = {},
  parts: { redis?: Redis | undefined; flights?: SingleFlight<Answer>; sleep?: Sleep } = {},
): Promise<TestServer> {
  const env: Record<string, string> = {
    OPENAI_API_KEY: OPENAI_KEY,
    OPENAI_BASE_URL: fake.openaiBaseUrl,
    ANTHROPIC_API_KEY: ANTHROPIC_KEY,
    ANTHROPIC_BASE_URL: fake.anthropicBaseUrl,
    RATE_LIMIT_RPM: "100000",
    LOG_LEVEL: "trace",
    ...settings,
  };
  const gateway = await createGateway(loadConfig(env), { redis: parts.redis });
  return startTestServer({
    env,
    gateway: parts.flights ? { ...gateway, flights: parts.flights } : gateway,
    ...(parts.sleep ? { sleep: parts.sleep } : {}),
  });
}

/** Parses a server-sent event stream, checking every block is `event:` then one `data:` line. */
export function parseSse(text: string): SseEvent[] {
  expect(text.endsWith("\n\n"), "an event stream ends with a blank line").toBe(true);
  return text
    .split("\n\n")
    .filter((block) => block !== "")
    .map((block) => {
      const lines = block.split("\n");
      expect(lines, `event block ${JSON.stringify(block)}`).toHaveLength(2);
      expect(lines[0]).toMatch(/^event: [a-z]+$/);
      expect(lines[1]).toMatch(/^data: /);
      return { event: lines[0]!.slice("event: ".length), data: JSON.parse(lines[1]!.slice(6)) };
    });
}

/**
 * The cost of a call at the catalog's price, in whole nano-dollars: prices per million tokens
 * have at most three decimals, so a token costs a whole number of nano-dollars.
 */
export function catalogNanoUsd(model: string, inputTokens: number, outputTokens: number): number {
  const entry = catalog.find((m) => m.id === model);
  if (!entry) throw new Error(`no catalog entry for ${model}`);
  const perToken = (perMillion: number) => Math.round(perMillion * 1000);
  return (
    inputTokens * perToken(entry.inputPerMillion) + outputTokens * perToken(entry.outputPerMillion)
  );
}

/** The cost of a call at the catalog's price, in USD as a response gives it. */
export function catalogCost(model: string, inputTokens: number, outputTokens: number): number {
  return catalogNanoUsd(model, inputTokens, outputTokens) / 1e9;
}

/** The fake's usage for a plain prompt (no system prompt) answered with `text`. */
export function fakeUsage(prompt: string, text: string) {
  return { inputTokens: fakeTokenCount(prompt), outputTokens: fakeTokenCount(text) };
}

/** A token's ledger rows, oldest first. */
export function ledger(rig: Rig, tokenId: string): Promise<UsageRow[]> {
  return rig.server.store.usage.listForToken(tokenId);
}

/**
 * Waits until the token's ledger holds `count` rows (rows of abandoned calls land late); after
 * `timeoutMs`, a guard against a hang, answers what there is.
 */
export async function ledgerWithin(
  rig: Rig,
  tokenId: string,
  count: number,
  timeoutMs = 20_000,
): Promise<UsageRow[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = await ledger(rig, tokenId);
    if (rows.length >= count || Date.now() > deadline) return rows;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The request body the fake received, as an object. */
export function bodyOf(request: RecordedRequest | undefined): Record<string, unknown> {
  expect(request, "a request reached the fake provider").toBeDefined();
  return request!.body as Record<string, unknown>;
}

let counter = 0;
/** A prompt no other test sends, so the shared response cache never answers it by accident. */
export function uniquePrompt(label: string): string {
  counter++;
  return `${label} #${counter} ${Math.random().toString(36).slice(2, 8)}`;
}

/** Asserts that no upstream key shows in any text. */
export function expectNoKeys(texts: string[]): void {
  for (const text of texts) {
    for (const key of UPSTREAM_KEYS) expect(text).not.toContain(key);
    // Nor a recognisable piece of one.
    expect(text).not.toMatch(/upstream-(3f9c2a7b|8e1d4c7b)/);
  }
}

/** A function a chat client offers in the tool tests: the weather in a city. */
export const weatherTool: OpenAI.Chat.ChatCompletionFunctionTool = {
  type: "function",
  function: {
    name: "get_weather",
    description: "The weather in a city",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  },
};

/** What a streamed chat completion said: its text, its last finish reason and its usage. */
export async function readChatStream(stream: AsyncIterable<OpenAI.Chat.ChatCompletionChunk>) {
  let text = "";
  let finish: string | null | undefined;
  let usage: OpenAI.CompletionUsage | null | undefined;
  for await (const chunk of stream) {
    text += chunk.choices[0]?.delta.content ?? "";
    finish = chunk.choices[0]?.finish_reason ?? finish;
    usage = chunk.usage ?? usage;
  }
  return { text, finish, usage };
}
