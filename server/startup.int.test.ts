/**
 * Start-up failures and the log, as an operator meets them running server/main.ts: messages that
 * name the setting to change and the address (never a password), Redis errors with their reason,
 * and readable lines at a terminal.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { freePort, NodeChild, repoRoot } from "./test/process.ts";

let dir: string;
let child: NodeChild | undefined;
let holder: Server | undefined;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "officellm-startup-"));
});
afterEach(async () => {
  await child?.kill();
  child = undefined;
  await new Promise<void>((resolve) => (holder ? holder.close(() => resolve()) : resolve()));
  holder = undefined;
  rmSync(dir, { recursive: true, force: true });
});

const troubleshooting = readFileSync(join(repoRoot, "docs/troubleshooting.md"), "utf8");

/** docs/troubleshooting.md quotes the line as printed: each of `parts`, in the printed line too. */
function expectTroubleshootingToQuote(printed: string, ...parts: string[]): void {
  for (const part of parts) {
    expect(printed).toContain(part);
    expect(troubleshooting, part).toContain(part);
  }
}

function start(env: Record<string, string>): NodeChild {
  child = new NodeChild("server/main.ts", [], {
    HOST: "127.0.0.1",
    DATABASE_URL: `sqlite:${join(dir, "officellm.db")}`,
    LOG_LEVEL: "info",
    ...env,
  });
  return child;
}

describe("start-up failures", () => {
  it("an unreachable database: names DATABASE_URL and its address, not its password", async () => {
    const port = await freePort();
    const server = start({
      PORT: String(await freePort()),
      DATABASE_URL: `postgres://officellm:pa55-w0rd-x@127.0.0.1:${port}/officellm`,
    });
    const exit = await server.exit();
    expect(exit.code).toBe(1);
    expect(server.stderr).toMatch(/DATABASE_URL/);
    expect(server.stderr).toContain(`postgres://officellm:***@127.0.0.1:${port}/officellm`);
    expect(server.stderr).toMatch(/ECONNREFUSED/);
    expect(server.stdout + server.stderr).not.toContain("pa55-w0rd-x");
    expectTroubleshootingToQuote(server.stderr, "could not open the database at", "(DATABASE_URL)");
  });

  it("a port in use: says so and suggests PORT", async () => {
    holder = createServer();
    await new Promise<void>((resolve) => holder!.listen(0, "127.0.0.1", resolve));
    const { port } = holder.address() as { port: number };
    const server = start({ PORT: String(port) });
    const exit = await server.exit();
    expect(exit.code).toBe(1);
    expect(server.stderr).toContain(`port ${port} is already in use on 127.0.0.1`);
    expect(server.stderr).toMatch(/set PORT to a free port/);
    expectTroubleshootingToQuote(server.stderr, "is already in use on", "set PORT to a free port");
  });
});

describe("Redis errors", () => {
  it("are logged with their reason, and the server starts without Redis", async () => {
    // `localhost` has an IPv4 and an IPv6 address: a refusal is an AggregateError, no message.
    const redisPort = await freePort();
    const server = start({
      PORT: String(await freePort()),
      REDIS_URL: `redis://:r3dis-pw@localhost:${redisPort}`,
    });
    await server.waitFor(/OfficeLLM is listening/);
    await server.waitFor(/redis unavailable: .*ECONNREFUSED/);
    const lines = server.stdout.split("\n").filter((line) => /redis/i.test(line));
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      expect(line).not.toMatch(/"type":"Object"/);
      expect(line).not.toContain("r3dis-pw");
    }
    expect(server.stdout).toContain(`redis://:***@localhost:${redisPort}`);
  });
});

describe("the log at a terminal", () => {
  it("is one readable line per request", async () => {
    const port = await freePort();
    // `script` runs the server on a pseudo-terminal, as `npm start` in a terminal does.
    const command = `${JSON.stringify(process.execPath)} server/main.ts`;
    child = new NodeChild(
      "-qefc",
      [command, "/dev/null"],
      { PORT: String(port), HOST: "127.0.0.1", DATABASE_URL: `sqlite:${join(dir, "o.db")}` },
      undefined,
      "script",
    );
    await child.waitFor(/OfficeLLM is listening/);
    const response = await fetch(`http://127.0.0.1:${port}/health?probe=1`);
    expect(response.status).toBe(200);
    await child.waitFor(/GET \/health 200 [\d.]+ ms/);
    // eslint-disable-next-line no-control-regex
    const plain = child.stdout.replace(/\u001b\[[0-9;]*m/g, "");
    const line = plain.split(/\r?\n/).find((candidate) => /GET \/health 200/.test(candidate));
    expect(line).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO.*: GET \/health 200 [\d.]+ ms\s*$/);
    expect(plain).not.toMatch(/^\{"level"/m);
  });
});
