/**
 * The benchmark's child processes: starting them and waiting until they are ready, stopping
 * them, and their resident memory (Linux, from /proc).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { openSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { delimiter, dirname } from "node:path";
import { createInterface } from "node:readline";

export const root = new URL("../../", import.meta.url).pathname;
const children = new Set<ChildProcess>();

/**
 * A token for the benchmark's load, made by the CLI of `checkout` on `databaseUrl`, with the
 * highest rate limit the CLI takes (a million requests a minute), so that no limit shapes a
 * figure.
 */
export function createToken(databaseUrl: string, scopes: string, checkout = root): string {
  const created = spawnSync(
    process.execPath,
    [
      "server/cli/main.ts",
      "token",
      "create",
      "--name",
      "bench",
      "--scopes",
      scopes,
      "--rpm",
      "1000000",
    ],
    { cwd: checkout, env: { ...process.env, DATABASE_URL: databaseUrl }, encoding: "utf8" },
  );
  if (created.status !== 0) throw new Error(`token create failed: ${created.stderr.trim()}`);
  return (JSON.parse(created.stdout) as { token: string }).token;
}

/** Starts a Node child and waits for the line that says it is ready. */
export function start(
  args: string[],
  env: Record<string, string>,
  ready: (line: string) => string | undefined,
) {
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  children.add(child);
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
 * /health answers. `cwd`: the checkout to start (this one unless given).
 */
export async function startGateway(env: Record<string, string>, logFile: string, cwd = root) {
  const port = await freePort();
  const log = openSync(logFile, "a");
  const child = spawn("sh", ["scripts/serve.sh"], {
    cwd,
    env: {
      ...process.env,
      ...env,
      PORT: String(port),
      PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ""}`,
    },
    stdio: ["ignore", log, "inherit"],
  });
  children.add(child);
  const url = `http://127.0.0.1:${port}`;
  for (let attempt = 0; attempt < 300; attempt++) {
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

export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

/** Samples a process's resident memory every 50 ms until `stop()`, which returns the peak. */
export function samplePeakRss(pid: number): { stop(): number } {
  let peak = rssMb(pid);
  const timer = setInterval(() => (peak = Math.max(peak, rssMb(pid))), 50);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, rssMb(pid));
    },
  };
}

/** Stops a child and waits for it to exit (a profile is written on the way out). */
export function stop(child: ChildProcess): Promise<void> {
  children.delete(child);
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });
}

/** Stops every child still running. */
export function stopAll(): Promise<void[]> {
  return Promise.all([...children].map(stop));
}
