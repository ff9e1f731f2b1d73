import type { KeyValueStorage } from "../shared/storage.ts";
import { indexedDbAnswerStore } from "./indexeddb-answer-store.ts";

/** What the model answered to one request: its text, and its parsed JSON when JSON was asked. */
export interface Answer {
  text: string;
  json?: unknown;
}

/** One stored answer's size (UTF-8 bytes of its key and answer) and last use (ms since 1970). */
export interface Usage {
  key: string;
  bytes: number;
  usedAt: number;
}

export interface StoreChanges {
  put: { usage: Usage; answer: Answer }[];
  /** New last uses of answers already stored. */
  touch: Usage[];
  remove: string[];
}

/** How much a store may hold; AnswerCache evicts the least recently used beyond it. */
export interface StoreBounds {
  entries: number;
  bytes: number;
}

/** IndexedDB has room for real workbooks: the browser grants a share of the disk. */
export const INDEXEDDB_MAX_ENTRIES = 100_000;
export const INDEXEDDB_MAX_BYTES = 100 * 1024 * 1024;
/** OfficeRuntime.storage and localStorage hold 5-10 MB per add-in, and the index is one item. */
export const KEY_VALUE_MAX_ENTRIES = 5_000;
export const KEY_VALUE_MAX_BYTES = 4 * 1024 * 1024;

/** Persistent answers by request key, with each one's size and last use. */
export interface AnswerStore {
  readonly bounds: StoreBounds;
  get(key: string): Promise<Answer | undefined>;
  /** Every stored answer's usage, without the answers. */
  usage(): Promise<Usage[]>;
  commit(changes: StoreChanges): Promise<void>;
  clear(): Promise<void>;
}

/** IndexedDB where the runtime has it; otherwise the add-in's key-value storage. */
export function answerStore(fallback: KeyValueStorage): AnswerStore {
  return typeof indexedDB !== "undefined"
    ? indexedDbAnswerStore(indexedDB)
    : keyValueAnswerStore(fallback);
}

const PREFIX = "officellm.fn-cache.v2.";
const INDEX = `${PREFIX}index`;
/** The sharded cache of earlier versions, removed on clear. */
const LEGACY_SHARDS = Array.from({ length: 64 }, (_, index) => `officellm.fn-cache.v1.${index}`);

/**
 * Answers in OfficeRuntime.storage or localStorage: one item per answer, and one index item
 * listing every answer's usage.
 */
export function keyValueAnswerStore(storage: KeyValueStorage): AnswerStore {
  let index: Promise<Map<string, Usage>> | undefined;
  const load = () =>
    (index ??= storage.get(INDEX).then(
      (raw) => {
        const entries = raw ? (JSON.parse(raw) as [string, number, number][]) : [];
        return new Map(entries.map(([key, bytes, usedAt]) => [key, { key, bytes, usedAt }]));
      },
      () => new Map<string, Usage>(),
    ));
  return {
    bounds: { entries: KEY_VALUE_MAX_ENTRIES, bytes: KEY_VALUE_MAX_BYTES },
    async get(key) {
      const raw = await storage.get(PREFIX + key);
      return raw ? (JSON.parse(raw) as Answer) : undefined;
    },
    async usage() {
      return [...(await load()).values()];
    },
    async commit({ put, touch, remove }) {
      const usage = await load();
      for (const key of remove) usage.delete(key);
      await Promise.all(remove.map((key) => storage.remove(PREFIX + key)));
      for (const entry of put) {
        await storage.set(PREFIX + entry.usage.key, JSON.stringify(entry.answer));
        usage.set(entry.usage.key, entry.usage);
      }
      for (const entry of touch) if (usage.has(entry.key)) usage.set(entry.key, entry);
      const rows = [...usage.values()].map(({ key, bytes, usedAt }) => [key, bytes, usedAt]);
      await storage.set(INDEX, JSON.stringify(rows));
    },
    async clear() {
      const keys = [...(await load()).keys()];
      index = Promise.resolve(new Map());
      await Promise.all(
        [INDEX, ...LEGACY_SHARDS, ...keys.map((key) => PREFIX + key)].map((key) =>
          storage.remove(key),
        ),
      );
    },
  };
}
