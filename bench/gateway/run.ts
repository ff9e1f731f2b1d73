/**
 * Gateway benchmark: on loopback, in one run, the fake provider directly, a bare node:http
 * passthrough to it, the official SDK alone, and the OfficeLLM gateway started as `npm start`
 * starts it. Each run measures every figure of the targets in docs/performance.md; the
 * benchmark prints each target with the median of the runs and whether it is met.
 *
 *   npm run bench:gateway                       # 3 runs, full size (about 4 minutes a run)
 *   npm run bench:gateway -- --runs 1 --seconds 2 --load-seconds 5 --inflight 500
 *   npm run bench:gateway -- --profile          # also: where the gateway's CPU time went
 *
 * Options: --runs (3), --seconds per measuring phase (5), --load-seconds of the sustained load
 * whose peak memory counts (30), --inflight requests at once against a slow provider (5000),
 * --provider-ms that provider's time to answer (2000), --batch-items one token queues in the
 * fairness scenario (10000).
 */
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { Agent } from "node:http";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { cpuMs } from "./cpu.ts";
import { allAtOnce, closedLoop, oneAtATime, openLoop, send, type Target } from "./load.ts";
import {
  createToken,
  root,
  rssMb,
  samplePeakRss,
  start,
  startGateway,
  stop,
  stopAll,
} from "./processes.ts";
import { summarizeProfile } from "./profile-summary.ts";
import { median, targetTable, type Figures } from "./targets.ts";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "3" },
    seconds: { type: "string", default: "5" },
    "load-seconds": { type: "string", default: "30" },
    inflight: { type: "string", default: "5000" },
    "provider-ms": { type: "string", default: "2000" },
    "batch-items": { type: "string", default: "10000" },
    profile: { type: "boolean" },
  },
});
const runs = Number(values.runs);
const seconds = Number(values.seconds);
const loadSeconds = Number(values["load-seconds"]);
const inflight = Number(values.inflight);
const providerMs = Number(values["provider-ms"]);
const batchItems = Number(values["batch-items"]);
/** Each user's calls at once in the in-flight scenario, under the default TOKEN_MAX_IN_FLIGHT. */
const callsPerToken = 4;
/** BATCH_MAX_ITEMS's default: the fairness scenario's queue goes in batches of this size. */
const batchSize = 500;

const fmt = (n: number, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : "n/a");
const log = (line: string) => console.log(line);

/**
 * The closed loop (50 connections), with the CPU time spent per answered request (µs) by the
 * fake provider and the proxy in between when there is one: all its threads, and its main
 * thread alone, which runs all of a Node server's JavaScript.
 */
async function closedLoopWithCpu(target: Target, fakePid: number, proxyPid?: number) {
  const before = { fake: cpuMs(fakePid), proxy: proxyPid ? cpuMs(proxyPid) : undefined };
  const result = await closedLoop(target, 50, seconds);
  const perRequest = (ms: number) => (ms * 1000) / Math.max(result.requests, 1);
  const proxy = proxyPid ? cpuMs(proxyPid) : undefined;
  return {
    ...result,
    fakeUs: perRequest(cpuMs(fakePid).all - before.fake.all),
    proxyUs: proxy && before.proxy ? perRequest(proxy.all - before.proxy.all) : NaN,
    proxyMainUs: proxy && before.proxy ? perRequest(proxy.main - before.proxy.main) : NaN,
  };
}

const openAiBody = (stream: boolean) =>
  JSON.stringify({
    model: "gpt-4.1-mini",
    messages: [{ role: "user", content: "Summarise the quarter in one line." }],
    temperature: 0.7,
    stream,
  });

const completion = (fields: Record<string, unknown>) =>
  JSON.stringify({ model: "gpt-4.1-mini", temperature: 0.7, cache: false, ...fields });

/** A gateway call: `prompt` distinct per call where calls must not be shared or cached. */
const viaGateway = (url: string, token: string, fields: Record<string, unknown> = {}): Target => ({
  url,
  path: "/api/v1/completions",
  headers: { authorization: `Bearer ${token}` },
  body: completion({ prompt: "Summarise the quarter in one line.", ...fields }),
});

/** Tokens for the scenarios' users, issued through the admin API. */
async function issueTokens(gatewayUrl: string, adminToken: string, count: number) {
  const issued: string[] = [];
  while (issued.length < count) {
    const wave = Math.min(50, count - issued.length);
    const answers = await Promise.all(
      Array.from({ length: wave }, () =>
        fetch(`${gatewayUrl}/api/v1/admin/tokens`, {
          method: "POST",
          headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
          body: JSON.stringify({ name: "bench user", rpm: 1_000_000 }),
        }).then((r) => r.json() as Promise<{ token: string }>),
      ),
    );
    issued.push(...answers.map((a) => a.token));
  }
  return issued;
}

