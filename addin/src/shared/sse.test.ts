import { describe, expect, it } from "vitest";
import { ApiClient, ApiClientError } from "./api-client.ts";
import { readEvents, streamEvents } from "./sse.ts";

function body(...chunks: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
}

function clientAnswering(response: () => Response): ApiClient {
  return new ApiClient({ baseUrl: "http://backend", token: "t" }, async () => response());
}

const sse = (text: string) =>
  new Response(body(text), { headers: { "content-type": "text/event-stream" } });

describe("server-sent events", () => {
  it("parses events split anywhere across chunks", async () => {
    const events = [];
    for await (const event of readEvents(
      body(
        "event: del",
        'ta\ndata: {"text":"a"}\n',
        "\nevent: delta\r\ndata: {}\r\n\r\n: comment\n\n",
        "data: x\ndata: y",
      ),
    ))
      events.push(event);
    expect(events).toEqual([
      { event: "delta", data: '{"text":"a"}' },
      { event: "delta", data: "{}" },
      { event: "message", data: "x\ny" },
    ]);
  });

  it("streams deltas, then resolves with the done event", async () => {
    const pieces: string[] = [];
    const done = await streamEvents<{ text: string }>(
      clientAnswering(() =>
        sse(
          'event: delta\ndata: {"text":"Hel"}\n\nevent: delta\ndata: {"text":"lo"}\n\n' +
            'event: done\ndata: {"text":"Hello"}\n\n',
        ),
      ),
      "/api/v1/completions",
      { prompt: "hi" },
      { onDelta: (text) => pieces.push(text) },
    );
    expect(pieces).toEqual(["Hel", "lo"]);
    expect(done.text).toBe("Hello");
  });

  it("rejects with the error event's envelope, or when the stream stops early", async () => {
    const failing = streamEvents(
      clientAnswering(() =>
        sse(
          'event: error\ndata: {"error":{"code":"upstream_error","message":"provider down"}}\n\n',
        ),
      ),
      "/x",
      {},
      {},
    );
    await expect(failing).rejects.toMatchObject({
      code: "upstream_error",
      message: "provider down",
    });
    const cut = streamEvents(
      clientAnswering(() => sse('event: delta\ndata: {"text":"a"}\n\n')),
      "/x",
      {},
      {},
    );
    await expect(cut).rejects.toBeInstanceOf(ApiClientError);
    await expect(cut).rejects.toMatchObject({ code: "bad_answer" });
  });

  it("takes an answer that is not a stream whole, and refuses an answer without text", async () => {
    const pieces: string[] = [];
    const whole = await streamEvents<{ text: string }>(
      clientAnswering(() => Response.json({ text: "Hello" })),
      "/x",
      {},
      { onDelta: (text) => pieces.push(text) },
    );
    expect([whole.text, pieces]).toEqual(["Hello", ["Hello"]]);
    const textless = streamEvents(
      clientAnswering(() => sse('event: done\ndata: {"id":"c1"}\n\n')),
      "/x",
      {},
      {},
    );
    await expect(textless).rejects.toMatchObject({ code: "bad_answer" });
  });

  it("reports each arrival of bytes, so a caller can time out a stream only when it goes quiet", async () => {
    let arrivals = 0;
    await streamEvents(
      clientAnswering(
        () =>
          new Response(
            body('event: delta\ndata: {"text":"a"}\n\n', 'event: done\ndata: {"text":"a"}\n\n'),
            {
              headers: { "content-type": "text/event-stream" },
            },
          ),
      ),
      "/x",
      {},
      { onActivity: () => (arrivals += 1) },
    );
    expect(arrivals).toBe(2);
  });

  it("passes a rate limit before the stream as an error with its Retry-After", async () => {
    const limited = streamEvents(
      clientAnswering(
        () =>
          new Response(JSON.stringify({ error: { code: "rate_limited", message: "wait" } }), {
            status: 429,
            headers: { "retry-after": "12", "content-type": "application/json" },
          }),
      ),
      "/x",
      {},
      {},
    );
    await expect(limited).rejects.toMatchObject({ code: "rate_limited", retryAfterSeconds: 12 });
  });
});
