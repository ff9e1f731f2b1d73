/**
 * A raw HTTP/1.1 client for hostile requests. It writes exactly the bytes it is given (a lying
 * Content-Length, broken chunking, an unencoded path, any method), which fetch and node:http
 * refuse to send, and reads back whatever the server answers before it closes the connection.
 */
import { connect } from "node:net";
import { brotliDecompressSync, gunzipSync, inflateSync } from "node:zlib";

export interface RawRequest {
  method: string;
  /** The request target exactly as sent, e.g. "/api/v1/templates/%ff?limit=x". */
  target: string;
  /** Header lines, in order, as sent: nothing is added. */
  headers: [name: string, value: string][];
  body?: Buffer | undefined;
}

export interface RawResponse {
  status: number;
  /** Lower-case names; a repeated header's values joined with ", ". */
  headers: Record<string, string>;
  /** The body with its transfer and content encodings undone (the raw bytes if they fail). */
  body: Buffer;
  /** Why the body's Content-Encoding could not be undone, when it could not. */
  decodeError?: string;
}

export type RawOutcome =
  | { kind: "response"; response: RawResponse; ms: number }
  /** The connection ended without a byte of answer. */
  | { kind: "closed"; ms: number }
  /** Nothing complete arrived before the deadline. */
  | { kind: "timeout"; ms: number; receivedBytes: number };

export function serializeRequest(request: RawRequest): Buffer {
  const head =
    `${request.method} ${request.target} HTTP/1.1\r\n` +
    request.headers.map(([name, value]) => `${name}: ${value}\r\n`).join("") +
    "\r\n";
  // latin1 keeps every character of a header below 256 as one byte, as a hostile client would.
  return Buffer.concat([Buffer.from(head, "latin1"), request.body ?? Buffer.alloc(0)]);
}

/**
 * Sends `bytes` to 127.0.0.1:`port` and resolves with the answer once it is complete (by its
 * Content-Length or last chunk) or the server closes the connection, or with a timeout after
 * `timeoutMs`. A socket error ends the exchange like a close: what arrived before it counts.
 */
export function sendRaw(
  port: number,
  bytes: Buffer,
  options: { timeoutMs: number; head?: boolean },
): Promise<RawOutcome> {
  const started = performance.now();
  const head = options.head ?? false;
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let received = 0;
    let settled = false;
    const socket = connect({ port, host: "127.0.0.1" });
    const finish = (timedOut: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const ms = performance.now() - started;
      const data = Buffer.concat(chunks);
      const response = parseResponse(data, head);
      if (timedOut && (!response || !response.complete))
        resolve({ kind: "timeout", ms, receivedBytes: data.length });
      else if (response) resolve({ kind: "response", response: response.response, ms });
      else resolve({ kind: "closed", ms });
    };
    const timer = setTimeout(() => finish(true), options.timeoutMs);
    // Where the final answer's body starts and how it is framed, once its head has arrived.
    let framing: { bodyStart: number; length: number | "chunked" | "close" } | undefined;
    let tail = Buffer.alloc(0);
    socket.on("data", (chunk: Buffer) => {
      chunks.push(chunk);
      received += chunk.length;
      tail = Buffer.concat([tail, chunk]).subarray(-LAST_CHUNK.length);
      framing ??= finalHead(Buffer.concat(chunks), head);
      if (!framing) return;
      const { bodyStart, length } = framing;
      if (
        typeof length === "number"
          ? received >= bodyStart + length
          : length === "chunked" && tail.equals(LAST_CHUNK)
      )
        if (parseResponse(Buffer.concat(chunks), head)?.complete) finish(false);
    });
    socket.on("end", () => finish(false));
    socket.on("close", () => finish(false));
    // EPIPE or ECONNRESET while the server refuses the rest of a body: what arrived still counts.
    socket.on("error", () => finish(false));
    socket.write(bytes);
  });
}

const LAST_CHUNK = Buffer.from("\r\n0\r\n\r\n");
const HEAD_END = Buffer.from("\r\n\r\n");

/** Where the final answer's body starts, and its framing; undefined until its head is in. */
function finalHead(
  data: Buffer,
  head: boolean,
): { bodyStart: number; length: number | "chunked" | "close" } | undefined {
  let offset = 0;
  for (;;) {
    const end = data.indexOf(HEAD_END, offset);
    if (end < 0) return undefined;
    const text = data.subarray(offset, end).toString("latin1");
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1]);
    offset = end + HEAD_END.length;
    if (status >= 100 && status < 200) continue;
    if (head || status === 204 || status === 304) return { bodyStart: offset, length: 0 };
    if (/\r\ntransfer-encoding:[^\r]*chunked/i.test(text))
      return { bodyStart: offset, length: "chunked" };
    const length = /\r\ncontent-length:\s*(\d+)/i.exec(text)?.[1];
    return { bodyStart: offset, length: length === undefined ? "close" : Number(length) };
  }
}

/** The first final (non-1xx) response in `data`, or undefined when no status line arrived. */
function parseResponse(
  data: Buffer,
  head: boolean,
): { response: RawResponse; complete: boolean } | undefined {
  let rest = data;
  for (;;) {
    const end = rest.indexOf(HEAD_END);
    if (end < 0) return undefined;
    const lines = rest.subarray(0, end).toString("latin1").split("\r\n");
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? "")?.[1]);
    if (!Number.isInteger(status)) return undefined;
    rest = rest.subarray(end + HEAD_END.length);
    if (status >= 100 && status < 200) continue;

    const headers: Record<string, string> = {};
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(":");
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
    }
    const bodiless = head || status === 204 || status === 304;
    const framed = bodiless
      ? { body: Buffer.alloc(0), complete: true }
      : headers["transfer-encoding"]?.toLowerCase().includes("chunked")
        ? dechunk(rest)
        : headers["content-length"] !== undefined
          ? {
              body: rest.subarray(0, Number(headers["content-length"])),
              complete: rest.length >= Number(headers["content-length"]),
            }
          : { body: rest, complete: false };
    const decoded = decode(framed.body, headers["content-encoding"]);
    return {
      response: { status, headers, body: decoded.body, decodeError: decoded.error },
      complete: framed.complete,
    };
  }
}

function dechunk(data: Buffer): { body: Buffer; complete: boolean } {
  const parts: Buffer[] = [];
  let offset = 0;
  for (;;) {
    const lineEnd = data.indexOf("\r\n", offset);
    if (lineEnd < 0) return { body: Buffer.concat(parts), complete: false };
    const size = Number.parseInt(data.subarray(offset, lineEnd).toString("latin1"), 16);
    if (!Number.isInteger(size)) return { body: Buffer.concat(parts), complete: false };
    if (size === 0) return { body: Buffer.concat(parts), complete: true };
    const start = lineEnd + 2;
    parts.push(data.subarray(start, start + size));
    if (data.length < start + size + 2) return { body: Buffer.concat(parts), complete: false };
    offset = start + size + 2;
  }
}

function decode(body: Buffer, encoding: string | undefined): { body: Buffer; error?: string } {
  const decoders: Record<string, (input: Buffer) => Buffer> = {
    gzip: gunzipSync,
    deflate: inflateSync,
    br: brotliDecompressSync,
  };
  const decoder = encoding ? decoders[encoding.toLowerCase()] : undefined;
  if (!decoder || body.length === 0) return { body };
  try {
    return { body: decoder(body) };
  } catch (error) {
    return { body, error: `${encoding} body does not decode: ${String(error)}` };
  }
}
