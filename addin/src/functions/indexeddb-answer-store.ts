import type { Answer, AnswerStore, Usage } from "./answer-store.ts";
import { INDEXEDDB_MAX_BYTES, INDEXEDDB_MAX_ENTRIES } from "./answer-store.ts";

const DATABASE = "officellm-fn-cache";
/** Answers by key, and (apart, so eviction reads no answers) their usage by key. */
const ANSWERS = "answers";
const USAGE = "usage";

function done<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error("IndexedDB request failed"));
  });
}

function committed(transaction: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    transaction.oncomplete = () => resolve();
    transaction.onerror = () => reject(transaction.error ?? new Error("IndexedDB write failed"));
    transaction.onabort = () => reject(transaction.error ?? new Error("IndexedDB write aborted"));
  });
}

function open(factory: IDBFactory): Promise<IDBDatabase> {
  const request = factory.open(DATABASE, 1);
  request.onupgradeneeded = () => {
    request.result.createObjectStore(ANSWERS);
    request.result.createObjectStore(USAGE, { keyPath: "key" });
  };
  return done(request);
}

/** Answers in the runtime's IndexedDB (the database is opened on first use). */
export function indexedDbAnswerStore(factory: IDBFactory): AnswerStore {
  let database: Promise<IDBDatabase> | undefined;
  const transaction = async (mode: IDBTransactionMode) =>
    (await (database ??= open(factory))).transaction([ANSWERS, USAGE], mode);
  return {
    bounds: { entries: INDEXEDDB_MAX_ENTRIES, bytes: INDEXEDDB_MAX_BYTES },
    async get(key) {
      const answers = (await transaction("readonly")).objectStore(ANSWERS);
      return (await done(answers.get(key))) as Answer | undefined;
    },
    async usage() {
      const usage = (await transaction("readonly")).objectStore(USAGE);
      return (await done(usage.getAll())) as Usage[];
    },
    async commit({ put, touch, remove }) {
      const writing = await transaction("readwrite");
      const answers = writing.objectStore(ANSWERS);
      const usage = writing.objectStore(USAGE);
      for (const key of remove) {
        answers.delete(key);
        usage.delete(key);
      }
      for (const entry of put) {
        answers.put(entry.answer, entry.usage.key);
        usage.put(entry.usage);
      }
      for (const entry of touch) usage.put(entry);
      await committed(writing);
    },
    async clear() {
      const writing = await transaction("readwrite");
      writing.objectStore(ANSWERS).clear();
      writing.objectStore(USAGE).clear();
      await committed(writing);
    },
  };
}
