import type { Clock } from "../../clock.ts";
import type { Limits } from "../../config.ts";
import type { Metrics } from "../../metrics/metrics.ts";
import type { Store } from "../../store/store.ts";
import { nanoUsdToUsd } from "../../util/money.ts";
import { Billing } from "../billing/billing.ts";
import { UsageLedger, type ReservationId } from "../billing/usage-ledger.ts";
import { cacheKey, type ResponseCache } from "../cache/response-cache.ts";
import type { CallContext } from "../completion-service.ts";
import { callFailure, LlmError } from "../errors.ts";
import { checkEmbeddingModel } from "../model-kind.ts";
import type { ModelInfo, ModelRegistry } from "../model-registry.ts";
import type { Answer } from "../pipeline/answer.ts";
import { startCallTime, type CallTime } from "../pipeline/call-time.ts";
import type { Release } from "../pipeline/fair-slots.ts";
import { followKeyUses } from "../pipeline/key-uses.ts";
import { withRetries, type RetryPolicy } from "../pipeline/retry.ts";
import type { Provider } from "../provider.ts";
import { estimateTokens } from "../token-estimate.ts";
import { fromBase64, toBase64 } from "./vectors.ts";

/** What an embeddings request asks: the texts, the model (else the first offered), a length. */
export interface EmbeddingInput {
  model: string | undefined;
  inputs: string[];
  dimensions: number | undefined;
}

export interface EmbeddingOutcome {
  model: string;
  provider: string;
  /** One per input, in order: float32 values, as the providers make them. */
  vectors: Float32Array[];
  /**
   * The tokens of every input (those answered from the cache at what they counted when first
   * embedded), and what this request cost: only the inputs that went upstream.
   */
  usage: { inputTokens: number; costUsd: number };
  /** Every vector came from the cache: no model was called. */
  cached: boolean;
  latencyMs: number;
  retries: number;
  upstreamMs: number;
}

export interface EmbeddingServiceDeps {
  store: Store;
  registry: ModelRegistry;
  providers: Map<string, Provider>;
  cache: ResponseCache;
  clock: Clock;
  metrics: Metrics;
  /** LLM_TIMEOUT_MS: the longest one attempt may take. */
  timeoutMs: number;
  /** Kept back from a request's time to record its call and answer (pipeline/call-time.ts). */
  answerMarginMs: number;
  requestTimeoutMs: number;
  retry: RetryPolicy;
  limits: Pick<Limits, "embeddings">;
  /**
   * A turn among the token's calls and a slot of the model's provider, shared with completions
   * (CompletionService.admitCall); the function it gives back gives both back.
   */
  admit(model: ModelInfo, tokenId: string, time: CallTime): Promise<Release>;
}

/** What an input counted when it was embedded, kept with its vector. */
interface Embedded {
  vector: Float32Array;
  inputTokens: number;
}

/**
 * Embeds texts, metered as completions are: the model checked and the request's bounds
 * (EMBEDDING_MAX_INPUTS, EMBEDDING_MAX_CHARS) before anything else; each text's vector read
 * from the response cache (keyed by provider, model, dimensions and the text), and only the
 * texts not found sent upstream, in one call, with retries, in the token's turn and a slot of
 * the provider, both shared with completions, after the call's maximum cost is reserved against the token's budget; one ledger row per request, at what the upstream call
 * cost (a request answered wholly from the cache: a cached row at no cost).
 */
export class EmbeddingService {
  readonly #deps: EmbeddingServiceDeps;
  readonly #ledger: UsageLedger;
  readonly #billing: Billing;

  constructor(deps: EmbeddingServiceDeps) {
    this.#deps = deps;
    this.#ledger = new UsageLedger(deps.store, deps.clock, deps.requestTimeoutMs);
    this.#billing = new Billing(this.#ledger, deps.registry, deps.metrics);
  }

  /** The model a request naming none gets: the first embedding model offered. */
  get defaultModel(): string | undefined {
    return this.#deps.registry.list().find((model) => model.kind === "embedding")?.id;
  }

