import { setImmediate as nextTurn } from "node:timers/promises";
import type { Caller } from "../auth/token-service.ts";
import { TurnShares } from "../util/turn-shares.ts";
import type { BatchItem, BatchItemResult } from "./request/completion-request.ts";
import type { CallContext, CompletionOutcome, CompletionService } from "./completion-service.ts";
import { LlmError, toldFailure } from "./errors.ts";
import { FairSlots } from "./pipeline/fair-slots.ts";
import type { PreparedCompletion } from "./request/prepare.ts";

/** Why an item failed: an error code of the API and its message. */
export type ItemError = Extract<BatchItemResult, { ok: false }>["error"];

/** An item that is not a completion request: answered alone with what its check found. */
export interface InvalidBatchItem {
  id: string | undefined;
  invalid: ItemError;
}

/** What a failed item says: its own failure, or `internal` for a bug of ours. */
function itemError(error: unknown): ItemError {
  const failure = toldFailure(error);
  return failure
    ? { code: failure.code, message: failure.message }
    : { code: "internal", message: "This item failed on our side" };
}

function failure(id: string, error: ItemError): BatchItemResult {
  return { id, ok: false, error: { code: error.code, message: error.message } };
}

function success(id: string, outcome: CompletionOutcome): BatchItemResult {
  const { id: completionId, retries: _retries, upstreamMs: _upstreamMs, ...rest } = outcome;
  return { id, ok: true, completionId, ...rest };
}

/**
 * Calls of batch and job items that start in one turn of the event loop, across every batch and
 * job: each start builds and sends a request upstream (about half a millisecond of the main
 * thread with the provider's SDK), and hundreds of items starting together would hold every other
 * request back for all of them.
 */
export const ITEM_STARTS_PER_TURN = 16;

/** Main-thread time a batch's items are prepared in before the event loop gets a turn. */
const PREPARE_SLICE_MS = 2;
const itemStarts = new TurnShares(ITEM_STARTS_PER_TURN);

/** How a batch's items run: in whose name, each in which context, how many at once. */
export interface ItemRun {
  /** Who asks: whose settings and templates the items are prepared with. */
  caller: Caller;
  /** The context an item runs in, asked for as it starts (a job gives each its own time). */
  contextFor(index: number): CallContext;
  /** Items whose call is under way at once; a copy of one waits beside them, taking no turn. */
  concurrency: number;
  /** Told of each item's result as it comes, in the order they come. */
  onResult?(index: number, result: BatchItemResult): void;
  /** Once aborted, an item not yet started fails `cancelled` instead of starting. */
  stop?: AbortSignal;
}

/**
 * Runs a batch: items in order, each succeeding or failing alone, at most `inFlight` at once
 * (BATCH_MAX_IN_FLIGHT) and no more than their provider takes (see `runItems`).
 * Identical items are asked once; the copies get the same answer or failure, each recorded in the
 * ledger at no cost.
 */
export function runBatch(
  service: CompletionService,
  items: (BatchItem | InvalidBatchItem)[],
  context: CallContext,
  inFlight: number,
): Promise<BatchItemResult[]> {
  return runItems(service, items, {
    caller: context.caller,
    contextFor: () => context,
    concurrency: inFlight,
  });
}

/**
 * Runs a batch's items as `run` says; resolves with every result, in the items' order. The items
 * are paced: at most as many are under way as their provider takes at once (PROVIDER_CONCURRENCY,
 * or a local server's own), the rest wait here, holding no place among the token's calls and no
 * slot, instead of in the provider's queue, whose wait is bounded (QUEUE_TIMEOUT_MS) for callers
 * waiting on the line.
 * Their calls start at most ITEM_STARTS_PER_TURN a turn of the event loop.
 */
