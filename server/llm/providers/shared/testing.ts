/** Helpers for the provider tests (fake HTTP answers, requests, stream collection). Not for runtime use. */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Provider } from "../../provider.ts";
import type { ProviderRequest, StreamChunk } from "../../types.ts";

/** A key shaped like a real one, so the secret scrubbing is exercised for real. */
export const testKey = "sk-test-abcdefghijklmnopqrstuvwxyz";

export function providerRequest(overrides: Partial<ProviderRequest> = {}): ProviderRequest {
  return {
    model: "test-model",
    system: undefined,
    messages: [{ role: "user", content: "What is 2+2?" }],
    temperature: undefined,
    maxTokens: undefined,
    stop: undefined,
    json: undefined,
    signal: new AbortController().signal,
    timeoutMs: 5_000,
    ...overrides,
  };
}

export interface SseOptions {
  /** After the events: "close" ends the body (default), "stall" keeps it open with nothing more, and an Error breaks it. */
  end?: "close" | "stall" | Error;
  /** Called when the client cancels the body (an abort reaches the fake server). */
  onCancel?: () => void;
}

/** A `text/event-stream` response whose events are sent one by one. */
export function sseResponse(events: string[], options: SseOptions = {}): Response {
  const encoder = new TextEncoder();
  const queue = [...events];
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      // Each event in a turn of its own, as events arrive over a network.
      await new Promise((resolve) => setImmediate(resolve));
      const next = queue.shift();
      if (next !== undefined) {
        controller.enqueue(encoder.encode(next));
        return;
      }
      const end = options.end ?? "close";
      if (end === "close") controller.close();
      else if (end instanceof Error) controller.error(end);
      else await new Promise(() => undefined);
    },
    cancel() {
      options.onCancel?.();
    },
  });
  return new Response(body, { headers: { "content-type": "text/event-stream" } });
}

/** `data: {...}` for an OpenAI-style stream; `event:` lines too when a name is given. */
export function sseEvent(data: unknown, event?: string): string {
  const payload = typeof data === "string" ? data : JSON.stringify(data);
  return `${event ? `event: ${event}\n` : ""}data: ${payload}\n\n`;
}

export async function collect(stream: AsyncIterable<StreamChunk>): Promise<StreamChunk[]> {
  const chunks: StreamChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

/** Resolves when `signal` aborts: a fake server's answer that waits for its client to give up. */
export function untilAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener("abort", () => resolve(), { once: true });
  });
}

/** What a promise rejected with; fails when it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection, got a result");
}

/** Runs a stream to its end (or error), returning the chunks seen and the error thrown. */
export async function drain(
  provider: Provider,
  request: ProviderRequest,
  onChunk?: (chunk: StreamChunk) => void,
): Promise<{ chunks: StreamChunk[]; error: unknown }> {
  const chunks: StreamChunk[] = [];
  try {
    for await (const chunk of provider.stream(request)) {
      chunks.push(chunk);
      onChunk?.(chunk);
    }
  } catch (error) {
    return { chunks, error };
  }
  return { chunks, error: undefined };
}

/**
 * A real HTTP server on 127.0.0.1 that starts a streamed answer and then destroys the socket,
 * as a crashing model server or a dropped connection does.
 */
export async function socketDroppingServer(
  firstChunk: string,
): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createServer((request, response) => {
    request.resume();
    response.writeHead(200, { "content-type": "text/event-stream" });
    response.write(firstChunk, () => response.socket?.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
