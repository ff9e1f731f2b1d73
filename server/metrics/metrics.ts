import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import { providerDefinitions } from "../llm/providers/provider-list.ts";
import type { KeyUse } from "../llm/types.ts";

/**
 * OfficeLLM's Prometheus metrics (docs/operations.md, "Metrics"), one registry per app so that
 * several apps in one process (tests) never mix their counts. Every label value comes from a
 * bounded set: route templates, HTTP methods and statuses, provider names, catalog models, the
 * operator's labels of provider keys (from the configuration) and error codes. Whatever else a caller sends (a model name of its own, a random path) is counted
 * under `unlisted`, `other` or `unmatched`, so that no request can add a series.
 */

/** What a model call came to: answered upstream, answered from the cache, or its error code. */
export type CallOutcome = "ok" | "cached" | string;

/** Refusals before any work: a token's rate limit, a client's failed sign-ins, a budget. */
export type Refusal = "rate_limit" | "auth_failures" | "budget";

const methods = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);
const providers = new Set<string>(providerDefinitions.map((definition) => definition.name));
/** Seconds, from a cache hit (a millisecond) to a long completion (two minutes). */
const latencyBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
/** Seconds: waits for a provider slot or a ledger commit are short unless something is wrong. */
const shortBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30];

export class Metrics {
  readonly registry = new Registry();
  readonly contentType = this.registry.contentType;
  #models = new Set<string>();

