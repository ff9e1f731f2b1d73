import { LRUCache } from "lru-cache";
import type { Clock } from "../clock.ts";

export interface ReadThroughCacheOptions<V> {
  /** Reads a value from its source on a miss; concurrent misses of one key share one load. */
  load(key: string): Promise<V>;
  ttlMs: number;
  maxEntries: number;
  /** Ages entries, so that tests can move time. */
  clock: Clock;
}

/**
 * Keeps what `load` answered for `ttlMs`, the least recently used entries giving way past
 * `maxEntries`. Whatever `load` answers is kept, `undefined` ("no such row") included.
 */
export class ReadThroughCache<V> {
  // Boxed: lru-cache keeps no undefined.
  readonly #lru: LRUCache<string, { value: V }>;

  constructor(options: ReadThroughCacheOptions<V>) {
    this.#lru = new LRUCache<string, { value: V }>({
      max: options.maxEntries,
      ttl: options.ttlMs,
      perf: { now: () => options.clock.now().getTime() },
      // Read the clock at every check rather than reuse a reading for a millisecond.
      ttlResolution: 0,
      fetchMethod: (key) => options.load(key).then((value) => ({ value })),
      // A load overtaken by delete() or clear() still answers the reads waiting for it, but is
      // not kept: a read that began before an invalidation never brings the old row back.
      ignoreFetchAbort: true,
    });
  }

  async get(key: string): Promise<V> {
    // Never undefined: the fetch method always answers a box, or rejects.
    return (await this.#lru.fetch(key))!.value;
  }

  delete(key: string): void {
    this.#lru.delete(key);
  }

  clear(): void {
    this.#lru.clear();
  }
}
