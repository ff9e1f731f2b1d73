import { mkdtempSync, rmSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TokenService } from "./auth/token-service.ts";
import { systemClock } from "./clock.ts";
import { openStore } from "./store/store.ts";
import { startFakeProvider, type FakeProvider } from "./test/fake-provider.ts";
import { freePort, NodeChild } from "./test/process.ts";

let dir: string;
let databaseUrl: string;
let child: NodeChild | undefined;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "officellm-main-"));
  databaseUrl = `sqlite:${join(dir, "officellm.db")}`;
});
afterEach(async () => {
  await child?.kill();
  child = undefined;
  rmSync(dir, { recursive: true, force: true });
});

async function startServer(extra: Record<string, string> = {}) {
  const port = await freePort();
  child = new NodeChild("server/main.ts", [], {
    PORT: String(port),
    HOST: "127.0.0.1",
    DATABASE_URL: databaseUrl,
    LOG_LEVEL: "info",
    ...extra,
  });
  await child.waitFor(/OfficeLLM is listening/);
  return { child, port };
}

/** Opens a TCP connection, or fails with the socket error (e.g. ECONNREFUSED). */
function open(port: number): Promise<Socket> {
  return new Promise((done, fail) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => done(socket));
    socket.once("error", fail);
  });
}

/**
 * Collects what a socket receives until a complete HTTP response (by Content-Length) or its end;
 * `continued` resolves when the server answers `100 Continue`, which it does as it hands the
 * request to the app.
 */
function readResponse(socket: Socket, timeoutMs = 20_000) {
  let continued = () => {};
  const continuing = new Promise<void>((resolve) => (continued = resolve));
  const response = new Promise<{ raw: string; complete: boolean; ended: boolean }>((done) => {
    let raw = "";
    let ended = false;
    const complete = () => {
      const split = raw.indexOf("\r\n\r\n");
      if (split < 0) return false;
      const length = /\r\ncontent-length:\s*(\d+)/i.exec(raw.slice(0, split));
      return length !== null && Buffer.byteLength(raw.slice(split + 4)) >= Number(length[1]);
    };
    const finish = () => {
      clearTimeout(timer);
      done({ raw, complete: complete(), ended });
    };
    const timer = setTimeout(finish, timeoutMs);
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      raw += chunk;
      const interim = "HTTP/1.1 100 Continue\r\n\r\n";
      if (raw.startsWith(interim)) {
        raw = raw.slice(interim.length);
        continued();
      }
      if (complete()) finish();
    });
    socket.on("end", () => {
      ended = true;
      finish();
    });
    socket.on("error", finish);
  });
  return { continuing, response };
}

async function createAdminToken(): Promise<string> {
  const store = await openStore(databaseUrl);
  try {
    const tokens = new TokenService(store, systemClock);
    return (await tokens.create({ name: "ops", scopes: ["admin"] })).token;
  } finally {
    await store.close();
  }
}

describe("graceful shutdown", () => {
  it("refuses new connections, finishes the request in flight, then exits 0", async () => {
    const admin = await createAdminToken();
    const { child, port } = await startServer();

    const json = JSON.stringify({ name: "in-flight" });
    const body = json.padEnd(200, " ");
    expect(Buffer.byteLength(body)).toBe(200);
    const socket = await open(port);
    const { continuing, response } = readResponse(socket);
    socket.write(
      [
        "POST /api/v1/admin/tokens HTTP/1.1",
        `Host: 127.0.0.1:${port}`,
        `Authorization: Bearer ${admin}`,
        "Content-Type: application/json",
        "Content-Length: 200",
        "Expect: 100-continue",
        "",
        "",
      ].join("\r\n") + body.slice(0, 60),
    );
    // The server has taken the request in: it is now in flight, waiting for its body.
    await continuing;

    child.child.kill("SIGTERM");
    await child.waitFor(/stopping: no new connections/);
    let refused: NodeJS.ErrnoException | undefined;
    while (!refused) {
      try {
        // The line is written as the listener closes; a probe that got in just before is
        // accepted or reset: probe again until the port refuses outright.
        (await open(port)).destroy();
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ECONNRESET") {
          refused = error as NodeJS.ErrnoException;
        }
      }
    }
    expect(refused.code).toBe("ECONNREFUSED");

    socket.write(body.slice(60));
    const { raw, complete } = await response;
    expect(complete, raw).toBe(true);
    expect(raw).toMatch(/^HTTP\/1\.1 (201|400) /);
    expect(raw).toMatch(/\r\n\r\n\{"(id|error)":/);
    socket.end();

    // Drained before SHUTDOWN_TIMEOUT_MS (10 s) would have cut it short ("drain timed out").
    const exit = await child.exit();
    expect(exit.timedOut).toBe(false);
    expect(exit.signal).toBeNull();
    expect(exit.code).toBe(0);
    const messages = records(child.stdout).map((record) => record.msg);
    expect(messages).toContain("stopped");
    expect(messages.indexOf("stopped")).toBe(messages.length - 1);
    expect(child.stdout).not.toMatch(/drain timed out/);
    expect(child.stdout).not.toContain(admin);
    const issued = /"token":"(ollm_[^"]+)"/.exec(raw)?.[1];
    if (issued) expect(child.stdout).not.toContain(issued);
    // The request finished inside the process: its line was logged before "stopped".
    expect(records(child.stdout)).toContainEqual(
      expect.objectContaining({ msg: "request", method: "POST", path: "/api/v1/admin/tokens" }),
    );
  });
});

