/**
 * Gateway benchmark: on loopback, in one run, the fake provider directly, a bare node:http
 * passthrough to it, and the OfficeLLM gateway (auth, rate limiting and ledger on, cache off).
 * Prints throughput (closed loop, 50 connections), added latency at a paced 200 and 500 req/s,
 * streaming time to first byte, the ratios against the targets, and the gateway's memory.
 *
 *   npm run bench:gateway [-- --seconds 5]
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { closedLoop, firstByte, openLoop, type Target } from "./load.ts";

const { values } = parseArgs({ options: { seconds: { type: "string", default: "5" } } });
const seconds = Number(values.seconds);
const root = new URL("../../", import.meta.url).pathname;
const children: ChildProcess[] = [];

/** Starts a child and waits for the line that says it is ready. */
function start(
  args: string[],
  env: Record<string, string>,
  ready: (line: string) => string | undefined,
) {
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  children.push(child);
  return new Promise<{ child: ChildProcess; url: string }>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on("line", (line) => {
      const url = ready(line);
      if (url) {
        lines.removeAllListeners("line");
        child.stdout!.resume();
        resolve({ child, url });
      }
    });
    child.once("exit", (code) => reject(new Error(`${args.join(" ")} exited with ${code}`)));
  });
}

/**
 * Starts the gateway as an operator would: its log goes to a file, not to a pipe this busy
 * process would have to drain. Ready when /health answers.
 */
