import { ApiClientError, type ApiClient } from "../shared/api-client.ts";

export interface ServerEvent {
  event: string;
  data: string;
}

/** Parses a server-sent event stream into its events (`event:` name, `data:` lines joined). */
export async function* readServerEvents(
  body: ReadableStream<Uint8Array>,
): AsyncGenerator<ServerEvent> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      buffer += done ? decoder.decode() : decoder.decode(value, { stream: true });
      let boundary: RegExpExecArray | null;
      while ((boundary = /\r?\n\r?\n/.exec(buffer))) {
        const block = buffer.slice(0, boundary.index);
        buffer = buffer.slice(boundary.index + boundary[0].length);
        const parsed = parseBlock(block);
        if (parsed) yield parsed;
      }
      if (done) break;
    }
    const last = parseBlock(buffer);
    if (last) yield last;
  } finally {
    reader.releaseLock();
  }
}

function parseBlock(block: string): ServerEvent | null {
  let event = "message";
  const data: string[] = [];
  for (const line of block.split(/\r?\n/)) {
    if (!line || line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "event") event = value;
    else if (field === "data") data.push(value);
  }
  return data.length > 0 ? { event, data: data.join("\n") } : null;
}

/**
 * POSTs `body` and reads the backend's completion stream: `delta` events go to `onDelta`, `done`
 * resolves, `error` (the error envelope) rejects with an ApiClientError.
 */
export async function streamEvents<T>(
  client: ApiClient,
  path: string,
  body: unknown,
  onDelta: (text: string) => void,
  signal?: AbortSignal,
): Promise<T> {
  const response = await client.request(path, {
    method: "POST",
    body: JSON.stringify(body),
    headers: { accept: "text/event-stream" },
    signal: signal ?? null,
  });
  if (!response.headers.get("content-type")?.includes("text/event-stream")) {
    const whole = (await response.json()) as T & { text?: string };
    if (typeof whole.text === "string") onDelta(whole.text);
    return whole;
  }
  if (!response.body) throw new ApiClientError("stream_ended", "The answer came back empty", 0);
  for await (const { event, data } of readServerEvents(response.body)) {
    if (event === "delta") {
      const { text } = JSON.parse(data) as { text?: string };
      if (text) onDelta(text);
    } else if (event === "done") {
      return JSON.parse(data) as T;
    } else if (event === "error") {
      const envelope = JSON.parse(data) as { error?: { code?: string; message?: string } };
      throw new ApiClientError(
        envelope.error?.code ?? "stream_error",
        envelope.error?.message ?? "The answer failed",
        response.status,
      );
    }
  }
  throw new ApiClientError("stream_ended", "The answer stopped before it was complete", 0);
}
