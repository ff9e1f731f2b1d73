import type { Logger } from "../../logger.ts";
import type { Metrics } from "../../metrics/metrics.ts";
import { followKeyUses, type KeyUses } from "./key-uses.ts";
import { asLlmError, LlmError, type Spend } from "../errors.ts";
import { ProviderError, type Provider } from "../provider.ts";
import type { ModelInfo } from "../model-registry.ts";
import type { FittedModel } from "../request/fit-to-model.ts";
import type { PreparedCompletion } from "../request/prepare.ts";
import type { SchemaChecker } from "../schemas/schema-checker.ts";
import type {
  ChatMessage,
  KeyUse,
  ProviderRequest,
  StreamChunk,
  TokenUsage,
  ToolCall,
} from "../types.ts";
import type { Answer } from "./answer.ts";
import { leavesTime, queueDeadline, type CallTime } from "./call-time.ts";
import type { Release, SlotsSnapshot } from "./fair-slots.ts";
import { ProviderSlots } from "./provider-slots.ts";
import { withRetries, type RetryPolicy } from "./retry.ts";
import { applyLocalStop } from "./streamed-answer.ts";

export interface UpstreamDeps {
  providers: Map<string, Provider>;
  schemas: SchemaChecker;
  logger: Logger;
  retry: RetryPolicy;
  /** LLM_TIMEOUT_MS: the longest one attempt may take. */
  timeoutMs: number;
  /** Calls one provider may have in flight at once on this instance, unless it sets its own. */
  providerConcurrency: number;
  /** QUEUE_TIMEOUT_MS: the longest a call waits for a provider's slot. */
  queueWaitMs: number;
  metrics: Metrics;
}

/** A stream opened upstream, its first chunk in hand. */
export interface OpenedStream {
  iterator: AsyncIterator<StreamChunk>;
  first: IteratorResult<StreamChunk>;
  retries: number;
  /** The label of the provider's key the stream is on. */
  keyLabel: string | undefined;
  /** When the call upstream began (`performance.now()`), for the time spent on the provider. */
  startedAt: number;
  /** Gives the provider's slot back: once the stream is over. */
  release(): void;
}

/**
 * Calls the providers: each model in one of its provider's slots, shared fairly among tokens
 * (provider-slots.ts), its attempts retried while the call's time allows (retry.ts,
 * call-time.ts); then the fallbacks; and a JSON answer that breaks its schema asked for again,
 * once. Every failure leaves as an LlmError.
 */
export class Upstream {
  readonly #deps: UpstreamDeps;
  readonly #slots = new Map<string, ProviderSlots>();

  constructor(deps: UpstreamDeps) {
    this.#deps = deps;
  }

