import type { KeyValueStorage } from "../shared/storage.ts";
import type { Timer } from "../shared/timer.ts";
import { clearPersistentCache } from "./cache.ts";
import { currentEngine, setCurrentEngine } from "./current.ts";
import { LlmEngine, type EngineSettings } from "./engine.ts";
import {
  classify,
  closest,
  extract,
  list,
  prompt,
  promptToColumn,
  promptToRow,
  similar,
  summarize,
  table,
  translate,
} from "./functions.ts";

/** Each custom function by its id in functions.json (namespace LLM, from the manifest). */
export const customFunctions = {
  PROMPT: prompt,
  "PROMPT.TOROW": promptToRow,
  "PROMPT.TOCOLUMN": promptToColumn,
  LIST: list,
  TABLE: table,
  EXTRACT: extract,
  CLASSIFY: classify,
  TRANSLATE: translate,
  SUMMARIZE: summarize,
  SIMILAR: similar,
  CLOSEST: closest,
} as const;

/**
 * Starts the =LLM.* functions: a fresh engine (batching, cache) over the given storage, which
 * also holds the connection the task pane saved, and each function associated with its id when
 * Excel's custom functions runtime is present. Calling it again replaces the engine.
 */
export function registerCustomFunctions(options: {
  storage: KeyValueStorage;
  fetch?: typeof fetch;
  /** Batching, timeout and cache settings (tests); the defaults suit Excel. */
  settings?: Partial<EngineSettings>;
  /** The engine's timers (tests move their own by hand). */
  timer?: Timer;
}): void {
  setCurrentEngine(new LlmEngine(options));
  if (typeof CustomFunctions === "undefined") return;
  for (const [id, fn] of Object.entries(customFunctions)) CustomFunctions.associate(id, fn);
}

/**
 * Forgets every cached function answer, in memory and in storage (for a sign-out, or to make
 * every =LLM.* cell ask again on its next recalculation).
 */
export async function clearCustomFunctionCache(storage: KeyValueStorage): Promise<void> {
  let engine: LlmEngine | undefined;
  try {
    engine = currentEngine();
  } catch {
    engine = undefined;
  }
  await (engine ? engine.cache.clear() : clearPersistentCache(storage));
}
