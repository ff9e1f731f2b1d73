import type { KeyValueStorage } from "../shared/storage.ts";
import { answerStore, type Answer, type AnswerStore, type Usage } from "./answer-store.ts";

export type { Answer } from "./answer-store.ts";

export interface CacheLimits {
  /** Answers kept in memory (least recently used dropped first). Default 20,000. */
  memoryEntries: number;
  /**
   * Lower bounds than the persistent store's own (answer-store.ts: 100,000 answers and 100 MB in
   * IndexedDB, 5,000 and 4 MB in OfficeRuntime.storage or localStorage). 0: no persistent cache.
   */
  persistentEntries?: number;
  persistentBytes?: number;
}

export const defaultCacheLimits: CacheLimits = { memoryEntries: 20_000 };

/** Beyond a bound, the least recently used answers go until the store is this full again. */
const EVICT_TO = 0.9;
/** An answer larger than this share of the byte bound stays in memory only. */
const LARGEST_SHARE = 1 / 16;

const encoder = new TextEncoder();

/**
 * Answers by request key, in memory and in the add-in's persistent store, so reopening or
 * recalculating a workbook (or undoing, or inserting rows) finds them without a model call.
 * The store is bounded by answers and bytes, and loses the least recently used first.
 */
export class AnswerCache {
  readonly #store: AnswerStore;
  readonly #maxEntries: number;
  readonly #maxBytes: number;
  readonly #memoryEntries: number;
  readonly #memory = new Map<string, Answer>();
  #index: Promise<Map<string, Usage>> | undefined;
  readonly #put = new Map<string, { usage: Usage; answer: Answer }>();
  readonly #touch = new Map<string, number>();
  readonly #remove = new Set<string>();
  #writing: Promise<void> = Promise.resolve();
  #writeScheduled = false;
  #generation = 0;
  #lastUse = 0;

  constructor(store: AnswerStore | KeyValueStorage, limits: Partial<CacheLimits> = {}) {
    this.#store = "commit" in store ? store : answerStore(store);
    this.#memoryEntries = limits.memoryEntries ?? defaultCacheLimits.memoryEntries;
    this.#maxEntries = Math.min(limits.persistentEntries ?? Infinity, this.#store.bounds.entries);
    this.#maxBytes = Math.min(limits.persistentBytes ?? Infinity, this.#store.bounds.bytes);
  }

