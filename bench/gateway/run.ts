/**
 * Gateway benchmark: on loopback, in one run, the fake provider directly, a bare node:http
 * passthrough to it, and the OfficeLLM gateway (auth, rate limiting and ledger on, cache off).
 * Prints throughput (closed loop, 50 connections) with the CPU time each process spends per
 * request, added latency at a paced 200 and 500 req/s, streaming time to first byte, the ratios
 * against the targets, and the gateway's memory; and, for scale, the official SDK calling the
 * fake provider with no server around it at all.
 * `--profile` runs the gateway under `--cpu-prof` and prints where its time went.
 *
 *   npm run bench:gateway [-- --seconds 5] [-- --profile]
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { availableParallelism, tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { cpuMs } from "./cpu.ts";
import { closedLoop, oneAtATime, openLoop, type Target } from "./load.ts";
import { summarizeProfile } from "./profile-summary.ts";

const { values } = parseArgs({
  options: { seconds: { type: "string", default: "5" }, profile: { type: "boolean" } },
});
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
 * Starts the gateway as an operator would: as `npm start` does, through scripts/serve.sh (which
 * holds the V8 settings and execs Node, so the child's pid is the gateway's), under this Node;
 * its log goes to a file, not to a pipe this busy process would have to drain. Ready when
 * /health answers.
 */
