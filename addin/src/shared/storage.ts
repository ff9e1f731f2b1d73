/**
 * Key-value storage shared by the task pane and the custom functions: OfficeRuntime.storage
 * inside Office (shared runtime), localStorage in a plain browser.
 */
export interface KeyValueStorage {
  get(key: string): Promise<string | null>;
  set(key: string, value: string): Promise<void>;
  remove(key: string): Promise<void>;
}

export function browserStorage(): KeyValueStorage {
  const office = typeof OfficeRuntime !== "undefined" ? OfficeRuntime.storage : undefined;
  if (office) {
    return {
      get: (key) => office.getItem(key),
      set: (key, value) => office.setItem(key, value),
      remove: (key) => office.removeItem(key),
    };
  }
  return {
    get: async (key) => localStorage.getItem(key),
    set: async (key, value) => localStorage.setItem(key, value),
    remove: async (key) => localStorage.removeItem(key),
  };
}

/** In-memory storage, for tests. */
export function memoryStorage(initial: Record<string, string> = {}): KeyValueStorage {
  const map = new Map(Object.entries(initial));
  return {
    get: async (key) => map.get(key) ?? null,
    set: async (key, value) => void map.set(key, value),
    remove: async (key) => void map.delete(key),
  };
}
