import type { Response } from "express";

/** Server-sent events on an Express response: named events with JSON data. */
export interface EventStream {
  send(event: string, data: unknown): void;
  /** Sends a bare `data:` line, as OpenAI's stream format does. */
  sendData(data: string): void;
  end(): void;
}

/**
 * Opens the stream when its first event is at hand: the headers leave with that event in one
 * write (one packet, not two, before the caller sees output). Should the event not be written in
 * this turn of the event loop (text held back while it may still turn out to be a stop
 * sequence), the headers leave alone, so the caller, and the request timeout, know the stream is
 * open.
 */
export function openEventStream(res: Response, headers: Record<string, string> = {}): EventStream {
  res.status(200);
  res.set({
    ...headers,
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache, no-transform",
    connection: "keep-alive",
    "x-accel-buffering": "no",
  });
  setImmediate(() => {
    if (!res.headersSent && !res.destroyed) res.flushHeaders();
  });
  return {
    send(event, data) {
      res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    },
    sendData(data) {
      res.write(`data: ${data}\n\n`);
    },
    end() {
      res.end();
    },
  };
}
