import { randomUUID } from "node:crypto";
import type { Caller } from "../auth/token-service.ts";
import type { Clock } from "../clock.ts";
import type { Limits } from "../config.ts";
import type { Logger } from "../logger.ts";
import type { Store } from "../store/store.ts";
import {
  leavesTime,
  startCallTime,
  type CallTime,
  type RunningCallTime,
} from "./pipeline/call-time.ts";
import type { CompletionRequest } from "./request/completion-request.ts";
import type { ModelInfo, ModelRegistry } from "./model-registry.ts";
import {
  applyLocalStop,
  heldBack,
  prepareCompletion,
  type PreparedCompletion,
} from "./request/prepare.ts";
import { ProviderError, type Provider } from "./provider.ts";
import { describeProviderFailure, LlmError } from "./errors.ts";
import type { ResponseCache } from "./cache/response-cache.ts";
import { maxCostNanoUsd } from "./billing/max-cost.ts";
import { UsageLedger, type ReservationId } from "./billing/usage-ledger.ts";
import { withRetries, type RetryPolicy } from "./pipeline/retry.ts";
import { KeyedSemaphore, Semaphore } from "./pipeline/semaphore.ts";
import { SingleFlight } from "./cache/single-flight.ts";
import type { SchemaChecker } from "./schemas/schema-checker.ts";
import type { ChatMessage, ProviderRequest, StreamChunk, TokenUsage } from "./types.ts";
import { estimateTokens } from "./token-estimate.ts";
import { nanoUsdToUsd } from "../util/money.ts";

/** Who is asking, under which request id, the signal that cancels the work, and its deadline. */
export interface CallContext {
  caller: Caller;
  requestId: string;
  signal: AbortSignal;
  /** When the request's time is up (`performance.now()`); its model calls end before it. */
  deadline: number;
}

export interface CompletionOutcome {
  id: string;
  model: string;
  provider: string;
  text: string;
  json?: unknown;
  usage: TokenUsage & { costUsd: number };
  cached: boolean;
  latencyMs: number;
  /** Retries taken upstream (for the x-officellm-retries header). */
  retries: number;
  /** Time spent waiting on the provider, to report the gateway's own overhead. */
  upstreamMs: number;
}

export type StreamEvent =
  { type: "delta"; text: string } | { type: "done"; outcome: CompletionOutcome };

export interface CompletionStream {
  model: string;
  provider: string;
  cached: boolean;
  /** Retries taken to open the stream (for the x-officellm-retries header). */
  retries: number;
  events: AsyncGenerator<StreamEvent>;
}

/**
 * What a call that failed after the provider answered (an answer that broke the requested format)
 * had already cost, by the error it failed with, so that its ledger row carries the cost.
 */
const spentBefore = new WeakMap<object, { model: ModelInfo; usage: TokenUsage }>();

/**
 * The budget reservation of a shared call that failed, by the error it failed with, for the
 * caller paying for the call to release with its row.
 */
const reservedFor = new WeakMap<object, ReservationId>();

/** Where a call upstream leaves its budget reservation, for whoever records the call. */
interface Held {
  reservation?: ReservationId | undefined;
}

/** An answer from upstream (or the cache), before it is billed and recorded. */
interface Answer {
  text: string;
  json: unknown;
  usage: TokenUsage;
  model: ModelInfo;
  retries: number;
  upstreamMs: number;
  /** What was held against the budget for the call, released as its payer records it. */
  reservation?: ReservationId | undefined;
}

export interface CompletionServiceDeps {
  store: Store;
  registry: ModelRegistry;
  providers: Map<string, Provider>;
  cache: ResponseCache;
  schemas: SchemaChecker;
  clock: Clock;
  logger: Logger;
  timeoutMs: number;
  /** Kept back from a request's time to record its call and answer (call-time.ts). */
  answerMarginMs: number;
  /** Bounds every call, and so how long a budget reservation may have to last. */
  requestTimeoutMs: number;
  providerConcurrency: number;
  /** Calls one token may have upstream at once on this instance (config.limits). */
  inFlightPerToken: number;
  retry: RetryPolicy;
  limits: Pick<Limits, "bodyBytes">;
}