async function startGateway(env: Record<string, string>, logFile: string) {
  const port = await freePort();
  const log = openSync(logFile, "a");
  const child = spawn("sh", ["scripts/serve.sh"], {
    cwd: root,
    env: {
      ...process.env,
      ...env,
      PORT: String(port),
      PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ""}`,
    },
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

/** Stops a child and waits for it to exit (a profile is written on the way out). */
function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });
}

/**
 * The closed loop, with the CPU time spent per answered request (µs) by this load generator, the
 * fake provider and the proxy in between when there is one (all its threads, and its main
 * thread alone).
 */
async function closedLoopWithCpu(target: Target, fakePid: number, proxyPid?: number) {
  const ownMs = () => (process.cpuUsage().user + process.cpuUsage().system) / 1000;
  const before = {
    load: ownMs(),
    fake: cpuMs(fakePid),
    proxy: proxyPid ? cpuMs(proxyPid) : undefined,
  };
  const result = await closedLoop(target, 50, seconds);
  const perRequest = (ms: number) => (ms * 1000) / Math.max(result.requests, 1);
  const proxy = proxyPid ? cpuMs(proxyPid) : undefined;
  return {
    ...result,
    cpuUs: {
      load: perRequest(ownMs() - before.load),
      fake: perRequest(cpuMs(fakePid).all - before.fake.all),
      proxy: proxy && before.proxy ? perRequest(proxy.all - before.proxy.all) : undefined,
      proxyMain: proxy && before.proxy ? perRequest(proxy.main - before.proxy.main) : undefined,
    },
  };
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
    const profileDir = join(dir, "profile");
    const gateway = await startGateway(
      {
        ...(values.profile
          ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${profileDir} --cpu-prof-interval=250` }
          : {}),
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

    // Warm every path (JIT, connection pools, SQLite pages): V8 keeps optimising for seconds.
    for (const target of [direct(), proxied(), viaGateway(), direct(true), viaGateway(true)])
      await closedLoop(target, 10, 3);

    console.log(
      `\nOfficeLLM gateway benchmark (${seconds}s per phase, loopback, node ${process.version})\n`,
    );
    const throughput = {
      direct: await closedLoopWithCpu(direct(), fake.child.pid!),
      passthrough: await closedLoopWithCpu(proxied(), fake.child.pid!, passthrough.child.pid!),
      gateway: await closedLoopWithCpu(viaGateway(), fake.child.pid!, gateway.child.pid!),
    };
    let peakRss = rssMb(gateway.child.pid!);
    console.log("Throughput, closed loop, 50 connections (requests/s)");
    for (const [name, result] of Object.entries(throughput))
      console.log(
        `  ${name.padEnd(12)} ${fmt(result.requestsPerSecond, 0).padStart(8)}   failed ${result.failed}`,
      );
    console.log(
      "\nCPU time per request in that loop (µs): load generator | fake provider | proxy (its main thread)",
    );
    for (const [name, { cpuUs }] of Object.entries(throughput))
      console.log(
        `  ${name.padEnd(12)} ${fmt(cpuUs.load, 0).padStart(8)} | ${fmt(cpuUs.fake, 0).padStart(8)} | ${cpuUs.proxy === undefined ? "" : `${fmt(cpuUs.proxy, 0).padStart(8)} (${fmt(cpuUs.proxyMain!, 0)})`}`,
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
      direct: (await oneAtATime(direct(true), 300)).firstByte,
      gateway: (await oneAtATime(viaGateway(true), 300)).firstByte,
    };
    console.log("\nStreaming time to first byte (ms, 300 calls one at a time)");
    console.log(
      `  direct p50 ${fmt(ttfb.direct.p50)} p99 ${fmt(ttfb.direct.p99)} | gateway p50 ${fmt(ttfb.gateway.p50)} p99 ${fmt(ttfb.gateway.p99)}`,
    );

    // For scale: what the official SDK costs by itself, before any gateway work.
    const alone = {
      direct: (await oneAtATime(direct(), 300)).total,
      gateway: (await oneAtATime(viaGateway(), 300)).total,
    };
    const sdk = await start(
      ["bench/gateway/sdk-client.ts", String(seconds), "50"],
      { UPSTREAM_URL: fake.url },
      (line) => line,
    ).then(
      ({ url: line }) =>
        JSON.parse(line) as {
          callsPerSecond: number;
          cpuUsPerCall: number;
          mainCpuUsPerCall: number;
          fetchCpuUsPerCall: number;
          fetchMainCpuUsPerCall: number;
          p50Ms: number;
        },
    );
    console.log("\nThe official openai SDK alone, no server (as the gateway's provider uses it)");
    console.log(
      `  closed loop, 50 connections ${fmt(sdk.callsPerSecond, 0)} calls/s (${fmt((100 * sdk.callsPerSecond) / throughput.passthrough.requestsPerSecond, 0)}% of the passthrough)`,
    );
    console.log(
      `  one call at a time p50 ${fmt(sdk.p50Ms)} ms | direct p50 ${fmt(alone.direct.p50)} ms | gateway p50 ${fmt(alone.gateway.p50)} ms`,
    );
    console.log(
      `  CPU time per call ${fmt(sdk.cpuUsPerCall, 0)} µs (its main thread ${fmt(sdk.mainCpuUsPerCall, 0)}); through its HTTP client alone, without the SDK, ${fmt(sdk.fetchCpuUsPerCall, 0)} µs (${fmt(sdk.fetchMainCpuUsPerCall, 0)})`,
    );
    // One event loop does a Node server's JavaScript: at half the passthrough's rate, it has at
    // most this much of its one core per request.
    const loopBudgetUs = 1e6 / (0.5 * throughput.passthrough.requestsPerSecond);
    console.log(
      `\nTo keep 50% of the passthrough's throughput, the gateway's main thread may spend at most ${fmt(loopBudgetUs, 0)} µs per request; it spends ${fmt(throughput.gateway.cpuUs.proxyMain!, 0)} µs, of which an SDK call takes about ${fmt(sdk.mainCpuUsPerCall, 0)} (${availableParallelism()} cores here)`,
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
    if (values.profile) {
      await stop(gateway.child);
      const [file] = readdirSync(profileDir);
      console.log(`\nWhere the gateway's time went (--cpu-prof, start-up included)`);
      console.log(summarizeProfile(join(profileDir, file!), root));
    }
  } finally {
    await Promise.all(children.map(stop));
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
