import type { ToolCall } from "../../types.ts";

/**
 * A call's JSON arguments as the object Anthropic's `tool_use.input` and Gemini's
 * `functionCall.args` are; text that is no JSON object as `{}`.
 */
export function argumentsObject(json: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(json || "{}");
    return value !== null && typeof value === "object" && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}

/** A streamed answer's function calls, put together from their pieces by index. */
export class ToolCallParts {
  readonly #calls = new Map<number, ToolCall>();

  add(index: number, id?: string, name?: string, argumentsPart?: string): void {
    const call = this.#calls.get(index) ?? { id: "", name: "", arguments: "" };
    if (id) call.id = id;
    if (name) call.name += name;
    if (argumentsPart) call.arguments += argumentsPart;
    this.#calls.set(index, call);
  }

  whole(): ToolCall[] {
    return [...this.#calls.entries()].sort(([a], [b]) => a - b).map(([, call]) => call);
  }
}