  readonly #httpRequests = new Counter({
    name: "officellm_http_requests_total",
    help: "HTTP requests answered, by method, route template and status",
    labelNames: ["method", "route", "status"],
    registers: [this.registry],
  });
  readonly #httpDuration = new Histogram({
    name: "officellm_http_request_duration_seconds",
    help: "Time from a request's arrival to its answer's end, by method and route template",
    labelNames: ["method", "route"],
    buckets: latencyBuckets,
    registers: [this.registry],
  });
  readonly #modelCalls = new Counter({
    name: "officellm_model_calls_total",
    help: "Model calls, by provider, model and outcome (ok, cached, or the error code)",
    labelNames: ["provider", "model", "outcome"],
    registers: [this.registry],
  });
  readonly #modelDuration = new Histogram({
    name: "officellm_model_call_duration_seconds",
    help: "Time a model call took, cache hits included, by provider and model",
    labelNames: ["provider", "model"],
    buckets: latencyBuckets,
    registers: [this.registry],
  });
  readonly #firstToken = new Histogram({
    name: "officellm_model_time_to_first_token_seconds",
    help: "Time from a streamed call's start to its first text upstream, by provider and model",
    labelNames: ["provider", "model"],
    buckets: latencyBuckets,
    registers: [this.registry],
  });
  readonly #tokens = new Counter({
    name: "officellm_model_tokens_total",
    help: "Tokens billed upstream (cache hits excluded), by provider, model and direction",
    labelNames: ["provider", "model", "direction"],
    registers: [this.registry],
  });
  readonly #cost = new Counter({
    name: "officellm_model_cost_usd_total",
    help: "What model calls cost, in US dollars, by provider and model",
    labelNames: ["provider", "model"],
    registers: [this.registry],
  });
  readonly #cacheLookups = new Counter({
    name: "officellm_cache_lookups_total",
    help: "Response cache lookups, by result (hit or miss)",
    labelNames: ["result"],
    registers: [this.registry],
  });
  readonly #sharedJoins = new Counter({
    name: "officellm_single_flight_joins_total",
    help: "Callers answered by an identical call already in flight instead of a call of their own",
    registers: [this.registry],
  });
  readonly #retries = new Counter({
    name: "officellm_model_retries_total",
    help: "Attempts retried upstream (429, 5xx, timeouts, connection errors), by provider",
    labelNames: ["provider"],
    registers: [this.registry],
  });
  readonly #keyAttempts = new Counter({
    name: "officellm_provider_key_attempts_total",
    help: "Attempts on each provider key, by provider, the operator's key label and outcome (ok, refused, rate_limited, failed)",
    labelNames: ["provider", "key", "outcome"],
    registers: [this.registry],
  });
  readonly #fallbacks = new Counter({
    name: "officellm_model_fallbacks_total",
    help: "Calls handed to the next model after a provider failure, by the failing provider and model",
    labelNames: ["provider", "model"],
    registers: [this.registry],
  });
  readonly #queueWaiting = new Gauge({
    name: "officellm_provider_queue_waiting",
    help: "Calls waiting for a provider slot (PROVIDER_CONCURRENCY) on this instance",
    labelNames: ["provider"],
    registers: [this.registry],
  });
  readonly #queueInFlight = new Gauge({
    name: "officellm_provider_in_flight",
    help: "Calls holding a provider slot on this instance",
    labelNames: ["provider"],
    registers: [this.registry],
  });
  readonly #queueWait = new Histogram({
    name: "officellm_provider_queue_wait_seconds",
    help: "Time a call waited for its provider slot",
    labelNames: ["provider"],
    buckets: shortBuckets,
    registers: [this.registry],
  });
  readonly #refusals = new Counter({
    name: "officellm_refusals_total",
    help: "Requests refused by a limit: rate_limit (a token's rpm), auth_failures, budget",
    labelNames: ["reason"],
    registers: [this.registry],
  });
  readonly #ledgerCommit = new Histogram({
    name: "officellm_ledger_commit_duration_seconds",
    help: "Time to commit a call's usage ledger row (the answer waits for it)",
    buckets: shortBuckets,
    registers: [this.registry],
  });
  constructor() {
    processMetrics();
  }

  /** The catalog's models: only these name a model in a label; any other is `unlisted`. */
  useCatalog(modelIds: Iterable<string>): void {
    this.#models = new Set(modelIds);
  }

  /**
   * Gauges read from a source at each scrape (for values the server keeps elsewhere, such as a
   * budget standing): `read` is called at most once per scrape and may reject (the gauge is
   * then left out of that scrape rather than failing it).
   */
  gaugeFromSource(name: string, help: string, read: () => Promise<number | undefined>): void {
    new Gauge({
      name,
      help,
      registers: [this.registry],
      async collect() {
        this.reset();
        const value = await read().catch(() => undefined);
        if (value !== undefined) this.set(value);
      },
    });
  }

  /** `officellm_ready{check}`: 1 while the check passes, 0 while it fails, read at each scrape. */
  readiness(read: () => Promise<readonly (readonly [string, boolean])[]>): void {
    new Gauge({
      name: "officellm_ready",
      help: "Whether each readiness check (store, redis) passes, as GET /ready runs them: 1 or 0",
      labelNames: ["check"],
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const [check, passes] of await read()) this.set({ check }, passes ? 1 : 0);
      },
    });
  }

  httpRequest(request: { method: string; route: string; status: number; seconds: number }): void {
    const method = methods.has(request.method) ? request.method : "OTHER";
    this.#httpRequests.inc({ method, route: request.route, status: String(request.status) });
    this.#httpDuration.observe({ method, route: request.route }, request.seconds);
  }

  modelCall(call: {
    provider: string;
    model: string;
    outcome: CallOutcome;
    seconds: number;
    usage: { inputTokens: number; outputTokens: number };
    costUsd: number;
  }): void {
    const labels = this.#modelLabels(call);
    this.#modelCalls.inc({ ...labels, outcome: call.outcome });
    this.#modelDuration.observe(labels, call.seconds);
    if (call.outcome === "cached") return;
    this.#tokens.inc({ ...labels, direction: "input" }, call.usage.inputTokens);
    this.#tokens.inc({ ...labels, direction: "output" }, call.usage.outputTokens);
    this.#cost.inc(labels, call.costUsd);
  }

  firstToken(call: { provider: string; model: string; seconds: number }): void {
    this.#firstToken.observe(this.#modelLabels(call), call.seconds);
  }

  cacheLookup(hit: boolean): void {
    this.#cacheLookups.inc({ result: hit ? "hit" : "miss" });
  }

  sharedCallJoined(): void {
    this.#sharedJoins.inc();
  }

  retried(provider: string): void {
    this.#retries.inc({ provider: providerLabel(provider) });
  }

  /** An attempt on one of a provider's keys: its label is the operator's, never the key. */
  keyAttempt(provider: string, use: KeyUse): void {
    this.#keyAttempts.inc({
      provider: providerLabel(provider),
      key: use.label,
      outcome: use.outcome,
    });
  }

  fellBack(call: { provider: string; model: string }): void {
    this.#fallbacks.inc(this.#modelLabels(call));
  }

  /**
   * Follows one wait for a provider slot: counted as waiting until it is granted (or given up),
   * then in flight until released. Returns what to call at each step.
   */
  providerSlot(provider: string): { granted(): void; gaveUp(): void; released(): void } {
    const labels = { provider: providerLabel(provider) };
    const started = performance.now();
    this.#queueWaiting.inc(labels);
    let waiting = true;
    const stopWaiting = () => {
      if (!waiting) return false;
      waiting = false;
      this.#queueWaiting.dec(labels);
      return true;
    };
    let holding = false;
    return {
      granted: () => {
        if (!stopWaiting()) return;
        this.#queueWait.observe(labels, (performance.now() - started) / 1000);
        holding = true;
        this.#queueInFlight.inc(labels);
      },
      gaveUp: () => void stopWaiting(),
      released: () => {
        if (!holding) return;
        holding = false;
        this.#queueInFlight.dec(labels);
      },
    };
  }

  refused(reason: Refusal): void {
    this.#refusals.inc({ reason });
  }

  ledgerCommitted(seconds: number): void {
    this.#ledgerCommit.observe(seconds);
  }

  /** The exposition, in Prometheus' text format: this app's metrics and the process's. */
  text(): Promise<string> {
    return Registry.merge([this.registry, processMetrics()]).metrics();
  }

  #modelLabels(call: { provider: string; model: string }): { provider: string; model: string } {
    return {
      provider: providerLabel(call.provider),
      model: this.#models.has(call.model) ? call.model : "unlisted",
    };
  }
}

let processRegistry: Registry | undefined;

/**
 * The process's metrics (CPU, memory, file descriptors, the heap, GC, the event loop's delay),
 * collected once per process however many apps it runs (tests run many): each collector watches
 * the event loop on a timer of its own.
 */
function processMetrics(): Registry {
  if (processRegistry) return processRegistry;
  processRegistry = new Registry();
  collectDefaultMetrics({ register: processRegistry });
  // Gauges named like counters, which `promtool check metrics` rejects; the same counts stay by
  // type in nodejs_active_handles, nodejs_active_requests and nodejs_active_resources.
  for (const name of [
    "nodejs_active_handles_total",
    "nodejs_active_requests_total",
    "nodejs_active_resources_total",
  ]) {
    processRegistry.removeSingleMetric(name);
  }
  return processRegistry;
}

function providerLabel(provider: string): string {
  return providers.has(provider) ? provider : "other";
}
