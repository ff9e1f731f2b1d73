import { ApiClientError, type ApiClient } from "../shared/api-client.ts";
import { readEvents } from "../shared/sse.ts";

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
  for await (const { event, data } of readEvents(response.body)) {
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
