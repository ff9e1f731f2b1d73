import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { Readable } from "node:stream";

/**
 * A `fetch` for the provider SDKs built on node:http with keep-alive agents. The SDKs' default
 * (Node's built-in fetch) and the web `Response` it builds cost several times the CPU of the
 * HTTP exchange itself (see docs/performance.md); this keeps the part the SDKs use — method,
 * headers, a string or byte body, an abort signal, and the response — and nothing else.
 *
 * A JSON answer (completions, model lists, errors) is read whole and handed over as a
 * {@link BufferedResponse}; anything else, such as server-sent events, becomes a web `Response`
 * over the socket.
 *
 * It keeps up to `maxSockets` connections to each provider (PROVIDER_MAX_SOCKETS, by default as
 * many as the provider's calls in flight may be), so a call given a provider slot never waits for
 * a connection, and keeps them all open between bursts (until the provider closes them), so the
 * next burst does not pay for new connections (a TLS handshake each). Without `maxSockets`, as
 * Node's own agents, it opens as many as there are requests.
 */
export function createKeepAliveFetch(options: { maxSockets?: number } = {}): typeof fetch {
  const maxSockets = options.maxSockets ?? Infinity;
  const pool = { keepAlive: true, maxSockets, maxFreeSockets: maxSockets };
  const agents = { "http:": new HttpAgent(pool), "https:": new HttpsAgent(pool) };

  return async (input, init = {}) => {
    const url = new URL(typeof input === "string" || input instanceof URL ? input : input.url);
    const agent = agents[url.protocol as keyof typeof agents];
    if (!agent) throw new TypeError(`unsupported protocol ${url.protocol}`);
    const body = await requestBody(init.body);
    const headers = plainHeaders(init.headers);
    if (body !== undefined) headers["content-length"] = String(Buffer.byteLength(body));
    const send = url.protocol === "https:" ? httpsRequest : httpRequest;

    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = send(
        url,
        { method: init.method ?? "GET", headers, agent, signal: init.signal ?? undefined },
        resolve,
      );
      req.on("error", reject);
      req.end(body);
    });
    return toResponse(res, url.href, init.method, init.signal ?? undefined);
  };
}

function plainHeaders(init: HeadersInit | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  new Headers(init).forEach((value, key) => {
    headers[key] = value;
  });
  return headers;
}

/** A string body is passed on as it is: Node sends it in one write with the headers. */
async function requestBody(
  body: BodyInit | null | undefined,
): Promise<string | Buffer | undefined> {
  if (body === undefined || body === null) return undefined;
  if (typeof body === "string") return body;
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  // Anything else (forms, blobs, streams): let the platform serialise it.
  return Buffer.from(await new Response(body).arrayBuffer());
}

/** `application/json` and `application/…+json`, with or without parameters. */
const JSON_TYPE = /^application\/(?:[\w.-]+\+)?json\s*(?:;|$)/i;

async function toResponse(
  res: IncomingMessage,
  url: string,
  method: string | undefined,
  signal: AbortSignal | undefined,
): Promise<Response> {
  const headers = new Headers();
  for (let i = 0; i < res.rawHeaders.length; i += 2)
    headers.append(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
  const status = res.statusCode ?? 502;
  const statusText = res.statusMessage ?? "";
  const whole = (text: string) =>
    // The SDKs read a response only through the members BufferedResponse has.
    new BufferedResponse(status, statusText, url, headers, text) as unknown as Response;
  if (method === "HEAD" || status === 204 || status === 304) {
    res.resume();
    return whole("");
  }
  // Only JSON is read whole: anything else (server-sent events, or a local server's stream under
  // another type) is handed over as it arrives.
  if (!JSON_TYPE.test(headers.get("content-type") ?? "")) {
    return new Response(Readable.toWeb(res) as ReadableStream<Uint8Array>, {
      status,
      statusText,
      headers,
    });
  }
  return whole(await readText(res, signal));
}

/**
 * Reads a whole body. A body cut short because `signal` fired (the SDK's timeout, or its caller
 * going away) rejects with the signal's reason, as fetch does, so that the SDK takes a body that
 * stopped coming for a timeout, not for a broken connection.
 */
function readText(res: IncomingMessage, signal: AbortSignal | undefined): Promise<string> {
  return new Promise((resolve, reject) => {
    const fail = (error: unknown) => reject(signal?.aborted ? signal.reason : error);
    const chunks: Buffer[] = [];
    res.on("data", (chunk: Buffer) => chunks.push(chunk));
    res.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    res.on("error", fail);
    // A connection cut before the end (without an error event of its own).
    res.on("close", () => {
      if (!res.complete) fail(Object.assign(new Error("terminated"), { code: "ECONNRESET" }));
    });
  });
}

/**
 * A whole, already received answer, as the provider SDKs read it: status, headers, and the
 * body as text or JSON. `body` is null: there is nothing left to stream or cancel.
 */
export class BufferedResponse {
  readonly status: number;
  readonly statusText: string;
  readonly url: string;
  readonly headers: Headers;
  readonly ok: boolean;
  readonly redirected = false;
  readonly type = "basic";
  readonly body = null;
  #text: string;
  #used = false;

  constructor(status: number, statusText: string, url: string, headers: Headers, text: string) {
    this.status = status;
    this.statusText = statusText;
    this.url = url;
    this.headers = headers;
    this.ok = status >= 200 && status < 300;
    this.#text = text;
  }

  get bodyUsed(): boolean {
    return this.#used;
  }

  async text(): Promise<string> {
    if (this.#used) throw new TypeError("Body is unusable: Body has already been read");
    this.#used = true;
    const text = this.#text;
    this.#text = "";
    return text;
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    const bytes = Buffer.from(await this.text());
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  }
}
