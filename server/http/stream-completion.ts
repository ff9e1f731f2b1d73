import type { Response } from "express";
import { errorEnvelope, isApiError, streamFailure } from "../errors.ts";
import type {
  CallContext,
  CompletionOutcome,
  CompletionStream,
} from "../llm/completion-service.ts";
import { setLlmHeaders } from "./llm-headers.ts";
import { openEventStream } from "./sse.ts";

/** The public shape of an outcome: what was answered, by whom, at what cost. */
export function publicOutcome(outcome: CompletionOutcome) {
  const { retries: _retries, upstreamMs: _upstreamMs, ...visible } = outcome;
  return visible;
}

export type PublicOutcome = ReturnType<typeof publicOutcome>;

/** The caller, request id and cancel signal of the request a response belongs to. */
export function callContext(res: Response): CallContext {
  return { caller: res.locals.caller!, requestId: res.locals.requestId, signal: res.locals.signal };
}

/**
 * Relays an opened completion stream as server-sent events: `event: delta` (`{text}`) for each
 * piece, then one `event: done`; a failure after the stream began arrives as `event: error`
 * with the error envelope (nothing is sent once the client has gone).
 *
 * `done` shapes the done event's data from the outcome (default: the public outcome); it may
 * do work first, such as storing the answer, and a failure there becomes the error event.
 */
export async function sendCompletionStream(
  res: Response,
  opened: CompletionStream,
  context: CallContext,
  options: {
    headers?: Record<string, string>;
    done?: (outcome: CompletionOutcome) => unknown;
  } = {},
): Promise<void> {
  setLlmHeaders(res, opened);
  const events = openEventStream(res, options.headers);
  try {
    for await (const event of opened.events) {
      if (event.type === "delta") events.send("delta", { text: event.text });
      else
        events.send(
          "done",
          options.done ? await options.done(event.outcome) : publicOutcome(event.outcome),
        );
    }
  } catch (error) {
    if (!res.writableEnded && !context.signal.aborted) {
      events.send("error", errorEnvelope(streamFailure(error), context.requestId));
    }
    // A bug of ours goes on to the error handler, which logs it and ends the response.
    if (!isApiError(error) && !context.signal.aborted) throw error;
  }
  events.end();
}