  /**
   * Asks the model, then each fallback in turn while the failures are the provider's and time is
   * left. A failure carries what the last model asked had spent (answers that broke the format).
   * The first model is asked in `slot` (admission.ts took it); a fallback waits for a slot of its
   * provider in the turn of `tokenId` among the other tokens' calls.
   */
  async complete(
    prepared: PreparedCompletion,
    tokenId: string,
    time: CallTime,
    slot: Release,
  ): Promise<Answer> {
    let spent: Spend | undefined;
    try {
      for (let index = 0; ; index++) {
        const candidate = prepared.candidates[index]!;
        spent = { model: candidate.model, usage: { inputTokens: 0, outputTokens: 0 } };
        try {
          const held = index === 0 ? slot : await this.#slot(candidate, tokenId, time);
          return await this.#ask(prepared, candidate, held, time, spent.usage);
        } catch (error) {
          const next = prepared.candidates[index + 1];
          if (!next || !this.#fallsBack(error, time)) throw error;
          this.#deps.metrics.fellBack({
            provider: candidate.model.provider,
            model: candidate.model.id,
          });
          this.#deps.logger.warn(
            { model: candidate.model.id, fallback: next.model.id, kind: error.kind },
            "falling back",
          );
        }
      }
    } catch (error) {
      const paid = spent && spent.usage.inputTokens + spent.usage.outputTokens > 0;
      throw asLlmError(error).carrying({ spent: paid ? spent : undefined });
    }
  }

  /**
   * Opens a stream of the model (streams have no fallbacks), in `release`'s slot, its provider's
   * that admission.ts took: once its first chunk is in hand.
   */
  async open(
    prepared: PreparedCompletion,
    time: CallTime,
    release: Release,
  ): Promise<OpenedStream> {
    const [candidate] = prepared.candidates;
    try {
      const startedAt = performance.now();
      let retries = 0;
      const keys = this.#keyUses(candidate);
      const { iterator, first } = await withRetries(
        async () => {
          const chunks = this.#provider(candidate).stream(
            this.#request(prepared, candidate, time.signal, keys.onKey),
          );
          const iterator = chunks[Symbol.asyncIterator]();
          return { iterator, first: await iterator.next() };
        },
        this.#deps.retry,
        time,
        () => {
          retries++;
          this.#deps.metrics.retried(candidate.model.provider);
        },
      );
      return { iterator, first, retries, keyLabel: keys.answered(), startedAt, release };
    } catch (error) {
      release();
      throw asLlmError(error);
    }
  }

  /** Whether a model's failure is worth asking the next model: the provider's, with time left. */
  #fallsBack(error: unknown, time: CallTime): error is ProviderError {
    return (
      error instanceof ProviderError &&
      error.kind !== "rejected" &&
      !time.signal.aborted &&
      leavesTime(time, 0, this.#deps.retry.shortestAttemptMs)
    );
  }

  /** One model's answer, in `release`'s slot; `usage` counts what its answers cost as they come. */
  async #ask(
    prepared: PreparedCompletion,
    candidate: FittedModel,
    release: Release,
    time: CallTime,
    usage: TokenUsage,
  ): Promise<Answer> {
    const started = performance.now();
    let retries = 0;
    // The functions the model called, in its last answer.
    let toolCalls: ToolCall[] | undefined;
    const keys = this.#keyUses(candidate);
    const call = async (extra: ChatMessage[] = []) => {
      const result = await withRetries(
        () =>
          this.#provider(candidate).complete(
            this.#request(prepared, candidate, time.signal, keys.onKey, extra),
          ),
        this.#deps.retry,
        time,
        () => {
          retries++;
          this.#deps.metrics.retried(candidate.model.provider);
        },
      );
      usage.inputTokens += result.usage.inputTokens;
      usage.outputTokens += result.usage.outputTokens;
      toolCalls = result.toolCalls;
      return result.text;
    };
    try {
      const text = applyLocalStop(await call(), candidate.localStop);
      const answer = prepared.json
        ? await this.#checkedJson(candidate, prepared.json.schema, text, (extra) => {
            retries++;
            return call(extra);
          })
        : { text, json: undefined };
      return {
        ...answer,
        ...(toolCalls ? { toolCalls } : {}),
        usage,
        model: candidate.model,
        keyLabel: keys.answered(),
        retries,
        upstreamMs: performance.now() - started,
      };
    } finally {
      release();
    }
  }

  /**
   * A JSON answer checked against the schema; one that breaks it is asked for again, once, telling
   * the model what was wrong with it.
   */
  async #checkedJson(
    candidate: FittedModel,
    schema: Record<string, unknown> | undefined,
    text: string,
    askAgain: (extra: ChatMessage[]) => Promise<string>,
  ): Promise<{ text: string; json: unknown }> {
    const first = this.#deps.schemas.checkJson(text, schema);
    if (first.ok) return { text, json: first.value };
    const again = await askAgain([
      { role: "assistant", content: text },
      {
        role: "user",
        content: `That answer is not usable: ${first.problem}. Answer again with only the JSON.`,
      },
    ]);
    const second = this.#deps.schemas.checkJson(again, schema);
    if (second.ok) return { text: again, json: second.value };
    // The provider's failure: the next model may do better.
    throw new ProviderError(
      "invalid_output",
      candidate.model.provider,
      `The model's answer broke the requested format twice: ${second.problem}`,
    );
  }

  /** Follows the attempts of one model's call on its provider's keys. */
  #keyUses({ model }: FittedModel): KeyUses {
    return followKeyUses(this.#deps.metrics, model.provider);
  }

  /** What the provider is asked: the prepared request, with its parameters fitted to the model. */
  #request(
    prepared: PreparedCompletion,
    candidate: FittedModel,
    signal: AbortSignal,
    onKey: (use: KeyUse) => void,
    extra: ChatMessage[] = [],
  ): ProviderRequest {
    return {
      model: candidate.model.id,
      system: prepared.system,
      messages: extra.length > 0 ? [...prepared.messages, ...extra] : prepared.messages,
      temperature: candidate.temperature,
      maxTokens: candidate.maxTokens,
      stop: candidate.stop,
      json: prepared.json,
      tools: prepared.tools,
      signal,
      timeoutMs: this.#deps.timeoutMs,
      onKey,
    };
  }

  #provider({ model }: Pick<FittedModel, "model">): Provider {
    const provider = this.#deps.providers.get(model.provider);
    if (!provider)
      throw new LlmError("invalid_request", `The provider of ${model.id} is not configured`);
    return provider;
  }

  /** Each provider's slots at this moment, and the waits seen so far: for metrics and logs. */
  queues(): Map<string, SlotsSnapshot> {
    return new Map([...this.#slots].map(([provider, slots]) => [provider, slots.snapshot()]));
  }

  /** How many calls at once the provider of the call's first model takes. */
  capacity(prepared: PreparedCompletion): number {
    return this.#capacity(this.#provider(prepared.candidates[0]));
  }

  #capacity(provider: Provider): number {
    return provider.concurrency ?? this.#deps.providerConcurrency;
  }

  /** A slot of the provider of the call's first model, for admission.ts to take. */
  slot(prepared: PreparedCompletion, tokenId: string, time: CallTime): Promise<Release> {
    return this.#slot(prepared.candidates[0], tokenId, time);
  }

  /**
   * A slot of the model's provider, in the token's turn: it waits at most QUEUE_TIMEOUT_MS, and
   * never past the time the call needs for one attempt; then it fails as `queue_timeout`.
   */
  /** A slot of the model's provider for a call other than a completion (embeddings). */
  modelSlot(model: ModelInfo, tokenId: string, time: CallTime): Promise<Release> {
    return this.#slot({ model }, tokenId, time);
  }

  async #slot(
    candidate: Pick<FittedModel, "model">,
    tokenId: string,
    time: CallTime,
  ): Promise<Release> {
    const provider = this.#provider(candidate);
    let slots = this.#slots.get(provider.name);
    if (!slots) {
      slots = new ProviderSlots(provider.name, this.#capacity(provider), this.#deps.logger);
      this.#slots.set(provider.name, slots);
    }
    const { queueWaitMs, retry, metrics } = this.#deps;
    const followed = metrics.providerSlot(provider.name);
    let release: Release;
    try {
      release = await slots.acquire(
        tokenId,
        time.signal,
        queueDeadline(time, queueWaitMs, retry.shortestAttemptMs),
      );
    } catch (error) {
      followed.gaveUp();
      throw error;
    }
    followed.granted();
    return () => {
      followed.released();
      release();
    };
  }
}
