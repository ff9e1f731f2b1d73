import { randomUUID } from "node:crypto";
import type { Caller } from "../auth/token-service.ts";
import type { Clock } from "../clock.ts";
import type { Limits } from "../config.ts";
import type { Logger } from "../logger.ts";
import type { Metrics } from "../metrics/metrics.ts";
import type { Store } from "../store/store.ts";
import { nanoUsdToUsd } from "../util/money.ts";
import { Billing } from "./billing/billing.ts";
import { UsageLedger } from "./billing/usage-ledger.ts";
import { AnswerCache } from "./cache/answer-cache.ts";
import type { ResponseCache } from "./cache/response-cache.ts";
import { SharedCalls } from "./cache/shared-calls.ts";
import { asLlmError, callFailure, type LlmError } from "./errors.ts";
import type { ModelInfo, ModelRegistry } from "./model-registry.ts";
import { checkChatModel } from "./model-kind.ts";
import { Admission, type Admitted } from "./pipeline/admission.ts";
import type { Answer } from "./pipeline/answer.ts";
import type { Release, SlotsSnapshot } from "./pipeline/fair-slots.ts";
import type { SingleFlight } from "./cache/single-flight.ts";
import { startCallTime, type CallTime, type RunningCallTime } from "./pipeline/call-time.ts";
import type { RetryPolicy } from "./pipeline/retry.ts";
import { StreamedAnswer } from "./pipeline/streamed-answer.ts";
import { Upstream, type OpenedStream } from "./pipeline/upstream.ts";
import { ProviderError, type Provider } from "./provider.ts";
import {
  prepareCompletion,
  type CompletionInput,
  type PreparedCompletion,
} from "./request/prepare.ts";
import type { SchemaChecker } from "./schemas/schema-checker.ts";
import { estimateTokens, imageTokens } from "./token-estimate.ts";
import type { TokenUsage, ToolCall } from "./types.ts";

export interface QueuesSnapshot {
  tokenTurns: SlotsSnapshot;
  /** By provider name; a provider appears once it has been called. */
  providers: Map<string, SlotsSnapshot>;
}

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
  /** The functions the model called, when it called any. */
  toolCalls?: ToolCall[];
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

export interface CompletionServiceDeps {
  store: Store;
  registry: ModelRegistry;
  providers: Map<string, Provider>;
  cache: ResponseCache;
  schemas: SchemaChecker;
  clock: Clock;
  logger: Logger;
  timeoutMs: number;
  /** Kept back from a request's time to record its call and answer (pipeline/call-time.ts). */
  answerMarginMs: number;
  /** Bounds every call, and so how long a budget reservation may have to last. */
  requestTimeoutMs: number;
  providerConcurrency: number;
  /** Calls one token may have upstream at once on this instance (config.limits). */
  inFlightPerToken: number;
  /** The longest a call waits for its token's turn, or for a provider's slot (config.limits). */
  queueWaitMs: number;
  retry: RetryPolicy;
  limits: Pick<Limits, "bodyBytes" | "tools" | "images">;
  /** The calls identical requests share; a test passes its own to count who waits. */
  flights?: SingleFlight<Answer>;
  metrics: Metrics;
}

/**
 * Runs completions. A request's path, top-down:
 * 1. prepare: template, settings and defaults; the parameters fitted to each model, once
 *    (request/prepare.ts);
 * 2. the response cache, then a call in flight for the same request (cache/);
 * 3. admission: a turn among the token's calls, a slot of the model's provider shared fairly
 *    among tokens (pipeline/provider-slots.ts), the budget reservation, then the schema's
 *    validator (pipeline/admission.ts);
 * 4. upstream: the model in that slot and its fallbacks, retries, the call's time, JSON repair
 *    (pipeline/upstream.ts); a stream is relayed with its stop sequences applied here;
 * 5. billing: one ledger row per call, written before the answer leaves (billing/billing.ts).
 */
export class CompletionService {
  readonly #deps: CompletionServiceDeps;
  readonly #cache: AnswerCache;
  readonly #shared: SharedCalls;
  readonly #admission: Admission;
  readonly #upstream: Upstream;
  readonly #billing: Billing;