/**
 * Runs completions: cache and single-flight first, then, in turn among the token's calls, the
 * budget reservation, and the provider with retries, fallbacks and a per-provider concurrency
 * cap; writes one ledger row per call before the answer leaves.
 */
export class CompletionService {
  readonly #deps: CompletionServiceDeps;
  readonly #ledger: UsageLedger;
  readonly #flights = new SingleFlight<Answer>();
  readonly #slots = new Map<string, Semaphore>();
  readonly #turns: KeyedSemaphore;

  constructor(deps: CompletionServiceDeps) {
    this.#deps = deps;
    this.#ledger = new UsageLedger(deps.store, deps.clock, deps.requestTimeoutMs);
    this.#turns = new KeyedSemaphore(deps.inFlightPerToken);
  }

  get registry(): ModelRegistry {
    return this.#deps.registry;
  }

  prepare(
    request: Omit<CompletionRequest, "stream">,
    tokenId: string,
  ): Promise<PreparedCompletion> {
    return prepareCompletion(request, tokenId, this.#deps);
  }

  async complete(
    request: Omit<CompletionRequest, "stream">,
    context: CallContext,
  ): Promise<CompletionOutcome> {
    return this.run(await this.prepare(request, context.caller.tokenId), context);
  }

  /** Answers a prepared request: from the cache, a shared in-flight call, or upstream. */
  async run(prepared: PreparedCompletion, context: CallContext): Promise<CompletionOutcome> {
    const started = performance.now();
    let payer = true;
    const time = this.#callTime(context);
    const held: Held = {};
    try {
      if (!prepared.cacheable) {
        const answer = await this.#upstream(prepared, context.caller, time, held);
        return await this.#settle(prepared, context, answer, false, started);
      }
      const hit = await this.#cached(prepared);
      if (hit) return await this.#settle(prepared, context, hit, true, started);
      // Each caller waits for a shared call until its own time is up.
      const shared = await this.#flights.run(
        this.#flightKey(prepared, context.caller),
        time.signal,
        (signal) =>
          this.#sharedUpstream(prepared, context.caller, { signal, deadline: time.deadline }),
      );
      // One caller pays for a shared call (its starter, unless it went away), with the
      // reservation its starter made; the others get its answer as a replay, at no cost.
      payer = shared.payer;
      if (!shared.ok) {
        if (payer && typeof shared.error === "object" && shared.error !== null)
          held.reservation = reservedFor.get(shared.error);
        throw shared.error;
      }
      return await this.#settle(prepared, context, shared.value, !shared.payer, started);
    } catch (error) {
      throw await this.#fail(prepared, context, error, started, {
        payer,
        reservation: held.reservation,
      });
    } finally {
      time.stop();
    }
  }

  /**
   * Answers an item asked again within one batch with what its first asking got, answer or
   * failure: no upstream call, no cost, and a ledger row of its own.
   */
  async replay(
    prepared: PreparedCompletion,
    context: CallContext,
    first: Promise<CompletionOutcome>,
  ): Promise<CompletionOutcome> {
    const started = performance.now();
    let outcome: CompletionOutcome;
    try {
      outcome = await first;
    } catch (error) {
      throw await this.#fail(prepared, context, error, started, { payer: false });
    }
    const answer: Answer = {
      text: outcome.text,
      json: outcome.json,
      usage: outcome.usage,
      model: this.#deps.registry.resolve(outcome.model),
      retries: 0,
      upstreamMs: 0,
    };
    return this.#settle(prepared, context, answer, true, started);
  }

  /**
   * Opens a stream. Resolves once the first chunk is in hand, so failures before any output
   * still get their own status; later failures surface from `events` as LlmErrors.
   */
  async stream(prepared: PreparedCompletion, context: CallContext): Promise<CompletionStream> {
    const started = performance.now();
    const time = this.#callTime(context);
    let reservation: ReservationId | undefined;
    try {
      const hit = prepared.cacheable ? await this.#cached(prepared) : undefined;
      if (hit) {
        time.stop();
        const outcome = await this.#settle(prepared, context, hit, true, started);
        return {
          model: outcome.model,
          provider: outcome.provider,
          cached: true,
          retries: 0,
          events: (async function* () {
            yield { type: "delta" as const, text: outcome.text };
            yield { type: "done" as const, outcome };
          })(),
        };
      }
      const model = prepared.model;
      const leaveTurn = await this.#turns.acquire(context.caller.tokenId, time.signal);
      let releaseSlot = () => {};
      const release = () => {
        releaseSlot();
        leaveTurn();
      };
      try {
        reservation = await this.#admit(prepared, context.caller, true);
        releaseSlot = await this.#slot(model.provider).acquire(context.signal);
        const upstreamStarted = performance.now();
        let retries = 0;
        const opened = await withRetries(
          async () => {
            const chunks = this.#provider(model).stream(
              this.#providerRequest(prepared, model, time.signal),
            );
            const iterator = chunks[Symbol.asyncIterator]();
            return { iterator, first: await iterator.next() };
          },
          this.#deps.retry,
          time,
          () => retries++,
        );
        return {
          model: model.id,
          provider: model.provider,
          cached: false,
          retries,
          // The provider's slot and the call's clock last as long as the stream.
          events: this.#relay(prepared, context, opened, {
            started,
            upstreamStarted,
            retries,
            release: () => {
              release();
              time.stop();
            },
            reservation,
          }),
        };
      } catch (error) {
        release();
        throw error;
      }
    } catch (error) {
      time.stop();
      throw await this.#fail(prepared, context, error, started, { reservation });
    }
  }

  async *#relay(
    prepared: PreparedCompletion,
    context: CallContext,
    opened: { iterator: AsyncIterator<StreamChunk>; first: IteratorResult<StreamChunk> },
    timing: {
      started: number;
      upstreamStarted: number;
      retries: number;
      /** Ends the call's turn among its token's calls and its provider slot. */
      release: () => void;
      reservation: ReservationId | undefined;
    },
  ): AsyncGenerator<StreamEvent> {
    const { iterator } = opened;
    const stops = prepared.localStop;
    let text = "";
    /** With stops the gateway applies itself: everything received, of which `text` was sent. */
    let received = "";
    let usage: TokenUsage | undefined;
    let recorded = false;
    try {
      for (let step = opened.first; !step.done; step = await iterator.next()) {
        const chunk = step.value;
        if (chunk.type === "done") {
          usage = chunk.usage;
        } else if (!stops) {
          text += chunk.text;
          yield chunk;
        } else {
          // Send what can no longer turn out to be part of a stop sequence; the rest of the
          // answer is still read (it is billed), not sent.
          received += chunk.text;
          const safe = Math.min(
            applyLocalStop(received, stops).length,
            received.length - heldBack(received, stops),
          );
          if (safe > text.length) {
            yield { type: "delta", text: received.slice(text.length, safe) };
            text = received.slice(0, safe);
          }
        }
      }
      if (stops) {
        const final = applyLocalStop(received, stops);
        if (final.length > text.length) yield { type: "delta", text: final.slice(text.length) };
        text = final;
      }
      const answer: Answer = {
        text,
        json: undefined,
        usage: usage ?? this.#estimateUsage(prepared, stops ? received : text),
        model: prepared.model,
        retries: timing.retries,
        upstreamMs: performance.now() - timing.upstreamStarted,
        reservation: timing.reservation,
      };
      if (prepared.json) {
        const check = this.#deps.schemas.checkJson(text, prepared.json.schema);
        if (!check.ok)
          throw new ProviderError(
            "invalid_output",
            prepared.model.provider,
            `The model's answer broke the requested format: ${check.problem}`,
          );
        answer.json = check.value;
      }
      if (prepared.cacheable)
        await this.#deps.cache.set(prepared.key, {
          text,
          usage: answer.usage,
          model: prepared.model.id,
        });
      const outcome = await this.#settle(prepared, context, answer, false, timing.started);
      recorded = true;
      yield { type: "done", outcome };
    } catch (error) {
      recorded = true;
      throw await this.#fail(prepared, context, error, timing.started, {
        usage,
        reservation: timing.reservation,
      });
    } finally {
      timing.release();
      await iterator.return?.();
      // The consumer stopped reading (the client went away): the call still gets its row.
      if (!recorded)
        await this.#fail(prepared, context, new Error("stream abandoned"), timing.started, {
          usage,
          reservation: timing.reservation,
        });
    }
  }

  async #cached(prepared: PreparedCompletion): Promise<Answer | undefined> {
    const hit = await this.#deps.cache.get(prepared.key);
    if (!hit) return undefined;
    const check = prepared.json
      ? this.#deps.schemas.checkJson(hit.text, prepared.json.schema)
      : undefined;
    if (check && !check.ok) return undefined;
    return {
      text: hit.text,
      json: check?.ok ? check.value : undefined,
      usage: hit.usage,
      model: this.#deps.registry.resolve(hit.model),
      retries: 0,
      upstreamMs: 0,
    };
  }

  /**
   * A call upstream, in turn among its token's calls (cache hits and shared calls' other callers
   * take no turn). Its maximum cost is reserved first, in `held`, for whoever records the call.
   */
  async #upstream(
    prepared: PreparedCompletion,
    caller: Caller,
    time: CallTime,
    held: Held,
  ): Promise<Answer> {
    const leaveTurn = await this.#turns.acquire(caller.tokenId, time.signal);
    try {
      held.reservation = await this.#admit(prepared, caller, false);
      const answer = await this.#callUpstream(prepared, time);
      if (prepared.cacheable)
        await this.#deps.cache.set(prepared.key, {
          text: answer.text,
          usage: answer.usage,
          model: answer.model.id,
        });
      return { ...answer, reservation: held.reservation };
    } finally {
      leaveTurn();
    }
  }

  /**
   * The work of a shared call: its answer, or its error, carries its reservation to the caller
   * who pays for it. Its signal aborts once every caller has gone: then nobody is left to record
   * the call, and the reservation is given back here.
   */
  async #sharedUpstream(
    prepared: PreparedCompletion,
    caller: Caller,
    time: CallTime,
  ): Promise<Answer> {
    const held: Held = {};
    const { signal } = time;
    try {
      const answer = await this.#upstream(prepared, caller, time, held);
      if (signal.aborted) await this.#ledger.release(held.reservation);
      return answer;
    } catch (error) {
      const carried = typeof error === "object" && error !== null && !signal.aborted;
      if (carried && held.reservation !== undefined) reservedFor.set(error, held.reservation);
      else await this.#ledger.release(held.reservation);
      throw error;
    }
  }

  /**
   * Callers share a call when they ask the same; the one paying for it pays from the reservation
   * of the one who started it, so callers with a budget share calls with themselves only.
   */
  #flightKey(prepared: PreparedCompletion, caller: Caller): string {
    return caller.budgetUsd === null ? prepared.key : `${prepared.key}\n${caller.tokenId}`;
  }

  /**
   * Lets a call go upstream: once its token and rate limit have passed (the routes), its maximum
   * cost is reserved against the budget, and only then is the expensive per-request work done.
   */
  async #admit(
    prepared: PreparedCompletion,
    caller: Caller,
    streamed: boolean,
  ): Promise<ReservationId | undefined> {
    const reservation = await this.#ledger.reserve(caller, () =>
      maxCostNanoUsd(prepared, this.#deps.registry, streamed),
    );
    try {
      // The expensive step, only once the budget has passed: the schema's validator (cached).
      if (prepared.json?.schema) this.#deps.schemas.compile(prepared.json.schema);
    } catch (error) {
      await this.#ledger.release(reservation);
      throw error;
    }
    return reservation;
  }

  /** The model, then each fallback in turn while failures are the provider's and time is left. */
  async #callUpstream(prepared: PreparedCompletion, time: CallTime): Promise<Answer> {
    const candidates = [prepared.model, ...prepared.fallbacks];
    for (let index = 0; ; index++) {
      const model = candidates[index]!;
      try {
        return await this.#callModel(prepared, model, time);
      } catch (error) {
        const last = index === candidates.length - 1;
        if (
          last ||
          !(error instanceof ProviderError) ||
          error.kind === "rejected" ||
          time.signal.aborted ||
          !leavesTime(time, 0, this.#deps.retry.shortestAttemptMs)
        )
          throw error;
        this.#deps.logger.warn(
          { model: model.id, fallback: candidates[index + 1]!.id, kind: error.kind },
          "falling back",
        );
      }
    }
  }

  async #callModel(
    prepared: PreparedCompletion,
    model: ModelInfo,
    time: CallTime,
  ): Promise<Answer> {
    const release = await this.#slot(model.provider).acquire(time.signal);
    const started = performance.now();
    let retries = 0;
    const usage: TokenUsage = { inputTokens: 0, outputTokens: 0 };
    const call = (extra: ChatMessage[]) =>
      withRetries(
        () =>
          this.#provider(model).complete(
            this.#providerRequest(prepared, model, time.signal, extra),
          ),
        this.#deps.retry,
        time,
        () => retries++,
      ).then((result) => {
        usage.inputTokens += result.usage.inputTokens;
        usage.outputTokens += result.usage.outputTokens;
        return result;
      });
    try {
      const first = await call([]);
      const text = applyLocalStop(
        first.text,
        model.rules.noStop ? prepared.requested.stop : undefined,
      );
      if (!prepared.json)
        return {
          text,
          json: undefined,
          usage,
          model,
          retries,
          upstreamMs: performance.now() - started,
        };
      let check = this.#deps.schemas.checkJson(text, prepared.json.schema);
      let answerText = text;
      if (!check.ok) {
        // One more try, telling the model what was wrong with its answer.
        retries++;
        const second = await call([
          { role: "assistant", content: text },
          {
            role: "user",
            content: `That answer is not usable: ${check.problem}. Answer again with only the JSON.`,
          },
        ]);
        answerText = second.text;
        check = this.#deps.schemas.checkJson(answerText, prepared.json.schema);
      }
      if (!check.ok) {
        throw new ProviderError(
          "invalid_output",
          model.provider,
          `The model's answer broke the requested format twice: ${check.problem}`,
        );
      }
      return {
        text: answerText,
        json: check.value,
        usage,
        model,
        retries,
        upstreamMs: performance.now() - started,
      };
    } catch (error) {
      if (typeof error === "object" && error !== null && usage.inputTokens + usage.outputTokens > 0)
        spentBefore.set(error, { model, usage });
      throw error;
    } finally {
      release();
    }
  }

  #providerRequest(
    prepared: PreparedCompletion,
    model: ModelInfo,
    signal: AbortSignal,
    extra: ChatMessage[] = [],
  ): ProviderRequest {
    return {
      model: model.id,
      system: prepared.system,
      messages: extra.length > 0 ? [...prepared.messages, ...extra] : prepared.messages,
      // The caller's parameters, fitted to this model (a fallback may follow other rules).
      temperature: model.rules.fixedTemperature ?? prepared.requested.temperature,
      maxTokens:
        prepared.maxTokens === undefined
          ? undefined
          : Math.min(prepared.maxTokens, model.maxOutputTokens),
      stop: model.rules.noStop ? undefined : prepared.requested.stop,
      json: prepared.json,
      signal,
      timeoutMs: this.#deps.timeoutMs,
    };
  }

  /** The time the request's model calls have: the request's, less the time to answer. */
  #callTime(context: CallContext): RunningCallTime {
    return startCallTime(context.signal, context.deadline - this.#deps.answerMarginMs);
  }

  #provider(model: ModelInfo): Provider {
    const provider = this.#deps.providers.get(model.provider);
    if (!provider)
      throw new LlmError("invalid_request", `The provider of ${model.id} is not configured`);
    return provider;
  }

  #slot(provider: string): Semaphore {
    let slot = this.#slots.get(provider);
    if (!slot) {
      slot = new Semaphore(this.#deps.providerConcurrency);
      this.#slots.set(provider, slot);
    }
    return slot;
  }

  #estimateUsage(prepared: PreparedCompletion, text: string): TokenUsage {
    const input = (prepared.system ?? "") + prepared.messages.map((m) => m.content).join("");
    return { inputTokens: estimateTokens(input), outputTokens: estimateTokens(text) };
  }

  /** Bills and records an answer, then shapes it for the caller. */
  async #settle(
    prepared: PreparedCompletion,
    context: CallContext,
    answer: Answer,
    cached: boolean,
    started: number,
  ): Promise<CompletionOutcome> {
    const costNanoUsd = cached
      ? 0
      : this.#deps.registry.costNanoUsd(
          answer.model,
          answer.usage.inputTokens,
          answer.usage.outputTokens,
        );
    const latencyMs = Math.round(performance.now() - started);
    await this.#ledger.record(
      context.caller,
      context.requestId,
      {
        provider: answer.model.provider,
        model: answer.model.id,
        usage: answer.usage,
        costNanoUsd,
        cached,
        latencyMs,
        errorCode: null,
      },
      cached ? undefined : answer.reservation,
    );
    return {
      id: `cmpl_${randomUUID()}`,
      model: answer.model.id,
      provider: answer.model.provider,
      text: answer.text,
      ...(prepared.json ? { json: answer.json } : {}),
      usage: { ...answer.usage, costUsd: nanoUsdToUsd(costNanoUsd) },
      cached,
      latencyMs,
      retries: answer.retries,
      upstreamMs: Math.round(answer.upstreamMs),
    };
  }

  /**
   * Records a failed call and turns the failure into what the caller should see. The row carries
   * what the call cost (`usage`, or what a failed upstream call had spent) when `payer`, and
   * releases the call's budget `reservation`.
   */
  async #fail(
    prepared: PreparedCompletion,
    context: CallContext,
    error: unknown,
    started: number,
    paid: {
      usage?: TokenUsage | undefined;
      payer?: boolean;
      reservation?: ReservationId | undefined;
    } = {},
  ): Promise<unknown> {
    const { usage, payer = true, reservation } = paid;
    const carried = payer && typeof error === "object" && error !== null;
    // A request we could not serve as asked (a provider not configured here) was never a call;
    // a budget refusal is, and its row shows the operator who was turned away; so is a cancelled
    // one, a batch's copy of it too (whose first asking's failure is the "cancelled" refusal).
    if (error instanceof LlmError && error.code === "invalid_request" && !context.signal.aborted) {
      await this.#ledger.release(reservation);
      return error;
    }
    const failure = context.signal.aborted
      ? new LlmError("cancelled", "The request was cancelled")
      : error instanceof ProviderError
        ? describeProviderFailure(error)
        : error instanceof LlmError
          ? error
          : undefined;
    const spent = usage
      ? { model: prepared.model, usage }
      : carried
        ? spentBefore.get(error)
        : undefined;
    const model = spent?.model ?? prepared.model;
    const costNanoUsd = spent
      ? this.#deps.registry.costNanoUsd(model, spent.usage.inputTokens, spent.usage.outputTokens)
      : 0;
    await this.#ledger.record(
      context.caller,
      context.requestId,
      {
        provider: model.provider,
        model: model.id,
        usage: spent?.usage ?? { inputTokens: 0, outputTokens: 0 },
        costNanoUsd,
        cached: false,
        latencyMs: Math.round(performance.now() - started),
        errorCode: failure?.code ?? "internal",
      },
      reservation,
    );
    return failure ?? error;
  }
}
