import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKeepAliveFetch } from "./keep-alive-fetch.ts";

let server: Server;
let base: string;
const fetch = createKeepAliveFetch({ maxSockets: 4 });
/** Sends the rest of the stream in flight: the test calls it once it has read the first part. */
let sendRest = () => {};

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString()));
    req.on("end", () => {
      if (req.url === "/json") {
        res.writeHead(429, { "content-type": "application/json", "retry-after": "2" });
        res.end(JSON.stringify({ method: req.method, body, auth: req.headers.authorization }));
      } else if (req.url === "/ndjson") {
        res.writeHead(200, { "content-type": "application/x-ndjson" });
        res.write('{"n":1}\n');
        sendRest = () => res.end('{"n":2}\n');
      } else if (req.url === "/empty") {
        res.writeHead(204);
        res.end();
      } else if (req.url === "/events") {
        res.writeHead(200, { "content-type": "text/event-stream" });
        res.write("data: one\n\n");
        sendRest = () => res.end("data: two\n\n");
      } else {
        // Promises 100 bytes, sends 5, and hangs up.
        res.writeHead(200, { "content-type": "application/json", "content-length": "100" });
        res.write('{"a":', () => res.socket?.destroy());
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(
  () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
);

describe("the keep-alive fetch the provider SDKs use", () => {
  it("sends method, headers and body, and answers with status, headers and the whole body", async () => {
    const response = await fetch(`${base}/json`, {
      method: "POST",
      headers: new Headers({ authorization: "Bearer k", "content-type": "application/json" }),
      body: '{"q":1}',
    });
    expect(response.ok).toBe(false);
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toBe("2");
    expect(await response.json()).toEqual({ method: "POST", body: '{"q":1}', auth: "Bearer k" });
    expect(response.bodyUsed).toBe(true);
    await expect(response.text()).rejects.toThrow(/already been read/);
  });

  it("hands a server-sent event stream over as it arrives", async () => {
    const response = await fetch(`${base}/events`);
    const reader = response.body!.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toBe("data: one\n\n");
    sendRest();
    let rest = "";
    for (let step = await reader.read(); !step.done; step = await reader.read())
      rest += new TextDecoder().decode(step.value);
    expect(rest).toBe("data: two\n\n");
  });

  it("hands over a stream of another type as it arrives too, and an empty answer as empty", async () => {
    const stream = await fetch(`${base}/ndjson`);
    const reader = stream.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe('{"n":1}\n');
    await reader.cancel();
    sendRest();
    const empty = await fetch(`${base}/empty`, { method: "DELETE" });
    expect(empty.status).toBe(204);
    expect(await empty.text()).toBe("");
  });

  it("fails with a connection error when the body is cut short", async () => {
    await expect(fetch(`${base}/cut`)).rejects.toMatchObject({ code: "ECONNRESET" });
  });
});