describe("start-up", () => {
  it("with no tokens, tells how to create one and shows no secret", async () => {
    const { child } = await startServer();
    await child.waitFor(/token create/);
    const hint = records(child.stdout).find((record) => /token create/.test(String(record.msg)));
    expect(hint).toBeDefined();
    expect(child.stdout).not.toMatch(/ollm_[A-Za-z0-9_-]{20,}/);
    expect(child.stderr).not.toMatch(/ollm_[A-Za-z0-9_-]{20,}/);
  });

  it("with a token already made, does not suggest creating one", async () => {
    const admin = await createAdminToken();
    const { child, port } = await startServer();
    const response = await fetch(`http://127.0.0.1:${port}/api/v1/me`, {
      headers: { authorization: `Bearer ${admin}` },
    });
    expect(response.status).toBe(200);
    await response.arrayBuffer();
    expect(child.stdout).not.toMatch(/token create/);
    expect(child.stdout).not.toContain(admin);
  });
});

describe("the log", () => {
  let fake: FakeProvider | undefined;
  afterEach(async () => {
    await fake?.close();
    fake = undefined;
  });

  it("holds only JSON lines, the provider SDKs' own lines included", async () => {
    fake = await startFakeProvider();
    const store = await openStore(databaseUrl);
    const { token } = await new TokenService(store, systemClock).create({
      name: "sdk",
      scopes: ["llm"],
    });
    await store.close();
    const { child, port } = await startServer({
      LOG_LEVEL: "debug",
      OPENAI_API_KEY: "sk-upstream-3f9c2a7b1d8e4f60a5b9c7d2",
      OPENAI_BASE_URL: fake.openaiBaseUrl,
      ANTHROPIC_API_KEY: "sk-ant-upstream-8e1d4c7b2a9f3e6d0c5b",
      ANTHROPIC_BASE_URL: fake.anthropicBaseUrl,
    });

    // claude-sonnet-4-5 is one Anthropic's SDK warns about as deprecated, on the console.
    for (const model of ["claude-sonnet-4-5", "gpt-4.1-mini"]) {
      const response = await fetch(`http://127.0.0.1:${port}/api/v1/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ prompt: "Say hi", model }),
      });
      expect(response.status, model).toBe(200);
      await response.arrayBuffer();
    }
    // The log is written asynchronously: wait for the lines the test looks for.
    await child.waitFor(/deprecated/);
    for (const provider of ["anthropic", "openai"])
      await child.waitFor(new RegExp(`"provider":"${provider}","msg":"[^"]*sending request`));

    expect(child.stderr).toBe("");
    for (const secret of [
      token,
      "sk-upstream-3f9c2a7b1d8e4f60a5b9c7d2",
      "sk-ant-upstream-8e1d4c7b2a9f3e6d0c5b",
    ]) {
      expect(child.stdout).not.toContain(secret);
    }
    const lines = child.stdout.split("\n").filter((line) => line !== "");
    for (const line of lines) expect(() => JSON.parse(line) as unknown, line).not.toThrow();
    const logged = records(child.stdout);
    for (const provider of ["anthropic", "openai"]) {
      expect(logged, provider).toContainEqual(
        expect.objectContaining({ provider, msg: expect.stringMatching(/sending request/) }),
      );
    }
    expect(logged).toContainEqual(
      expect.objectContaining({
        level: 40,
        msg: expect.stringMatching(/claude-sonnet-4-5.*deprecated/),
      }),
    );
  });
});

function records(stdout: string): Record<string, unknown>[] {
  return stdout
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