async function oneRun(run: number, dir: string): Promise<Figures> {
  const figures: Figures = { providerMs, inflight };
  const databaseUrl = `sqlite:${join(dir, `run${run}.db`)}`;
  const fake = await start(["bench/gateway/fake-upstream.ts"], {}, (l) => JSON.parse(l).url);
  const slowFake = await start(
    ["bench/gateway/fake-upstream.ts"],
    { FAKE_LATENCY_MS: String(providerMs) },
    (l) => JSON.parse(l).url,
  );
  const passthrough = await start(
    ["bench/gateway/passthrough.ts"],
    { UPSTREAM_URL: fake.url },
    (l) => JSON.parse(l).url,
  );
  const token = createToken(databaseUrl, "llm,admin");
  const gatewayEnv = (upstreamUrl: string) => ({
    DATABASE_URL: databaseUrl,
    OPENAI_API_KEY: "sk-bench-key",
    OPENAI_BASE_URL: `${upstreamUrl}/v1`,
    LOG_LEVEL: "info",
    REDIS_URL: "",
  });

  // The gateway calling the fast fake: CPU, throughput, latency, memory.
  const profileDir = join(dir, "profile");
  const profiled = values.profile && run === 1;
  const gateway = await startGateway(
    {
      ...(profiled
        ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${profileDir} --cpu-prof-interval=250` }
        : {}),
      ...gatewayEnv(fake.url),
    },
    join(dir, "gateway.log"),
  );
  const gatewayPid = gateway.child.pid!;
  const users = await issueTokens(gateway.url, token, Math.ceil(inflight / callsPerToken) + 2);

  const direct = (stream = false): Target => ({
    url: fake.url,
    path: "/v1/chat/completions",
    headers: { authorization: "Bearer sk-bench-key" },
    body: openAiBody(stream),
  });
  const proxied = (): Target => ({ ...direct(), url: passthrough.url });
  const plain = viaGateway(gateway.url, token);
  const streamed = viaGateway(gateway.url, token, { stream: true });
  const cacheHit = viaGateway(gateway.url, token, { cache: true });

  // At rest: started, one call of each kind made (what loads on first use is loaded).
  for (const target of [plain, streamed, cacheHit, cacheHit]) await send(target);
  await new Promise((resolve) => setTimeout(resolve, 1000));
  figures.restRssMb = rssMb(gatewayPid);

  // The sustained load from rest, which also warms the gateway's plain path.
  const sampler = samplePeakRss(gatewayPid);
  const sustained = await closedLoop(plain, 50, loadSeconds);
  figures.loadRssMb = sampler.stop();
  figures.loadFailed = sustained.failed;

  // Warm every other path (JIT, connection pools): V8 keeps optimising for seconds.
  const warm = Math.min(3, seconds);
  for (const target of [direct(), proxied(), direct(true), streamed, cacheHit])
    await closedLoop(target, 10, warm);

  const loops = {
    direct: await closedLoopWithCpu(direct(), fake.child.pid!),
    passthrough: await closedLoopWithCpu(proxied(), fake.child.pid!, passthrough.child.pid!),
    gateway: await closedLoopWithCpu(plain, fake.child.pid!, gatewayPid),
    cacheHit: await closedLoopWithCpu(cacheHit, fake.child.pid!, gatewayPid),
  };
  figures.directRps = loops.direct.requestsPerSecond;
  figures.passthroughRps = loops.passthrough.requestsPerSecond;
  figures.gatewayRps = loops.gateway.requestsPerSecond;
  figures.cacheHitRps = loops.cacheHit.requestsPerSecond;
  figures.passthroughMainUs = loops.passthrough.proxyMainUs;
  figures.gatewayMainUs = loops.gateway.proxyMainUs;
  figures.gatewayAllUs = loops.gateway.proxyUs;
  figures.cacheHitMainUs = loops.cacheHit.proxyMainUs;
  figures.closedLoopFailed = loops.gateway.failed + loops.cacheHit.failed;

  const paced = {
    direct: await openLoop(direct(), 500, seconds),
    passthrough: await openLoop(proxied(), 500, seconds),
    gateway: await openLoop(plain, 500, seconds),
  };
  figures.directP50Ms = paced.direct.p50;
  figures.directP99Ms = paced.direct.p99;
  figures.passthroughP50Ms = paced.passthrough.p50;
  figures.passthroughP99Ms = paced.passthrough.p99;
  figures.gatewayP50Ms = paced.gateway.p50;
  figures.gatewayP99Ms = paced.gateway.p99;
  figures.pacedFailed = paced.gateway.failed;

  figures.directTtftMs = (await oneAtATime(direct(true), 300)).firstByte.p50;
  figures.gatewayTtftMs = (await oneAtATime(streamed, 300)).firstByte.p50;
  figures.gatewayPeakRssMb = rssMb(gatewayPid);

  // The floor: the official SDK with no server around it.
  const sdk = await start(
    ["bench/gateway/sdk-client.ts", String(seconds), "50"],
    { UPSTREAM_URL: fake.url },
    (line) => line,
  ).then(({ url: line }) => JSON.parse(line) as Record<string, number>);
  figures.sdkRps = sdk.callsPerSecond!;
  figures.sdkMainUs = sdk.mainCpuUsPerCall!;
  figures.sdkFetchMainUs = sdk.fetchMainCpuUsPerCall!;

  await stop(gateway.child);
  if (profiled) {
    const [file] = readdirSync(profileDir);
    log(`\nWhere the gateway's time went (--cpu-prof, start-up included)`);
    log(summarizeProfile(join(profileDir, file!), root));
  }

  // The gateway, default settings, calling a provider that takes providerMs to answer.
  const slow = await startGateway(gatewayEnv(slowFake.url), join(dir, "gateway-slow.log"));
  const distinct = (index: number) => `Summarise quarter ${index} of the plan in one line.`;
  const directSlow = await allAtOnce(
    (i) => ({
      ...direct(),
      url: slowFake.url,
      body: openAiBody(false).replace("quarter", `q${i}`),
    }),
    inflight,
  );
  const slowSampler = samplePeakRss(slow.child.pid!);
  const gatewaySlow = await allAtOnce(
    (i) => viaGateway(slow.url, users[Math.floor(i / callsPerToken)]!, { prompt: distinct(i) }),
    inflight,
  );
  figures.inflightRssMb = slowSampler.stop();
  figures.inflightDirectMs = directSlow.wallMs;
  figures.inflightGatewayMs = gatewaySlow.wallMs;
  figures.inflightErrors = gatewaySlow.failed;
  figures.inflightDirectErrors = directSlow.failed;

  // Fairness: one token queues batchItems in batches; another token's single calls, one at a
  // time once the batches are in: how much longer than the provider's own time each waits.
  const [batchToken, singleToken] = users.slice(-2) as [string, string];
  const batches = new Agent({ keepAlive: false, maxSockets: Infinity });
  const batchCalls = Array.from({ length: Math.ceil(batchItems / batchSize) }, (_, b) =>
    send(
      {
        url: slow.url,
        path: "/api/v1/batch",
        headers: { authorization: `Bearer ${batchToken}` },
        body: JSON.stringify({
          items: Array.from(
            { length: Math.min(batchSize, batchItems - b * batchSize) },
            (_, i) => ({
              model: "gpt-4.1-mini",
              prompt: distinct(b * batchSize + i),
              cache: false,
            }),
          ),
        }),
      },
      performance.now(),
      batches,
    ),
  );
  await new Promise((resolve) => setTimeout(resolve, providerMs / 2));
  const waits: number[] = [];
  for (let call = 0; call < 5; call++) {
    const timing = await send(viaGateway(slow.url, singleToken, { prompt: distinct(-call) }));
    waits.push(timing.ok ? timing.totalMs - providerMs : NaN);
  }
  figures.fairnessWaitMs = Math.max(...waits);
  batches.destroy();
  void Promise.all(batchCalls);
  // Not SIGTERM: a graceful stop would wait for the queued batch items.
  slow.child.kill("SIGKILL");
  await stopAll();
  return figures;
}

/** What each run measured, and the medians, as a list (the targets read some of these). */
function figureTable(all: Figures[]): string[] {
  return Object.keys(all[0]!).map(
    (key) =>
      `  ${key.padEnd(22)} ${fmt(median(all.map((f) => f[key]!))).padStart(10)}   (${all.map((f) => fmt(f[key]!)).join(", ")})`,
  );
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), "officellm-bench-"));
  const all: Figures[] = [];
  try {
    log(
      `OfficeLLM gateway benchmark: ${runs} run(s), ${seconds} s per phase, ${loadSeconds} s sustained load, ` +
        `${inflight} in flight at ${providerMs} ms, ${batchItems} batch items; node ${process.version}, ${availableParallelism()} cores`,
    );
    for (let run = 1; run <= runs; run++) {
      const figures = await oneRun(run, dir);
      all.push(figures);
      log(
        `\nRun ${run}: ${JSON.stringify(figures, (_, v) => (typeof v === "number" ? Number(v.toFixed(2)) : v))}`,
      );
    }
    log(`\nFigures: median (each run). µs are CPU time per call; Rps requests per second.`);
    for (const line of figureTable(all)) log(line);
    log(`\nAgainst the targets (median of ${runs} run(s))`);
    for (const line of targetTable(all)) log(`  ${line}`);
  } finally {
    await stopAll();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
