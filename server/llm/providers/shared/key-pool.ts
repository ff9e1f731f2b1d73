import type { Clock } from "../../../clock.ts";
import type { Logger } from "../../../logger.ts";
import { ProviderError, type Provider } from "../../provider.ts";
import type { KeyOutcome, ProviderRequest, StreamChunk } from "../../types.ts";
import type { SharedParts } from "../definition.ts";
import type { PoolMember } from "./key-settings.ts";

/** How long a key that failed is set aside, and what clock tells when it is back. */
export interface KeySetAside {
  clock: Clock;
  /** A 429 without Retry-After (PROVIDER_KEY_COOLDOWN_SECONDS). */
  rateLimitedMs: number;
  /** A 401: the key is wrong or revoked (PROVIDER_KEY_REFUSED_COOLDOWN_SECONDS). */
  refusedMs: number;
}

export interface KeyPoolOptions extends KeySetAside {
  logger: Logger | undefined;
}

/** One of a provider's keys: its adapter (its own SDK client) and its state in the pool. */
interface PooledKey {
  label: string;
  provider: Provider;
  inFlight: number;
  /** Set aside until this time (ms since the epoch); 0 when usable. */
  asideUntil: number;
  /** What set it aside: what a caller is told while every key is. */
  asideFor: ProviderError | undefined;
  /** When it last could not be reached (ms since the epoch); 0 when it never failed so. */
  unreachableAt: number;
}

/**
 * How long a key (a server, for several local servers) that could not be reached is passed over
 * while another is usable. Not set aside: when every one fails to connect (a network outage), the
 * calls still go and fail as the provider's answer, not the pool's.
 */
const UNREACHABLE_MS = 10_000;

/**
 * A provider's keys as one provider: each call goes to the usable key with the fewest calls in
 * flight, in turn among equals; a key that answers 401 or 429 is set aside for a while and the
 * failure marked for an immediate retry on the next (retry.ts); one that cannot be reached is
 * passed over for a while. While every key is set aside, a
 * call gets the failure that set aside the key back soonest. One key is never set aside: the
 * provider's answer to each call is the truth, as without a pool.
 */
export class KeyPool {
  readonly #name: string;
  readonly #keys: PooledKey[];
  readonly #options: KeyPoolOptions;
  /** Where the next search for a key starts: the turn among keys equally busy. */
  #turn = 0;
  /**
   * The keys each call has tried, by its `onKey` (one per call, the same on each of its
   * attempts): a retry goes to a key the call has not failed on, while there is one.
   */
  readonly #tried = new WeakMap<object, Set<PooledKey>>();

