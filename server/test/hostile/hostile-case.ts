/**
 * One hostile request, described in a few readable fields (what fast-check prints when a case
 * fails), and its rendering to the exact bytes sent.
 */
import { brotliCompressSync, deflateSync, gzipSync } from "node:zlib";
import { renderJson, type JsonNode } from "./json-text.ts";
import type { RawRequest } from "./raw-http.ts";

/** The Authorization a case sends; `route-scope` is a token holding only the route's scope. */
export const tokenKinds = [
  "valid",
  "route-scope",
  "wrong-scope",
  "revoked",
  "expired",
  "none",
  "empty-bearer",
  "basic",
  "malformed",
  "unknown",
  "huge",
  "lowercase-scheme",
  "trailing-junk",
  "two-tokens",
] as const;
export type TokenKind = (typeof tokenKinds)[number];

export type BodyCase =
  | { kind: "none" }
  | { kind: "json"; node: JsonNode }
  /** Bytes as text, JSON or not. */
  | { kind: "text"; text: string };

/**
 * How the body is framed. The last five are not valid HTTP/1.1: the HTTP layer may refuse them
 * before the app sees them, or close the connection. A Content-Length larger than the body sent
 * is not among them: the server must wait for the rest, up to its body timeout, so that case has
 * a test of its own, where the waits overlap.
 */
export const framings = [
  "exact",
  "short",
  "none",
  "chunked",
  "bad-number",
  "negative",
  "duplicate",
  "chunked-and-length",
  "bad-chunk",
] as const;
export type Framing = (typeof framings)[number];
const brokenFramings: ReadonlySet<Framing> = new Set([
  "bad-number",
  "negative",
  "duplicate",
  "chunked-and-length",
  "bad-chunk",
]);

/** Methods Node's HTTP parser refuses, or (CONNECT) hands to no one. */
export const brokenMethods: ReadonlySet<string> = new Set(["CONNECT", "FOO", "get"]);

/** A Content-Encoding header, and whether the body really is encoded so ("lie" when not). */
export interface Encoding {
  name: string;
  body: "lie" | "encoded" | "bomb";
}

export interface HostileCase {
  /** The route of the table this case was made for, e.g. "POST /api/v1/completions". */
  route: string;
  /** What the case does, for people. */
  note: string;
  method: string;
  /** The request target as sent. */
  target: string;
  token: TokenKind;
  contentType: string | undefined;
  encoding: Encoding | undefined;
  framing: Framing;
  headers: [string, string][];
  body: BodyCase;
}

/** The tokens a target offers, by kind, for the route a case is sent to. */
export type TokenSecrets = (kind: TokenKind) => string[];

function authorization(kind: TokenKind, secrets: string[]): string | undefined {
  const [first = "", second = ""] = secrets;
  switch (kind) {
    case "none":
      return undefined;
    case "empty-bearer":
      return "Bearer ";
    case "basic":
      return "Basic dXNlcjpwYXNz";
    case "malformed":
      return "Bearer not-a-token";
    case "unknown":
      return `Bearer ollm_${"A".repeat(43)}`;
    case "huge":
      return `Bearer ollm_${"A".repeat(6000)}`;
    case "lowercase-scheme":
      return `bearer ${first}`;
    case "trailing-junk":
      return `Bearer ${first} junk`;
    case "two-tokens":
      return `Bearer ${first}, Bearer ${second}`;
    default:
      return `Bearer ${first}`;
  }
}

let bomb: Buffer | undefined;
/** 20 MB of JSON that gzip packs into about 20 kB. */
function gzipBomb(): Buffer {
  bomb ??= gzipSync(Buffer.from(`{"prompt":"${"a".repeat(20 * 1024 * 1024)}"}`));
  return bomb;
}

function encodeBody(body: Buffer, encoding: Encoding | undefined): Buffer {
  if (!encoding || encoding.body === "lie") return body;
  if (encoding.body === "bomb") return gzipBomb();
  const name = encoding.name.toLowerCase();
  if (name === "gzip" || name === "x-gzip") return gzipSync(body);
  if (name === "deflate") return deflateSync(body);
  if (name === "br") return brotliCompressSync(body);
  return body;
}