async function startGateway(env: Record<string, string>, logFile: string) {
  const port = await freePort();
  const log = openSync(logFile, "a");
  const child = spawn(process.execPath, ["server/main.ts"], {
    cwd: root,
    env: { ...process.env, ...env, PORT: String(port) },
    stdio: ["ignore", log, "inherit"],
  });
  children.push(child);
  const url = `http://127.0.0.1:${port}`;
  for (let attempt = 0; attempt < 100; attempt++) {
    if (child.exitCode !== null) throw new Error(`the gateway exited with ${child.exitCode}`);
    const healthy = await fetch(`${url}/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (healthy) return { child, url };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error("the gateway did not become healthy");
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

const fmt = (n: number, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : "n/a");

async function main() {
  const dir = mkdtempSync(join(tmpdir(), "officellm-bench-"));
  const databaseUrl = `sqlite:${join(dir, "bench.db")}`;
  try {
    const fake = await start(
      ["bench/gateway/fake-upstream.ts"],
      {},
      (line) => JSON.parse(line).url,
    );
    const passthrough = await start(
      ["bench/gateway/passthrough.ts"],
      { UPSTREAM_URL: fake.url },
      (line) => JSON.parse(line).url,
    );

    const created = spawnSync(
      process.execPath,
      ["server/cli/main.ts", "token", "create", "--name", "bench", "--rpm", "100000000"],
      {
        cwd: root,
        env: { ...process.env, DATABASE_URL: databaseUrl },
        encoding: "utf8",
      },
    );
    const { token } = JSON.parse(created.stdout) as { token: string };
    const gateway = await startGateway(
      {
        DATABASE_URL: databaseUrl,
        OPENAI_API_KEY: "sk-bench-key",
        OPENAI_BASE_URL: `${fake.url}/v1`,
        LOG_LEVEL: "info",
        REDIS_URL: "",
      },
      join(dir, "gateway.log"),
    );

    const openAiBody = (stream: boolean) =>
      JSON.stringify({
        model: "gpt-4.1-mini",
        messages: [{ role: "user", content: "Summarise the quarter in one line." }],
        temperature: 0.7,
        stream,
      });
    const direct = (stream = false): Target => ({
      url: fake.url,
      path: "/v1/chat/completions",
      headers: { authorization: "Bearer sk-bench-key" },
      body: openAiBody(stream),
    });
    const proxied = (stream = false): Target => ({ ...direct(stream), url: passthrough.url });
    const viaGateway = (stream = false): Target => ({
      url: gateway.url,
      path: "/api/v1/completions",
      headers: { authorization: `Bearer ${token}` },
      body: JSON.stringify({
        model: "gpt-4.1-mini",
        prompt: "Summarise the quarter in one line.",
        temperature: 0.7,
        cache: false,
        stream,
      }),
    });

    // Warm every path (JIT, connection pools, SQLite pages).
    for (const target of [direct(), proxied(), viaGateway()]) await closedLoop(target, 10, 1);

    console.log(
      `\nOfficeLLM gateway benchmark (${seconds}s per phase, loopback, node ${process.version})\n`,
    );
    const throughput = {
      direct: await closedLoop(direct(), 50, seconds),
      passthrough: await closedLoop(proxied(), 50, seconds),
      gateway: await closedLoop(viaGateway(), 50, seconds),
    };
    let peakRss = rssMb(gateway.child.pid!);
    console.log("Throughput, closed loop, 50 connections (requests/s)");
    for (const [name, result] of Object.entries(throughput))
      console.log(
        `  ${name.padEnd(12)} ${fmt(result.requestsPerSecond, 0).padStart(8)}   failed ${result.failed}`,
      );

    const latency: Record<string, Record<string, ReturnType<typeof Object>>> = {};
    console.log("\nLatency, open loop (ms)");
    for (const rate of [200, 500]) {
      const d = await openLoop(direct(), rate, seconds);
      const p = await openLoop(proxied(), rate, seconds);
      const g = await openLoop(viaGateway(), rate, seconds);
      peakRss = Math.max(peakRss, rssMb(gateway.child.pid!));
      latency[rate] = { d, p, g };
      console.log(
        `  ${rate} req/s   direct p50 ${fmt(d.p50)} p99 ${fmt(d.p99)} | passthrough p50 ${fmt(p.p50)} p99 ${fmt(p.p99)} | gateway p50 ${fmt(g.p50)} p99 ${fmt(g.p99)} (failed ${g.failed})`,
      );
      console.log(
        `             gateway adds p50 ${fmt(g.p50 - d.p50)} ms, p99 ${fmt(g.p99 - d.p99)} ms over direct`,
      );
    }

    const ttfb = {
      direct: await firstByte(direct(true), 300),
      gateway: await firstByte(viaGateway(true), 300),
    };
    console.log("\nStreaming time to first byte (ms, 300 sequential calls)");
    console.log(
      `  direct p50 ${fmt(ttfb.direct.p50)} p99 ${fmt(ttfb.direct.p99)} | gateway p50 ${fmt(ttfb.gateway.p50)} p99 ${fmt(ttfb.gateway.p99)}`,
    );

    const ratio = throughput.gateway.requestsPerSecond / throughput.passthrough.requestsPerSecond;
    const added500 = latency[500] as unknown as {
      d: { p50: number; p99: number };
      g: { p50: number; p99: number };
    };
    const addedTtfb = ttfb.gateway.p50 - ttfb.direct.p50;
    const rows: [string, string, string, boolean][] = [
      ["throughput vs passthrough", `${fmt(ratio * 100, 0)}%`, ">= 50%", ratio >= 0.5],
      [
        "added p50 at 500 req/s",
        `${fmt(added500.g.p50 - added500.d.p50)} ms`,
        "<= 0.5 ms",
        added500.g.p50 - added500.d.p50 <= 0.5,
      ],
      [
        "added p99 at 500 req/s",
        `${fmt(added500.g.p99 - added500.d.p99)} ms`,
        "<= 3 ms",
        added500.g.p99 - added500.d.p99 <= 3,
      ],
      ["added time to first byte (p50)", `${fmt(addedTtfb)} ms`, "<= 1 ms", addedTtfb <= 1],
      ["gateway resident memory (peak)", `${fmt(peakRss, 0)} MB`, "<= 150 MB", peakRss <= 150],
    ];
    console.log("\nAgainst the targets");
    for (const [name, value, target, met] of rows)
      console.log(
        `  ${name.padEnd(32)} ${value.padStart(10)}   target ${target.padEnd(10)} ${met ? "met" : "MISSED"}`,
      );
  } finally {
    for (const child of children) child.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