  get #persistent(): boolean {
    return this.#maxEntries > 0 && this.#maxBytes > 0;
  }

  /** A memory hit, without waiting. */
  peek(key: string): Answer | undefined {
    const hit = this.#memory.get(key);
    if (hit) {
      this.#remember(key, hit);
      this.#used(key);
    }
    return hit;
  }

  /** A memory or persistent hit. */
  async get(key: string): Promise<Answer | undefined> {
    const hit = this.peek(key) ?? this.#put.get(key)?.answer;
    if (hit || !this.#persistent || this.#remove.has(key)) return hit;
    const generation = this.#generation;
    const stored = await this.#store.get(key).catch(() => undefined);
    if (!stored || typeof stored.text !== "string" || generation !== this.#generation) return;
    const answer: Answer =
      stored.json === undefined ? { text: stored.text } : { text: stored.text, json: stored.json };
    this.#remember(key, answer);
    this.#used(key);
    return answer;
  }

  set(key: string, answer: Answer): void {
    this.#remember(key, answer);
    if (!this.#persistent) return;
    const bytes = encoder.encode(key + JSON.stringify(answer)).length;
    if (bytes > this.#maxBytes * LARGEST_SHARE) return;
    this.#remove.delete(key);
    this.#put.set(key, { usage: { key, bytes, usedAt: this.#now() }, answer });
    this.#scheduleWrite();
  }

  /** Forgets one answer. */
  delete(key: string): void {
    this.#memory.delete(key);
    if (!this.#persistent) return;
    this.#put.delete(key);
    this.#touch.delete(key);
    this.#remove.add(key);
    this.#scheduleWrite();
  }

  /** Resolves once every answer given so far is in persistent storage. */
  async flush(): Promise<void> {
    let current: Promise<void>;
    do {
      current = this.#writing;
      await current;
    } while (current !== this.#writing);
  }

  /** Forgets every answer, in memory and in storage. */
  async clear(): Promise<void> {
    this.#generation += 1;
    this.#memory.clear();
    this.#put.clear();
    this.#touch.clear();
    this.#remove.clear();
    this.#index = undefined;
    await this.#store.clear();
  }

  #remember(key: string, answer: Answer): void {
    this.#memory.delete(key);
    this.#memory.set(key, answer);
    while (this.#memory.size > this.#memoryEntries) {
      const oldest = this.#memory.keys().next().value as string;
      this.#memory.delete(oldest);
    }
  }

  /** Notes a use, written with the next batch, so a much-used answer is the last to go. */
  #used(key: string): void {
    if (!this.#persistent) return;
    const put = this.#put.get(key);
    if (put) put.usage.usedAt = this.#now();
    else this.#touch.set(key, this.#now());
    this.#scheduleWrite();
  }

  /** Strictly increasing, so uses within one millisecond keep their order. */
  #now(): number {
    this.#lastUse = Math.max(Date.now(), this.#lastUse + 1);
    return this.#lastUse;
  }

  #load(): Promise<Map<string, Usage>> {
    this.#index ??= this.#store.usage().then(
      (usage) => {
        for (const { usedAt } of usage) this.#lastUse = Math.max(this.#lastUse, usedAt);
        return new Map(usage.map((entry) => [entry.key, entry]));
      },
      () => new Map<string, Usage>(),
    );
    return this.#index;
  }

  #scheduleWrite(): void {
    if (this.#writeScheduled) return;
    this.#writeScheduled = true;
    const generation = this.#generation;
    this.#writing = this.#writing.then(async () => {
      // Gather the answers and uses of one batch into one write.
      await new Promise((resolve) => setTimeout(resolve, 50));
      this.#writeScheduled = false;
      if (generation !== this.#generation) return;
      await this.#write();
    });
  }

  async #write(): Promise<void> {
    const index = await this.#load();
    const put = [...this.#put.values()];
    const remove = [...this.#remove];
    const touched = [...this.#touch];
    this.#put.clear();
    this.#remove.clear();
    this.#touch.clear();
    for (const key of remove) index.delete(key);
    for (const entry of put) index.set(entry.usage.key, entry.usage);
    const putKeys = new Set(put.map((entry) => entry.usage.key));
    const touch: Usage[] = [];
    for (const [key, usedAt] of touched) {
      const usage = index.get(key);
      if (usage && !putKeys.has(key)) touch.push(Object.assign(usage, { usedAt }));
    }
    remove.push(...this.#evict(index, this.#maxEntries, this.#maxBytes));
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await this.#store.commit({
          put: put.filter((entry) => index.has(entry.usage.key)),
          touch: touch.filter((usage) => index.has(usage.key)),
          remove,
        });
        return;
      } catch {
        // Storage full: drop the less recently used half and try again.
        remove.push(...this.#evict(index, Math.floor(index.size / 2), Infinity));
      }
    }
  }

  /** Removes the least recently used answers from the index, to 90% of a bound it exceeds. */
  #evict(index: Map<string, Usage>, maxEntries: number, maxBytes: number): string[] {
    let bytes = 0;
    for (const usage of index.values()) bytes += usage.bytes;
    if (index.size <= maxEntries && bytes <= maxBytes) return [];
    const entriesGoal = Math.floor(maxEntries * EVICT_TO);
    const bytesGoal = maxBytes * EVICT_TO;
    const evicted: string[] = [];
    const oldestFirst = [...index.values()].sort((a, b) => a.usedAt - b.usedAt);
    for (const usage of oldestFirst) {
      if (index.size <= entriesGoal && bytes <= bytesGoal) break;
      index.delete(usage.key);
      bytes -= usage.bytes;
      evicted.push(usage.key);
    }
    return evicted;
  }
}

/** Removes the custom functions' persistent cache from storage (for example on sign-out). */
export async function clearPersistentCache(storage: KeyValueStorage): Promise<void> {
  await answerStore(storage).clear();
}
