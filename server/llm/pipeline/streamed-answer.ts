import type { StreamChunk, TokenUsage, ToolCall } from "../types.ts";

/** Cuts an answer at the first stop sequence, for models that cannot take them. */
export function applyLocalStop(text: string, stop: string[] | undefined): string {
  if (!stop) return text;
  const cut = Math.min(...stop.map((s) => text.indexOf(s)).filter((index) => index >= 0));
  return Number.isFinite(cut) ? text.slice(0, cut) : text;
}

/**
 * How many characters at the end of a streamed text could be the start of a stop sequence, and
 * must wait for the next piece before they are sent.
 */
function heldBack(text: string, stop: string[]): number {
  let held = 0;
  for (const sequence of stop) {
    for (let length = Math.min(sequence.length - 1, text.length); length > held; length--) {
      if (text.endsWith(sequence.slice(0, length))) {
        held = length;
        break;
      }
    }
  }
  return held;
}

/**
 * A streamed answer as its chunks arrive: what may be sent on, what was received, and the usage
 * the provider reports at its end. With stop sequences the gateway applies itself (`localStop`),
 * text that could still turn out to be part of one is held back until the next piece tells, and
 * the answer ends at the first one; the rest is still read (it is billed), not sent. Without them,
 * every piece goes on as it came.
 */
export class StreamedAnswer {
  readonly #stops: string[] | undefined;
  /** Everything received, sent or not. */
  #received = "";
  /** What was sent on. */
  #sent = "";
  #usage: TokenUsage | undefined;
  #toolCalls: ToolCall[] | undefined;

  constructor(localStop: string[] | undefined) {
    this.#stops = localStop;
  }

  /** Takes a chunk: returns the text that can be sent on now, if any. */
  add(chunk: StreamChunk): string | undefined {
    if (chunk.type === "done") {
      this.#usage = chunk.usage;
      this.#toolCalls = chunk.toolCalls;
      return undefined;
    }
    this.#received += chunk.text;
    if (!this.#stops) {
      this.#sent = this.#received;
      return chunk.text;
    }
    const safe = Math.min(
      applyLocalStop(this.#received, this.#stops).length,
      this.#received.length - heldBack(this.#received, this.#stops),
    );
    if (safe <= this.#sent.length) return undefined;
    const text = this.#received.slice(this.#sent.length, safe);
    this.#sent = this.#received.slice(0, safe);
    return text;
  }

  /** Once the stream is over: the text held back that is part of the answer, if any. */
  end(): string | undefined {
    const answer = applyLocalStop(this.#received, this.#stops);
    if (answer.length <= this.#sent.length) return undefined;
    const text = answer.slice(this.#sent.length);
    this.#sent = answer;
    return text;
  }

  /** The answer as sent. */
  get text(): string {
    return this.#sent;
  }

  /** Everything the provider sent, what was cut included. */
  get received(): string {
    return this.#received;
  }

  /** The functions the model called, once the stream is done. */
  get toolCalls(): ToolCall[] | undefined {
    return this.#toolCalls;
  }

  /** The usage the provider reported, once it has. */
  get usage(): TokenUsage | undefined {
    return this.#usage;
  }
}