/** The body in 4 kB chunks; `broken` announces the first with a size that is not hex. */
function chunked(body: Buffer, broken: boolean): Buffer {
  const parts: Buffer[] = [];
  for (let offset = 0; offset === 0 || offset < body.length; offset += 4096) {
    const piece = body.subarray(offset, offset + 4096);
    const size = broken && offset === 0 ? "zz" : piece.length.toString(16);
    if (piece.length > 0 || broken)
      parts.push(Buffer.from(`${size}\r\n`), piece, Buffer.from("\r\n"));
  }
  parts.push(Buffer.from("0\r\n\r\n"));
  return Buffer.concat(parts);
}

export interface Rendered {
  request: RawRequest;
  /** Secrets the request itself carries: the caller's own, which the answer may show. */
  ownSecrets: string[];
  /** Not valid HTTP/1.1: the HTTP layer may close the connection without an answer. */
  broken: boolean;
}

export function renderCase(hostile: HostileCase, tokenSecrets: TokenSecrets): Rendered {
  const ownSecrets = tokenSecrets(hostile.token);
  const headers: [string, string][] = [
    ["Host", "127.0.0.1"],
    ["Connection", "close"],
  ];
  const auth = authorization(hostile.token, ownSecrets);
  if (auth !== undefined) headers.push(["Authorization", auth]);
  if (hostile.contentType !== undefined) headers.push(["Content-Type", hostile.contentType]);
  if (hostile.encoding) headers.push(["Content-Encoding", hostile.encoding.name]);

  const plain =
    hostile.body.kind === "json"
      ? renderJson(hostile.body.node)
      : hostile.body.kind === "text"
        ? Buffer.from(hostile.body.text)
        : undefined;
  let body = plain === undefined ? undefined : encodeBody(plain, hostile.encoding);
  const length = String(body?.length ?? 0);
  switch (hostile.framing) {
    case "exact":
      if (body !== undefined) headers.push(["Content-Length", length]);
      break;
    case "short":
      headers.push(["Content-Length", String(Math.floor((body?.length ?? 0) / 2))]);
      break;
    case "none":
      break;
    case "chunked":
    case "bad-chunk":
      headers.push(["Transfer-Encoding", "chunked"]);
      body = chunked(body ?? Buffer.alloc(0), hostile.framing === "bad-chunk");
      break;
    case "bad-number":
      headers.push(["Content-Length", `${length}abc`]);
      break;
    case "negative":
      headers.push(["Content-Length", "-1"]);
      break;
    case "duplicate":
      headers.push(["Content-Length", length], ["Content-Length", `${Number(length) + 1}`]);
      break;
    case "chunked-and-length":
      headers.push(["Transfer-Encoding", "chunked"], ["Content-Length", length]);
      body = chunked(body ?? Buffer.alloc(0), false);
      break;
  }
  headers.push(...hostile.headers);
  return {
    request: { method: hostile.method, target: hostile.target, headers, body },
    ownSecrets,
    broken: brokenFramings.has(hostile.framing) || brokenMethods.has(hostile.method),
  };
}

const clip = (text: string, max = 160) =>
  text.length > max ? `${text.slice(0, max)}… (${text.length} characters)` : text;

/** The case in a few lines, for failure reports. */
export function describeCase(hostile: HostileCase, tokenSecrets: TokenSecrets): string {
  const { request } = renderCase(hostile, tokenSecrets);
  const body = request.body ?? Buffer.alloc(0);
  return [
    `${hostile.route}: ${hostile.note}`,
    `  ${request.method} ${clip(request.target)} (token: ${hostile.token}, framing: ${hostile.framing}${hostile.encoding ? `, Content-Encoding: ${hostile.encoding.name} (${hostile.encoding.body})` : ""})`,
    ...request.headers
      .filter(([name]) => !["host", "connection", "authorization"].includes(name.toLowerCase()))
      .map(([name, value]) => `  ${name}: ${clip(value)}`),
    `  body (${body.length} bytes): ${clip(JSON.stringify(body.subarray(0, 400).toString("latin1")))}`,
  ].join("\n");
}
