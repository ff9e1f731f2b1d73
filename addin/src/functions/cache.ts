import type { KeyValueStorage } from "../shared/storage.ts";

/** What the model answered to one request: its text, and its parsed JSON when JSON was asked. */
export interface Answer {
  text: string;
  json?: unknown;
}

export interface CacheLimits {
  /** Answers kept in memory (least recently used dropped first). Default 20,000. */
  memoryEntries: number;
  /**
   * Persistent storage is split into `shards` entries (by the first byte of the key) of at most
   * `shardMaxChars` characters each, oldest dropped first: at most 64 × 64,000 characters,
   * about 4 MB with the defaults, within OfficeRuntime.storage's and localStorage's quotas.
   * 0 shards: no persistent cache.
   */
  shards: number;
  shardMaxChars: number;
}

export const defaultCacheLimits: CacheLimits = {
  memoryEntries: 20_000,
  shards: 64,
  shardMaxChars: 64_000,
};

const PREFIX = "officellm.fn-cache.v1.";

type Stored = { t: string; j?: unknown };

interface Shard {
  entries: Map<string, Stored>;
  chars: number;
}

function storedSize(key: string, stored: Stored): number {
  return key.length + JSON.stringify(stored).length + 8;
}

/**
 * Answers by request key, in memory and in the add-in's persistent storage, so reopening or
 * recalculating a workbook (or undoing, or inserting rows) finds them without a model call.
 */
export class AnswerCache {
  readonly #storage: KeyValueStorage;
  readonly #limits: CacheLimits;
  readonly #memory = new Map<string, Answer>();
  readonly #shards = new Map<number, Promise<Shard>>();
  readonly #dirty = new Set<number>();
  #writing: Promise<void> = Promise.resolve();
  #writeScheduled = false;
  #generation = 0;

  constructor(storage: KeyValueStorage, limits: Partial<CacheLimits> = {}) {
    this.#storage = storage;
    this.#limits = { ...defaultCacheLimits, ...limits };
  }

  /** A memory hit, without waiting. */
  peek(key: string): Answer | undefined {
    const hit = this.#memory.get(key);
    if (hit) {
      this.#memory.delete(key);
      this.#memory.set(key, hit);
    }
    return hit;
  }

  /** A memory or persistent hit. */
  async get(key: string): Promise<Answer | undefined> {
    const hit = this.peek(key);
    if (hit || this.#limits.shards <= 0) return hit;
    const index = this.#shardOf(key);
    const shard = await this.#load(index);
    const stored = shard.entries.get(key);
    if (!stored) return undefined;
    // Most recently used last, so it is the last to be dropped.
    shard.entries.delete(key);
    shard.entries.set(key, stored);
    const answer: Answer =
      stored.j === undefined ? { text: stored.t } : { text: stored.t, json: stored.j };
    this.#remember(key, answer);
    return answer;
  }

  set(key: string, answer: Answer): void {
    this.#remember(key, answer);
    if (this.#limits.shards <= 0) return;
    const stored: Stored =
      answer.json === undefined ? { t: answer.text } : { t: answer.text, j: answer.json };
    const size = storedSize(key, stored);
    // One answer larger than a quarter of a shard stays in memory only.
    if (size > this.#limits.shardMaxChars / 4) return;
    const index = this.#shardOf(key);
    void this.#load(index).then((shard) => {
      const previous = shard.entries.get(key);
      if (previous) {
        shard.entries.delete(key);
        shard.chars -= storedSize(key, previous);
      }
      shard.entries.set(key, stored);
      shard.chars += size;
      for (const [oldKey, oldValue] of shard.entries) {
        if (shard.chars <= this.#limits.shardMaxChars) break;
        shard.entries.delete(oldKey);
        shard.chars -= storedSize(oldKey, oldValue);
      }
      this.#dirty.add(index);
      this.#scheduleWrite();
    });
  }

  /** Forgets one answer. */
  delete(key: string): void {
    this.#memory.delete(key);
    if (this.#limits.shards <= 0) return;
    const index = this.#shardOf(key);
    void this.#load(index).then((shard) => {
      const stored = shard.entries.get(key);
      if (!stored) return;
      shard.entries.delete(key);
      shard.chars -= storedSize(key, stored);
      this.#dirty.add(index);
      this.#scheduleWrite();
    });
  }

  /** Resolves once every answer given so far is in persistent storage. */
  async flush(): Promise<void> {
    await Promise.all(this.#shards.values());
    await new Promise((resolve) => setTimeout(resolve, 0));
    let current: Promise<void>;
    do {
      current = this.#writing;
      await current;
    } while (current !== this.#writing || this.#dirty.size > 0);
  }

  /** Forgets every answer, in memory and in storage. */
  async clear(): Promise<void> {
    this.#generation += 1;
    this.#memory.clear();
    this.#shards.clear();
    this.#dirty.clear();
    await clearPersistentCache(this.#storage, this.#limits.shards);
  }

  #remember(key: string, answer: Answer): void {
    this.#memory.delete(key);
    this.#memory.set(key, answer);
    while (this.#memory.size > this.#limits.memoryEntries) {
      const oldest = this.#memory.keys().next().value as string;
      this.#memory.delete(oldest);
    }
  }

  #shardOf(key: string): number {
    return Number.parseInt(key.slice(0, 4), 16) % this.#limits.shards;
  }

  #load(index: number): Promise<Shard> {
    let shard = this.#shards.get(index);
    if (!shard) {
      shard = this.#read(index);
      this.#shards.set(index, shard);
    }
    return shard;
  }

  async #read(index: number): Promise<Shard> {
    const shard: Shard = { entries: new Map(), chars: 0 };
    try {
      const raw = await this.#storage.get(`${PREFIX}${index}`);
      const parsed = raw ? (JSON.parse(raw) as { e?: [string, Stored][] }) : undefined;
      for (const [key, stored] of parsed?.e ?? []) {
        if (typeof key === "string" && stored && typeof stored.t === "string") {
          shard.entries.set(key, stored);
          shard.chars += storedSize(key, stored);
        }
      }
    } catch {
      // Unreadable storage or a damaged shard: start it afresh.
    }
    return shard;
  }

  #scheduleWrite(): void {
    if (this.#writeScheduled) return;
    this.#writeScheduled = true;
    const generation = this.#generation;
    this.#writing = this.#writing.then(async () => {
      // Gather the answers of one batch into one write per shard.
      await new Promise((resolve) => setTimeout(resolve, 50));
      this.#writeScheduled = false;
      if (generation !== this.#generation) return;
      const indexes = [...this.#dirty];
      this.#dirty.clear();
      for (const index of indexes) {
        const shard = await this.#load(index);
        await this.#write(index, shard);
      }
    });
  }

  async #write(index: number, shard: Shard): Promise<void> {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await this.#storage.set(`${PREFIX}${index}`, JSON.stringify({ e: [...shard.entries] }));
        return;
      } catch {
        // Storage full: keep the newer half and try again.
        const keep = [...shard.entries].slice(Math.floor(shard.entries.size / 2));
        shard.entries = new Map(keep);
        shard.chars = keep.reduce((sum, [key, stored]) => sum + storedSize(key, stored), 0);
      }
    }
  }
}

/** Removes the custom functions' persistent cache from storage (for example on sign-out). */
export async function clearPersistentCache(
  storage: KeyValueStorage,
  shards: number = defaultCacheLimits.shards,
): Promise<void> {
  await Promise.all(
    Array.from({ length: shards }, (_, index) => storage.remove(`${PREFIX}${index}`)),
  );
}
