import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { Readable } from "node:stream";

/**
 * A `fetch` for the provider SDKs built on node:http with keep-alive agents. The SDKs' default
 * (Node's built-in fetch) spends about as much CPU per call as the rest of the gateway put
 * together (see docs/performance.md); this keeps the part the SDKs use — method, headers, a
 * string or byte body, an abort signal, and a streamed response — and nothing else.
 */
export function createKeepAliveFetch(options: { maxSockets?: number } = {}): typeof fetch {
  const maxSockets = options.maxSockets ?? 256;
  const agents = {
    "http:": new HttpAgent({ keepAlive: true, maxSockets }),
    "https:": new HttpsAgent({ keepAlive: true, maxSockets }),
  };

  return async (input, init = {}) => {
    const url = new URL(typeof input === "string" || input instanceof URL ? input : input.url);
    const agent = agents[url.protocol as keyof typeof agents];
    if (!agent) throw new TypeError(`unsupported protocol ${url.protocol}`);
    const body = await requestBody(init.body);
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((value, key) => {
      headers[key] = value;
    });
    if (body !== undefined) headers["content-length"] = String(body.byteLength);
    const send = url.protocol === "https:" ? httpsRequest : httpRequest;

    return new Promise<Response>((resolve, reject) => {
      const req = send(
        url,
        { method: init.method ?? "GET", headers, agent, signal: init.signal ?? undefined },
        (res) => resolve(toResponse(res, init.method)),
      );
      req.on("error", reject);
      req.end(body);
    });
  };
}

async function requestBody(body: BodyInit | null | undefined): Promise<Buffer | undefined> {
  if (body === undefined || body === null) return undefined;
  if (typeof body === "string") return Buffer.from(body);
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  // Anything else (forms, blobs, streams): let the platform serialise it.
  return Buffer.from(await new Response(body).arrayBuffer());
}

function toResponse(res: IncomingMessage, method: string | undefined): Response {
  const headers = new Headers();
  for (let i = 0; i < res.rawHeaders.length; i += 2)
    headers.append(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
  const status = res.statusCode ?? 502;
  const empty = method === "HEAD" || status === 204 || status === 304;
  if (empty) res.resume();
  const body = empty ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>);
  return new Response(body, { status, statusText: res.statusMessage ?? "", headers });
}