  constructor(deps: CompletionServiceDeps) {
    this.#deps = deps;
    const ledger = new UsageLedger(deps.store, deps.clock, deps.requestTimeoutMs);
    this.#cache = new AnswerCache(deps);
    this.#shared = new SharedCalls((reservation) => ledger.release(reservation), deps.flights);
    this.#upstream = new Upstream(deps);
    this.#admission = new Admission({
      ...deps,
      ledger,
      providerSlot: (prepared, tokenId, time) => this.#upstream.slot(prepared, tokenId, time),
    });
    this.#billing = new Billing(ledger, deps.registry, deps.metrics);
  }

  get registry(): ModelRegistry {
    return this.#deps.registry;
  }

  /**
   * Lets a call other than a completion (embeddings) upstream as completions are: a turn among
   * its token's calls (TOKEN_MAX_IN_FLIGHT), then a slot of the model's provider, shared fairly
   * with the completions'. The function returned gives both back.
   */
  async admitCall(model: ModelInfo, tokenId: string, time: CallTime): Promise<Release> {
    const endTurn = await this.#admission.turn(tokenId, time);
    try {
      const slot = await this.#upstream.modelSlot(model, tokenId, time);
      return () => {
        slot();
        endTurn();
      };
    } catch (error) {
      endTurn();
      throw error;
    }
  }

  /** How many calls at once the provider that would answer `call` takes. */
  capacity(call: PreparedCompletion): number {
    return this.#upstream.capacity(call);
  }

  /**
   * The queues calls wait in before they go upstream, at this moment: the tokens' turns
   * (TOKEN_MAX_IN_FLIGHT) and each provider's slots, with the waits seen so far. Read-only.
   */
  queues(): QueuesSnapshot {
    return { tokenTurns: this.#admission.turns(), providers: this.#upstream.queues() };
  }

  /** Prepares a request (request/prepare.ts); an embedding model among its models is refused. */
  async prepare(request: CompletionInput, tokenId: string): Promise<PreparedCompletion> {
    const prepared = await prepareCompletion(request, tokenId, this.#deps);
    for (const { model } of prepared.candidates) checkChatModel(model, this.#deps.registry);
    return prepared;
  }

  async complete(request: CompletionInput, context: CallContext): Promise<CompletionOutcome> {
    return this.run(await this.prepare(request, context.caller.tokenId), context);
  }

  /** Answers a prepared request: from the cache, a shared call in flight, or upstream. */
  async run(prepared: PreparedCompletion, context: CallContext): Promise<CompletionOutcome> {
    const started = performance.now();
    const time = this.#callTime(context);
    try {
      if (!prepared.cacheable) {
        const answer = await this.#callUpstream(prepared, context.caller, time);
        return await this.#settle(prepared, context, answer, false, started);
      }
      const hit = await this.#cache.lookup(prepared);
      if (hit) return await this.#settle(prepared, context, hit, true, started);
      const shared = await this.#shared.join(prepared, context.caller, time, (flight) =>
        this.#callUpstream(prepared, context.caller, flight),
      );
      if (!shared.payer) this.#deps.metrics.sharedCallJoined();
      // The callers who did not pay get the answer as a replay, at no cost.
      return await this.#settle(prepared, context, shared.answer, !shared.payer, started);
    } catch (error) {
      throw await this.#recordedFailure(
        prepared,
        context,
        callFailure(error, context.signal),
        started,
      );
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
      // The first asking's failure was billed with its own row.
      const failure = callFailure(error, context.signal).unbilled();
      throw await this.#recordedFailure(prepared, context, failure, started);
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
    let admitted: Admitted | undefined;
    try {
      const hit = prepared.cacheable ? await this.#cache.lookup(prepared) : undefined;
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
      admitted = await this.#admission.admit(prepared, context.caller, time, true);
      const opened = await this.#upstream.open(prepared, time, admitted.slot);
      const { model } = prepared.candidates[0];
      this.#deps.metrics.firstToken({
        provider: model.provider,
        model: model.id,
        seconds: (performance.now() - started) / 1000,
      });
      return {
        model: model.id,
        provider: model.provider,
        cached: false,
        retries: opened.retries,
        // The call's turn, its provider slot and its clock last as long as the stream.
        events: this.#relay(prepared, context, opened, { started, admitted, time }),
      };
    } catch (error) {
      admitted?.leave();
      time.stop();
      const failure = callFailure(error, context.signal).carrying({
        reservation: admitted?.reservation,
      });
      throw await this.#recordedFailure(prepared, context, failure, started);
    }
  }

  /**
   * Relays a stream's text as it comes, holding back what may be part of a stop sequence the
   * gateway applies itself; checks a JSON answer at its end; keeps, bills and records it.
   */
  async *#relay(
    prepared: PreparedCompletion,
    context: CallContext,
    opened: OpenedStream,
    call: { started: number; admitted: Admitted; time: RunningCallTime },
  ): AsyncGenerator<StreamEvent> {
    const { model, localStop } = prepared.candidates[0];
    const streamed = new StreamedAnswer(localStop);
    const recordedFailure = (error: unknown) => {
      const { usage } = streamed;
      const failure = callFailure(error, context.signal).carrying({
        spent: usage && { model, usage },
        reservation: call.admitted.reservation,
      });
      return this.#recordedFailure(prepared, context, failure, call.started);
    };
    let recorded = false;
    try {
      for (let step = opened.first; !step.done; step = await opened.iterator.next()) {
        const text = streamed.add(step.value);
        if (text !== undefined) yield { type: "delta", text };
      }
      const rest = streamed.end();
      if (rest !== undefined) yield { type: "delta", text: rest };
      const answer: Answer = {
        text: streamed.text,
        json: undefined,
        toolCalls: streamed.toolCalls,
        usage: streamed.usage ?? estimateUsage(prepared, streamed.received),
        model,
        keyLabel: opened.keyLabel,
        retries: opened.retries,
        upstreamMs: performance.now() - opened.startedAt,
        reservation: call.admitted.reservation,
      };
      if (prepared.json) {
        const check = this.#deps.schemas.checkJson(answer.text, prepared.json.schema);
        if (!check.ok)
          throw new ProviderError(
            "invalid_output",
            model.provider,
            `The model's answer broke the requested format: ${check.problem}`,
          );
        answer.json = check.value;
      }
      await this.#cache.keep(prepared, answer);
      const outcome = await this.#settle(prepared, context, answer, false, call.started);
      recorded = true;
      yield { type: "done", outcome };
    } catch (error) {
      recorded = true;
      throw await recordedFailure(error);
    } finally {
      opened.release();
      call.admitted.leave();
      call.time.stop();
      await opened.iterator.return?.();
      // The consumer stopped reading (the client went away): the call still gets its row.
      if (!recorded) await recordedFailure(new Error("stream abandoned"));
    }
  }

  /**
   * A call upstream, once admitted; a cacheable answer is kept. Its reservation goes with its
   * answer, or its failure, to whoever records the call.
   */
  async #callUpstream(
    prepared: PreparedCompletion,
    caller: Caller,
    time: CallTime,
  ): Promise<Answer> {
    const admitted = await this.#admission.admit(prepared, caller, time, false);
    try {
      const answer = await this.#upstream.complete(prepared, caller.tokenId, time, admitted.slot);
      await this.#cache.keep(prepared, answer);
      return { ...answer, reservation: admitted.reservation };
    } catch (error) {
      throw asLlmError(error).carrying({ reservation: admitted.reservation });
    } finally {
      admitted.leave();
    }
  }

  /** The time the request's model calls have: the request's, less the time to answer. */
  #callTime(context: CallContext): RunningCallTime {
    return startCallTime(context.signal, context.deadline - this.#deps.answerMarginMs);
  }

  /** Bills and records an answer, then shapes it for the caller. */
  async #settle(
    prepared: PreparedCompletion,
    context: CallContext,
    answer: Answer,
    cached: boolean,
    started: number,
  ): Promise<CompletionOutcome> {
    const latencyMs = Math.round(performance.now() - started);
    let costNanoUsd: number;
    try {
      costNanoUsd = await this.#billing.answered(context, answer, { cached, latencyMs });
    } catch (error) {
      // The row was not written: the failure's row (if it can be) releases the reservation.
      throw asLlmError(error).carrying({ reservation: cached ? undefined : answer.reservation });
    }
    return {
      id: `cmpl_${randomUUID()}`,
      model: answer.model.id,
      provider: answer.model.provider,
      text: answer.text,
      ...(prepared.json ? { json: answer.json } : {}),
      ...(answer.toolCalls?.length ? { toolCalls: answer.toolCalls } : {}),
      usage: { ...answer.usage, costUsd: nanoUsdToUsd(costNanoUsd) },
      cached,
      latencyMs,
      retries: answer.retries,
      upstreamMs: Math.round(answer.upstreamMs),
    };
  }

  /** The failure a caller gets, once its call is recorded (billing/billing.ts): settled. */
  async #recordedFailure(
    prepared: PreparedCompletion,
    context: CallContext,
    failure: LlmError,
    started: number,
  ): Promise<LlmError> {
    const latencyMs = Math.round(performance.now() - started);
    await this.#billing.failed(context, failure, prepared.candidates[0].model, latencyMs);
    return failure.unbilled();
  }
}

/** A call's usage where the provider reported none: estimated from its text. */
function estimateUsage(prepared: PreparedCompletion, answer: string): TokenUsage {
  const input = (prepared.system ?? "") + prepared.messages.map((m) => m.content).join("");
  return {
    inputTokens: estimateTokens(input) + imageTokens(prepared.messages),
    outputTokens: estimateTokens(answer),
  };
}
