import type { LlmEngine } from "./engine.ts";
import { notAvailable } from "./errors.ts";

let current: LlmEngine | undefined;

/** The engine the custom functions use; set by registerCustomFunctions. */
export function setCurrentEngine(engine: LlmEngine | undefined): void {
  current = engine;
}

export function currentEngine(): LlmEngine {
  if (!current) {
    throw notAvailable("OfficeLLM is still starting: recalculate in a moment (Ctrl+Alt+F9)");
  }
  return current;
}
