/** Small helpers for tests that call the JSON API of a test server. */
import type { TestServer } from "./harness.ts";

export interface Reply<T> {
  status: number;
  headers: Headers;
  text: string;
  /** The parsed JSON body; undefined when the body is not JSON. */
  body: T;
}

export interface ErrorBody {
  error: {
    code: string;
    message: string;
    requestId: string;
    details?: { path: string; message: string }[];
  };
}

/** Calls the API with a token, sending `body` (when given) as JSON. */
export async function api<T = unknown>(
  server: TestServer,
  token: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<Reply<T>> {
  const response = await server.fetch(path, {
    method,
    token,
    ...(body === undefined
      ? {}
      : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
  });
  const text = await response.text();
  const isJson = (response.headers.get("content-type") ?? "").includes("json");
  return {
    status: response.status,
    headers: response.headers,
    text,
    body: (isJson ? JSON.parse(text) : undefined) as T,
  };
}

export interface SseEvent {
  event: string;
  data: unknown;
}

/** The named events of a server-sent event stream, their data parsed as JSON. */
export function parseEvents(text: string): SseEvent[] {
  return text
    .split("\n\n")
    .filter((block) => block.trim() !== "")
    .map((block) => {
      const lines = block.split("\n");
      const event = lines.find((line) => line.startsWith("event: "))?.slice(7) ?? "message";
      const data = lines
        .filter((line) => line.startsWith("data: "))
        .map((line) => line.slice(6))
        .join("\n");
      return { event, data: JSON.parse(data) as unknown };
    });
}
