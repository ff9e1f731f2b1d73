import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../test/harness.ts";

/**
 * Slow and oversized requests over raw sockets. The limits are short so that each test waits for
 * the server to close the socket, and the request timeout is long beside them: a socket still
 * open when it passes is one the server would have left to the client.
 */
const REQUEST_TIMEOUT_MS = 5000;
let server: TestServer;
let token: string;

beforeAll(async () => {
  server = await startTestServer({
    env: {
      HEADERS_TIMEOUT_MS: "300",
      BODY_TIMEOUT_MS: "300",
      BODY_LIMIT: "64kb",
      REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
    },
  });
  token = (await server.token()).token;
});
afterAll(() => server.close());

interface Outcome {
  /** Whether the server closed the socket before the request timeout. */
  closed: boolean;
  /** The status line of the answer, if any. */
  status: string | undefined;
  /** Everything received. */
  received: string;
}

/**
 * Writes `head` on a fresh connection, then one byte of `trickle` every 50 ms, until the server
 * closes the socket or the request timeout passes.
 */
function send(head: string, trickle = ""): Promise<Outcome> {
  const { hostname, port } = new URL(server.url);
  const socket = connect(Number(port), hostname);
  let received = "";
  socket.setEncoding("utf8");
  socket.on("data", (chunk: string) => (received += chunk));
  socket.on("error", () => undefined);
  socket.write(head);
  const drip = trickle ? setInterval(() => socket.write(trickle), 50) : undefined;
  return new Promise((done) => {
    const finish = (closed: boolean) => {
      clearInterval(drip);
      clearTimeout(deadline);
      socket.destroy();
      done({ closed, status: /^HTTP\/1\.1 \d{3}/.exec(received)?.[0], received });
    };
    const deadline = setTimeout(() => finish(false), REQUEST_TIMEOUT_MS);
    socket.once("close", () => finish(true));
  });
}

const post = (headers: string[], path = "/api/v1/completions") =>
  [`POST ${path} HTTP/1.1`, "Host: officellm", ...headers, "", ""].join("\r\n");

describe("a client that trickles its body", () => {
  const fiftyMegabytes = ["Content-Type: application/json", "Content-Length: 52428800"];

  it("without a token, is answered 401 and closed at once, its body unread", async () => {
    const outcome = await send(post(fiftyMegabytes) + "{", " ");
    expect(outcome.closed, outcome.received).toBe(true);
    expect(outcome.status).toBe("HTTP/1.1 401");
    expect(outcome.received).toMatch(/\r\nconnection: close\r\n/i);
    expect(outcome.received).toContain('"code":"unauthorized"');
  });

  it("with a bad token, is answered 401 and closed at once", async () => {
    const outcome = await send(
      post(["Authorization: Bearer ollm_" + "B".repeat(43), ...fiftyMegabytes]) + "{",
      " ",
    );
    expect(outcome.closed, outcome.received).toBe(true);
    expect(outcome.status).toBe("HTTP/1.1 401");
  });

  it("with a valid token, is answered 408 and closed after BODY_TIMEOUT_MS", async () => {
    const outcome = await send(
      post([
        `Authorization: Bearer ${token}`,
        "Content-Type: application/json",
        "Content-Length: 60000",
      ]) + '{"prompt":"',
      " ",
    );
    expect(outcome.closed, outcome.received).toBe(true);
    expect(outcome.status).toBe("HTTP/1.1 408");
    expect(outcome.received).toContain('"code":"request_timeout"');
    expect(outcome.received).toContain("300 ms");
  });

  it("with a valid token and a length over BODY_LIMIT, is answered 413 before any is read", async () => {
    const outcome = await send(
      post([`Authorization: Bearer ${token}`, ...fiftyMegabytes]) + "{",
      " ",
    );
    expect(outcome.closed, outcome.received).toBe(true);
    expect(outcome.status).toBe("HTTP/1.1 413");
    expect(outcome.received).toContain('"code":"payload_too_large"');
  });

  it("sent to a route that takes no body, is answered and closed", async () => {
    const outcome = await send(
      ["GET /health HTTP/1.1", "Host: officellm", "Content-Length: 52428800", "", "{"].join("\r\n"),
      " ",
    );
    expect(outcome.closed, outcome.received).toBe(true);
    expect(outcome.status).toBe("HTTP/1.1 200");
  });
});

describe("a client that trickles its headers", () => {
  it("is closed after HEADERS_TIMEOUT_MS", async () => {
    const outcome = await send("GET /health HTTP/1.1\r\nHost: officellm\r\n", "X");
    expect(outcome.closed, outcome.received).toBe(true);
    expect(outcome.status).toBe("HTTP/1.1 408");
  });

  it("is closed after HEADERS_TIMEOUT_MS when it sends nothing at all", async () => {
    const outcome = await send("");
    expect(outcome.closed, outcome.received).toBe(true);
  });
});

describe("a client that sends its request in time", () => {
  it("keeps its connection for the next request", async () => {
    const body = JSON.stringify({ name: "x" });
    const outcome = await send(
      [
        "GET /health HTTP/1.1",
        "Host: officellm",
        "",
        "POST /api/v1/completions HTTP/1.1",
        "Host: officellm",
        `Authorization: Bearer ${token}`,
        "Content-Type: application/json",
        `Content-Length: ${Buffer.byteLength(body)}`,
        "Connection: close",
        "",
        body,
      ].join("\r\n"),
    );
    expect(outcome.closed, outcome.received).toBe(true);
    expect(outcome.received.match(/HTTP\/1\.1 \d{3}/g)).toEqual(["HTTP/1.1 200", "HTTP/1.1 400"]);
  });
});