  constructor(
    name: string,
    keys: readonly { label: string; provider: Provider }[],
    options: KeyPoolOptions,
  ) {
    if (keys.length === 0) throw new Error(`${name}: a key pool needs a key`);
    this.#name = name;
    this.#keys = keys.map((key) => ({
      ...key,
      inFlight: 0,
      asideUntil: 0,
      asideFor: undefined,
      unreachableAt: 0,
    }));
    this.#options = options;
  }

  /** The provider's calls, spread over its keys. */
  provider(): Provider {
    const first = this.#keys[0]!.provider;
    const caps = this.#keys.map((key) => key.provider.concurrency);
    return {
      name: this.#name,
      // Servers that each cap their calls take their caps' sum.
      concurrency: caps.every((cap) => cap !== undefined)
        ? caps.reduce((sum, cap) => sum + cap, 0)
        : undefined,
      complete: (request) => this.#run(request, (key) => key.complete(request)),
      stream: (request) => this.#stream(request),
      ...(first.listModels ? { listModels: () => this.#run(undefined, listModels) } : {}),
      // Every key's adapter is the same kind: when the first embeds, they all do.
      ...(first.embed
        ? { embed: (request) => this.#run(request, (key) => key.embed!(request)) }
        : {}),
    };
  }

  async *#stream(request: ProviderRequest): AsyncIterable<StreamChunk> {
    const key = this.#take(request);
    let opened = false;
    try {
      for await (const chunk of key.provider.stream(request)) {
        if (!opened) {
          opened = true;
          request.onKey?.({ label: key.label, outcome: "ok" });
        }
        yield chunk;
      }
    } catch (error) {
      // Once the stream has opened, its failure is the stream's, not the key's.
      throw opened ? error : this.#failed(key, error, request);
    } finally {
      key.inFlight--;
    }
  }

  async #run<T>(
    request: KeyTold | undefined,
    call: (provider: Provider) => Promise<T>,
  ): Promise<T> {
    const key = this.#take(request);
    try {
      const result = await call(key.provider);
      request?.onKey?.({ label: key.label, outcome: "ok" });
      return result;
    } catch (error) {
      throw this.#failed(key, error, request);
    } finally {
      key.inFlight--;
    }
  }

  /**
   * The usable key with the fewest calls in flight, counted in; else the failure to give. Keys the
   * call has failed on, then keys lately unreachable, are taken only when no other is usable.
   */
  #take(request: KeyTold | undefined): PooledKey {
    const now = this.#options.clock.now().getTime();
    const tried = request?.onKey ? this.#tried.get(request.onKey) : undefined;
    const avoided = (key: PooledKey) =>
      (tried?.has(key) ? 2 : 0) + (now - key.unreachableAt < UNREACHABLE_MS ? 1 : 0);
    let chosen: PooledKey | undefined;
    for (let step = 0; step < this.#keys.length; step++) {
      const key = this.#keys[(this.#turn + step) % this.#keys.length]!;
      if (key.asideUntil > now) continue;
      if (
        !chosen ||
        avoided(key) < avoided(chosen) ||
        (avoided(key) === avoided(chosen) && key.inFlight < chosen.inFlight)
      )
        chosen = key;
    }
    if (!chosen) throw this.#allAside(now);
    this.#turn = (this.#keys.indexOf(chosen) + 1) % this.#keys.length;
    chosen.inFlight++;
    return chosen;
  }

  /** Every key is set aside: the failure of the one back soonest, with the time left for it. */
  #allAside(now: number): ProviderError {
    const soonest = this.#keys.reduce((a, b) => (b.asideUntil < a.asideUntil ? b : a));
    const failure = soonest.asideFor!;
    return new ProviderError(failure.kind, failure.provider, failure.message, {
      status: failure.status,
      retryAfterMs: failure.kind === "rate_limited" ? soonest.asideUntil - now : undefined,
    });
  }

  /**
   * Counts the failure against the key; sets the key aside for a 401 or 429. A 429 that waiting
   * does not cure (an account out of credit: errors.ts makes it `rejected`) is a refusal. A 403
   * is not: it may be this request's (a model the key's project may not use), and setting the key
   * aside for it would let one caller take every key away from everyone. A key that could not be
   * reached is passed over for a while, and the call retried at once on another.
   */
  #failed(key: PooledKey, error: unknown, request: KeyTold | undefined): unknown {
    if (!(error instanceof ProviderError)) return error;
    const refused = error.status === 401 || (error.status === 429 && error.kind === "rejected");
    const outcome: KeyOutcome = refused
      ? "refused"
      : error.kind === "rate_limited"
        ? "rate_limited"
        : "failed";
    request?.onKey?.({ label: key.label, outcome });
    if (this.#keys.length === 1) return error;
    const { clock, refusedMs, rateLimitedMs } = this.#options;
    const now = clock.now().getTime();
    if (request?.onKey) {
      const tried = this.#tried.get(request.onKey) ?? new Set<PooledKey>();
      tried.add(key);
      this.#tried.set(request.onKey, tried);
    }
    if (error.kind === "connection") {
      key.unreachableAt = now;
      const untried = this.#keys.some(
        (other) =>
          other !== key && other.asideUntil <= now && now - other.unreachableAt >= UNREACHABLE_MS,
      );
      return untried ? anotherKey(error) : error;
    }
    if (outcome === "failed") return error;
    const forMs = refused ? refusedMs : (error.retryAfterMs ?? rateLimitedMs);
    if (key.asideUntil <= now) this.#logAside(key, error, forMs);
    key.asideUntil = Math.max(key.asideUntil, now + forMs);
    key.asideFor = error;
    const another = this.#keys.some((other) => other.asideUntil <= now);
    return another ? anotherKey(error) : error;
  }

  #logAside(key: PooledKey, error: ProviderError, forMs: number): void {
    const fields = {
      provider: this.#name,
      key: key.label,
      status: error.status,
      asideSeconds: Math.round(forMs / 1000),
    };
    if (error.kind === "rate_limited") {
      this.#options.logger?.info(
        fields,
        "provider key rate limited: set aside, calls go to the others",
      );
    } else {
      // An operator's problem: the key is wrong, revoked or lacks a permission. Said once per
      // setting aside, by its label (never the key).
      this.#options.logger?.error(
        { ...fields, code: "provider_key_refused" },
        "provider key refused: set aside; check or replace it (docs/troubleshooting.md)",
      );
    }
  }
}

/** A call that is told which key each of its attempts went to (a completion's, an embedding's). */
type KeyTold = Pick<ProviderRequest, "onKey">;

/** The failure, marked for an immediate retry on another key (retry.ts). */
function anotherKey(error: ProviderError): ProviderError {
  return new ProviderError(error.kind, error.provider, error.message, {
    status: error.status,
    anotherKey: true,
  });
}

function listModels(provider: Provider): Promise<string[]> {
  return provider.listModels?.() ?? Promise.resolve([]);
}

/** A provider of `members`' keys: one adapter (one SDK client) each, behind one pool. */
export function pooledProvider(
  name: string,
  members: readonly PoolMember[],
  shared: Pick<SharedParts, "keyPool" | "logger">,
  create: (member: PoolMember) => Provider,
): Provider {
  const keys = members.map((member) => ({ label: member.label, provider: create(member) }));
  return new KeyPool(name, keys, { ...shared.keyPool, logger: shared.logger }).provider();
}
