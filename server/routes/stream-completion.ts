import type { Response } from "express";
import { errorEnvelope, type ErrorEnvelope } from "../errors.ts";
import { apiErrorOf, streamFailure } from "../http/failures.ts";
import type {
  CallContext,
  CompletionOutcome,
  CompletionStream,
} from "../llm/completion-service.ts";
import { setLlmHeaders } from "./llm-headers.ts";
import { openEventStream, type EventStream } from "../http/sse.ts";

/** The public shape of an outcome: what was answered, by whom, at what cost. */
export function publicOutcome(outcome: CompletionOutcome) {
  const { retries: _retries, upstreamMs: _upstreamMs, ...visible } = outcome;
  return visible;
}

export type PublicOutcome = ReturnType<typeof publicOutcome>;

/** How one wire format writes a relayed completion stream. */
export interface StreamWriter {
  /** Before the first piece of text, if the format has an opening event. */
  start?(): void;
  delta(text: string): void;
  /** May do work first (store the answer…); a failure there is sent as the error. */
  done(outcome: CompletionOutcome): void | Promise<void>;
  /** A failure after the stream began. */
  error(envelope: ErrorEnvelope): void;
}

/**
 * Relays an opened completion stream as server-sent events written by `writerFor`'s writer. Once
 * the client has gone, reading stops at the next piece of text, so the call is closed and
 * recorded as cancelled at once; an answer already complete still gets its `done` (whose work,
 * such as storing the reply, is not lost; what it writes goes nowhere). A failure after the stream
 * began goes out as the writer's error unless the client has gone; a bug of ours goes on to the
 * error handler, which logs it and ends the response. A stream opened after the request's timeout
 * answered is closed unread.
 */
export async function relayCompletionStream(
  res: Response,
  opened: CompletionStream,
  context: CallContext,
  writerFor: (events: EventStream) => StreamWriter,
  headers: Record<string, string> = {},
): Promise<void> {
  if (res.headersSent) return closeUnread(opened);
  setLlmHeaders(res, opened);
  const events = openEventStream(res, headers);
  const writer = writerFor(events);
  try {
    writer.start?.();
    for await (const event of opened.events) {
      if (event.type === "done") await writer.done(event.outcome);
      else if (context.signal.aborted) break;
      else writer.delta(event.text);
    }
  } catch (error) {
    if (!res.writableEnded && !context.signal.aborted) {
      writer.error(errorEnvelope(streamFailure(error), context.requestId));
    }
    if (!apiErrorOf(error) && !context.signal.aborted) throw error;
  }
  events.end();
}

/**
 * Closes a stream opened after the request's timeout answered (its 503 has gone out, and the
 * request's signal is aborted): one step, so that the stream's own clean-up runs when it is
 * closed (an async generator closed before its first step skips it: the provider's slot would
 * stay taken and the call unrecorded). The stream records its call, cancelled or failed, itself.
 */
async function closeUnread(opened: CompletionStream): Promise<void> {
  try {
    await opened.events.next();
    await opened.events.return(undefined);
  } catch {
    // Recorded by the stream; the caller has its answer already.
  }
}

/**
 * OfficeLLM's event stream: `event: delta` (`{text}`) for each piece, then one `event: done`, or
 * `event: error` with the error envelope. `done` shapes the done event's data from the outcome
 * (default: the public outcome); it may do work first, such as storing the answer.
 */
export function sendCompletionStream(
  res: Response,
  opened: CompletionStream,
  context: CallContext,
  options: {
    headers?: Record<string, string>;
    done?: (outcome: CompletionOutcome) => unknown;
  } = {},
): Promise<void> {
  return relayCompletionStream(
    res,
    opened,
    context,
    (events) => ({
      delta: (text) => events.send("delta", { text }),
      done: async (outcome) =>
        events.send("done", options.done ? await options.done(outcome) : publicOutcome(outcome)),
      error: (envelope) => events.send("error", envelope),
    }),
    options.headers,
  );
}