  async embed(request: EmbeddingInput, context: CallContext): Promise<EmbeddingOutcome> {
    const started = performance.now();
    const { model, provider } = this.#model(request.model);
    this.#checkBounds(request, model);
    const found = await Promise.all(
      request.inputs.map((input) => this.#cached(embeddingKey(model, request.dimensions, input))),
    );
    const missing = [...new Set(request.inputs.filter((_, index) => !found[index]))];
    let upstream: UpstreamEmbeddings | undefined;
    if (missing.length > 0) {
      upstream = await this.#callUpstream(
        { model, provider, texts: missing, dimensions: request.dimensions },
        context,
        started,
      );
    }
    // Every text not found went upstream.
    const embedded = request.inputs.map(
      (input, index) => found[index] ?? upstream!.embedded.get(input)!,
    );
    const answer: Answer = {
      text: "",
      json: undefined,
      usage: {
        inputTokens: upstream?.inputTokens ?? sum(embedded.map((each) => each.inputTokens)),
        outputTokens: 0,
      },
      model,
      retries: upstream?.retries ?? 0,
      upstreamMs: upstream?.upstreamMs ?? 0,
      reservation: upstream?.reservation,
      keyLabel: upstream?.keyLabel,
    };
    const latencyMs = Math.round(performance.now() - started);
    const costNanoUsd = await this.#billing.answered(context, answer, {
      cached: upstream === undefined,
      latencyMs,
    });
    return {
      model: model.id,
      provider: model.provider,
      vectors: embedded.map((each) => each.vector),
      usage: {
        inputTokens: sum(embedded.map((each) => each.inputTokens)),
        costUsd: nanoUsdToUsd(costNanoUsd),
      },
      cached: upstream === undefined,
      latencyMs,
      retries: answer.retries,
      upstreamMs: Math.round(answer.upstreamMs),
    };
  }

  /** The model named (or the default), refused unless it makes embeddings here. */
  #model(name: string | undefined): { model: ModelInfo; provider: Provider } {
    const { registry, providers } = this.#deps;
    const wanted = name ?? this.defaultModel;
    if (wanted === undefined)
      throw new LlmError(
        "not_an_embedding_model",
        "No embedding model is offered here: ask your OfficeLLM administrator to configure one",
      );
    const model = registry.resolve(wanted);
    const provider = providers.get(model.provider);
    checkEmbeddingModel(model, registry, provider?.embed !== undefined);
    return { model, provider: provider! };
  }

  /** Refuses, before any call, a request over the configured bounds or the model's. */
  #checkBounds(request: EmbeddingInput, model: ModelInfo): void {
    const { inputs, chars } = this.#deps.limits.embeddings;
    if (request.inputs.length === 0) throw invalid("body.input: needs at least one text to embed");
    if (request.inputs.length > inputs)
      throw invalid(
        `body.input: at most ${inputs} texts in one request (EMBEDDING_MAX_INPUTS); got ${request.inputs.length}`,
      );
    const total = sum(request.inputs.map((input) => input.length));
    if (total > chars)
      throw invalid(
        `body.input: at most ${chars.toLocaleString("en-US")} characters in one request, all texts together (EMBEDDING_MAX_CHARS); got ${total.toLocaleString("en-US")}`,
      );
    const empty = request.inputs.findIndex((input) => input.trim() === "");
    if (empty !== -1) throw invalid(`body.input[${empty}]: an empty text has no embedding`);
    const long = request.inputs.findIndex((input) => estimateTokens(input) > model.contextWindow);
    if (long !== -1)
      throw invalid(
        `body.input[${long}]: longer than ${model.id} reads (${model.contextWindow} tokens)`,
      );
    const { dimensions } = request;
    const vectors = model.vectors;
    if (dimensions === undefined || !vectors) return;
    if (!vectors.shortens)
      throw invalid(`body.dimensions: ${model.id} makes vectors of one length only`);
    if (dimensions > vectors.dimensions)
      throw invalid(
        `body.dimensions: ${model.id} makes vectors of at most ${vectors.dimensions} dimensions`,
      );
  }

  async #cached(key: string): Promise<Embedded | undefined> {
    const hit = await this.#deps.cache.get(key);
    this.#deps.metrics.cacheLookup(hit !== undefined);
    return hit && { vector: fromBase64(hit.text), inputTokens: hit.usage.inputTokens };
  }

  /**
   * Embeds the texts in one call upstream, retried while the request's time allows, once its
   * maximum cost is reserved; keeps each vector in the cache. A failure is recorded (its ledger
   * row releases the reservation) before it leaves.
   */
  async #callUpstream(
    call: { model: ModelInfo; provider: Provider; texts: string[]; dimensions: number | undefined },
    context: CallContext,
    started: number,
  ): Promise<UpstreamEmbeddings> {
    const { model, provider, texts } = call;
    const { registry, metrics, retry, timeoutMs, answerMarginMs } = this.#deps;
    const time = startCallTime(context.signal, context.deadline - answerMarginMs);
    let reservation: ReservationId | undefined;
    let release: Release | undefined;
    try {
      release = await this.#deps.admit(model, context.caller.tokenId, time);
      // A byte-level tokenizer makes at most one token of each UTF-8 byte.
      const maxTokens = sum(texts.map((text) => Buffer.byteLength(text)));
      reservation = await this.#ledger.reserve(context.caller, () =>
        registry.costNanoUsd(model, maxTokens, 0),
      );
      const upstreamStarted = performance.now();
      let retries = 0;
      const keys = followKeyUses(metrics, model.provider);
      const result = await withRetries(
        () => provider.embed!({ ...embeddingRequest(call, time, timeoutMs), onKey: keys.onKey }),
        retry,
        time,
        () => {
          retries++;
          metrics.retried(model.provider);
        },
      );
      const upstreamMs = performance.now() - upstreamStarted;
      const shares = apportion(result.inputTokens, texts);
      const embedded = new Map<string, Embedded>();
      texts.forEach((text, index) =>
        embedded.set(text, {
          vector: Float32Array.from(result.vectors[index]!),
          inputTokens: shares[index]!,
        }),
      );
      await this.#keep(call, embedded);
      return {
        embedded,
        inputTokens: result.inputTokens,
        retries,
        upstreamMs,
        reservation,
        keyLabel: keys.answered(),
      };
    } catch (error) {
      const failure = callFailure(error, context.signal).carrying({ reservation });
      const latencyMs = Math.round(performance.now() - started);
      await this.#billing.failed(context, failure, model, latencyMs);
      throw failure.unbilled();
    } finally {
      release?.();
      time.stop();
    }
  }

  async #keep(
    call: { model: ModelInfo; dimensions: number | undefined },
    embedded: Map<string, Embedded>,
  ): Promise<void> {
    const { model, dimensions } = call;
    await Promise.all(
      [...embedded].map(([text, { vector, inputTokens }]) =>
        this.#deps.cache.set(embeddingKey(model, dimensions, text), {
          text: toBase64(vector),
          usage: { inputTokens, outputTokens: 0 },
          model: model.id,
        }),
      ),
    );
  }
}