export async function runItems(
  service: CompletionService,
  items: (BatchItem | InvalidBatchItem)[],
  run: ItemRun,
): Promise<BatchItemResult[]> {
  // Prepared in slices of the main thread, the event loop given a turn between two: a batch of
  // hundreds must not hold every other caller up meanwhile. (A JSON Schema's compile waits for a
  // turn of its own.) A turn per item would spread a 250-item job's starts over 250 turns.
  const prepared: ({ call: PreparedCompletion } | { error: ItemError })[] = [];
  let slice = performance.now();
  for (const item of items) {
    if (performance.now() - slice >= PREPARE_SLICE_MS) {
      await nextTurn();
      slice = performance.now();
    }
    prepared.push(await prepare(service, item, run.caller.tokenId));
  }

  const results: BatchItemResult[] = new Array<BatchItemResult>(items.length);
  const settle = (index: number, result: BatchItemResult) => {
    results[index] = result;
    run.onResult?.(index, result);
  };
  const firstRun = new Map<string, Promise<CompletionOutcome>>();
  const copies: Promise<void>[] = [];
  const answer = async (index: number, work: () => Promise<CompletionOutcome>, id: string) => {
    try {
      settle(index, success(id, await work()));
    } catch (error) {
      settle(index, failure(id, itemError(error)));
    }
  };
  const pacer = new ProviderPacer(service, run.stop);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      const id = items[index]!.id ?? String(index);
      const ready = prepared[index]!;
      if ("error" in ready) {
        settle(index, failure(id, ready.error));
        continue;
      }
      if (run.stop?.aborted) {
        settle(index, failure(id, { code: "cancelled", message: "The job was cancelled" }));
        continue;
      }
      const { call } = ready;
      const identity = identityOf(call);
      const earlier = firstRun.get(identity);
      if (earlier) {
        const context = run.contextFor(index);
        copies.push(answer(index, () => service.replay(call, context, earlier), id));
        continue;
      }
      const start = async () => {
        await itemStarts.next(run.caller.tokenId);
        return service.run(call, run.contextFor(index));
      };
      const first = pacer.run(call, start);
      firstRun.set(identity, first);
      await answer(index, () => first, id);
    }
  };
  await Promise.all(Array.from({ length: Math.min(run.concurrency, items.length) }, worker));
  await Promise.all(copies);
  return results;
}

async function prepare(
  service: CompletionService,
  item: BatchItem | InvalidBatchItem,
  tokenId: string,
): Promise<{ call: PreparedCompletion } | { error: ItemError }> {
  if ("invalid" in item) return { error: item.invalid };
  const { id: _id, ...request } = item;
  try {
    return { call: await service.prepare(request, tokenId) };
  } catch (error) {
    return { error: itemError(error) };
  }
}

/** Items are the same when everything that shapes the answer is the same. */
function identityOf(call: PreparedCompletion): string {
  const fallbacks = call.candidates.slice(1).map(({ model }) => model.id);
  return `${call.key}:${fallbacks.join(",")}`;
}

/** A run's items under way, per provider: no more at once than the provider takes. */
class ProviderPacer {
  readonly #lanes = new Map<string, FairSlots>();
  readonly #service: CompletionService;
  readonly #stop: AbortSignal;

  constructor(service: CompletionService, stop: AbortSignal | undefined) {
    this.#service = service;
    this.#stop = stop ?? new AbortController().signal;
  }

  /** Runs `work` once the call's provider has room among this run's items. */
  async run<T>(call: PreparedCompletion, work: () => Promise<T>): Promise<T> {
    const provider = call.candidates[0].model.provider;
    let lane = this.#lanes.get(provider);
    if (!lane) {
      lane = new FairSlots(this.#service.capacity(call));
      this.#lanes.set(provider, lane);
    }
    let release: () => void;
    try {
      release = await lane.acquire("run", this.#stop, { deadline: Infinity, expired: cancelled });
    } catch {
      throw cancelled();
    }
    try {
      return await work();
    } finally {
      release();
    }
  }
}

function cancelled(): LlmError {
  return new LlmError("cancelled", "The job was cancelled");
}
