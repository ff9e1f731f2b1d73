import type { Response } from "express";

/** Server-sent events on an Express response: named events with JSON data. */
export interface EventStream {
  send(event: string, data: unknown): void;
  /** Sends a bare `data:` line, as OpenAI's stream format does. */
  sendData(data: string): void;
  end(): void;
}

/**
 * Opens the stream when its first event is at hand: the headers are not flushed alone, so that
 * they leave with that event in one write (one packet, not two, before the caller sees output).
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
