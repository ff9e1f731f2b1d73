import { Agent, request } from "node:http";

/** One HTTP call as the load generator sees it. */
export interface Target {
  url: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

export interface Timing {
  /** From when the request was due (open loop) or sent (closed loop) to the last byte. */
  totalMs: number;
  /** To the first byte of the body. */
  firstByteMs: number;
  ok: boolean;
}

const agent = new Agent({ keepAlive: true, maxSockets: 1024 });

/** Sends one request; times from `due` (defaults to now), so queueing delays count. */
export function send(
  target: Target,
  due = performance.now(),
  through: Agent = agent,
): Promise<Timing> {
  const url = new URL(target.path, target.url);
  return new Promise((resolve) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: "POST",
        agent: through,
        headers: {
          ...target.headers,
          "content-type": "application/json",
          "content-length": Buffer.byteLength(target.body),
        },
      },
      (res) => {
        let firstByteMs = -1;
        res.on("data", () => {
          if (firstByteMs < 0) firstByteMs = performance.now() - due;
        });
        res.on("end", () =>
          resolve({ totalMs: performance.now() - due, firstByteMs, ok: res.statusCode === 200 }),
        );
        res.on("error", () =>
          resolve({ totalMs: performance.now() - due, firstByteMs, ok: false }),
        );
      },
    );
    req.on("error", () =>
      resolve({ totalMs: performance.now() - due, firstByteMs: -1, ok: false }),
    );
    req.end(target.body);
  });
}

/** `connections` callers sending back to back for `seconds`: throughput in requests/s. */
export async function closedLoop(target: Target, connections: number, seconds: number) {
  const end = performance.now() + seconds * 1000;
  let done = 0;
  let failed = 0;
  const worker = async () => {
    while (performance.now() < end) {
      const timing = await send(target);
      if (timing.ok) done++;
      else failed++;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: connections }, worker));
  return {
    requestsPerSecond: done / ((performance.now() - started) / 1000),
    requests: done,
    failed,
  };
}

/** Requests paced at `rate` per second for `seconds`, whatever the answers do. */
export async function openLoop(target: Target, rate: number, seconds: number) {
  const interval = 1000 / rate;
  const total = Math.round(rate * seconds);
  const started = performance.now();
  const pending: Promise<Timing>[] = [];
  for (let i = 0; i < total; i++) {
    const due = started + i * interval;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    // Timed from when it was due, or from when it left if a timer fired early.
    pending.push(send(target, Math.min(due, performance.now())));
  }
  const timings = await Promise.all(pending);
  return summarize(
    timings.map((t) => t.totalMs),
    timings.filter((t) => !t.ok).length,
  );
}

/** Calls one after another, none overlapping: time to the first byte and to the last. */
export async function oneAtATime(target: Target, count: number) {
  const timings: Timing[] = [];
  for (let i = 0; i < count; i++) timings.push(await send(target));
  const failed = timings.filter((t) => !t.ok).length;
  return {
    firstByte: summarize(
      timings.map((t) => t.firstByteMs),
      failed,
    ),
    total: summarize(
      timings.map((t) => t.totalMs),
      failed,
    ),
  };
}

/**
 * `count` requests sent at once, each on its own connection (`target(i)` makes the i-th): the
 * wall time until the last is answered, and how many failed.
 */
export async function allAtOnce(target: (index: number) => Target, count: number) {
  const connections = new Agent({ keepAlive: false, maxSockets: Infinity });
  const started = performance.now();
  const timings = await Promise.all(
    Array.from({ length: count }, (_, index) => send(target(index), started, connections)),
  );
  connections.destroy();
  return {
    wallMs: performance.now() - started,
    ...summarize(
      timings.map((t) => t.totalMs),
      timings.filter((t) => !t.ok).length,
    ),
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

export function summarize(values: number[], failed: number) {
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), count: values.length, failed };
}