/** What one call upstream gave: each text's vector, and what the call counted and took. */
interface UpstreamEmbeddings {
  embedded: Map<string, Embedded>;
  inputTokens: number;
  retries: number;
  upstreamMs: number;
  reservation: ReservationId | undefined;
  /** The provider's key that answered. */
  keyLabel: string | undefined;
}

function embeddingRequest(
  call: { model: ModelInfo; texts: string[]; dimensions: number | undefined },
  time: CallTime,
  timeoutMs: number,
) {
  return {
    model: call.model.id,
    inputs: call.texts,
    dimensions: call.dimensions,
    signal: time.signal,
    timeoutMs: Math.max(1, Math.min(timeoutMs, time.deadline - performance.now())),
  };
}

/**
 * A call's tokens shared among its texts by their length, in whole tokens that add up to the
 * call's: what each text counts for when a later request finds it in the cache.
 */
function apportion(total: number, texts: string[]): number[] {
  const lengths = texts.map((text) => text.length);
  const whole = sum(lengths);
  const shares = lengths.map((length) => Math.floor((total * length) / whole));
  shares[0]! += total - sum(shares);
  return shares;
}

function sum(values: number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

function invalid(message: string): LlmError {
  return new LlmError("invalid_request", message);
}

/** A text's vector in the response cache: the same text, model and length, the same vector. */
function embeddingKey(model: ModelInfo, dimensions: number | undefined, text: string): string {
  return cacheKey(["embedding", model.provider, model.id, dimensions ?? null, text]);
}
