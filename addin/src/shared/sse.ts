import type { ErrorEnvelope } from "../../../server/wire.ts";
import { ApiClientError, type ApiClient } from "./api-client.ts";

/** One server-sent event: its name (default "message") and its data lines joined. */
export interface ServerSentEvent {
  event: string;
  data: string;
}

/**
 * Reads server-sent events from a response body. `onActivity` is called whenever bytes arrive,
 * so a caller can time out a stream that goes quiet rather than one that is merely long.
 */
export async function* readEvents(
  body: ReadableStream<Uint8Array>,
  onActivity: () => void = () => {},
): AsyncGenerator<ServerSentEvent> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (!done) onActivity();
      buffer += (done ? decoder.decode() : decoder.decode(value, { stream: true })).replace(
        /\r\n?/g,
        "\n",
      );
      let end: number;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = parseBlock(block);
        if (event) yield event;
      }
      if (done) break;
    }
    const last = parseBlock(buffer);
    if (last) yield last;
  } finally {
    reader.releaseLock();
  }
}

function parseBlock(block: string): ServerSentEvent | undefined {
  let event = "message";
  const data: string[] = [];
  for (const line of block.split("\n")) {
    if (line === "" || line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "event") event = value;
    else if (field === "data") data.push(value);
  }
  return data.length > 0 ? { event, data: data.join("\n") } : undefined;
}

/**
 * POSTs `body` and reads the backend's answer stream: `delta` events go to `onDelta`, `done`
 * resolves with its answer, `error` (the error envelope) rejects with an ApiClientError.
 * `onActivity` is called whenever bytes arrive (see readEvents). An answer that is not a stream
 * is taken whole.
 */
export async function streamEvents<T extends { text: string }>(
  client: ApiClient,
  path: string,
  body: unknown,
  options: { onDelta?: (text: string) => void; onActivity?: () => void; signal?: AbortSignal },
): Promise<T> {
  const response = await client.request(path, {
    method: "POST",
    body: JSON.stringify(body),
    headers: { accept: "text/event-stream" },
    signal: options.signal ?? null,
  });
  if (!response.headers.get("content-type")?.includes("text/event-stream")) {
    const whole = checked((await response.json()) as T);
    options.onDelta?.(whole.text);
    return whole;
  }
  if (!response.body) throw new ApiClientError("bad_answer", "The answer came back empty", 200);
  for await (const { event, data } of readEvents(response.body, options.onActivity)) {
    if (event === "delta") {
      const { text } = JSON.parse(data) as { text?: string };
      if (text) options.onDelta?.(text);
    } else if (event === "done") {
      return checked(JSON.parse(data) as T);
    } else if (event === "error") {
      const { error } = JSON.parse(data) as Partial<ErrorEnvelope>;
      throw new ApiClientError(
        error?.code ?? "internal",
        error?.message ?? "The answer failed",
        response.status,
      );
    }
  }
  throw new ApiClientError("bad_answer", "The answer stopped before it was complete", 200);
}

function checked<T extends { text: string }>(answer: T): T {
  if (typeof answer.text !== "string")
    throw new ApiClientError("bad_answer", "The answer had no text", 200);
  return answer;
}
