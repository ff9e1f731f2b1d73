/**
 * Private Redis and PostgreSQL servers for outage tests: each on a port of its own, its data in a
 * temporary directory, started and stopped by the test, never the shared ones (6379, 5432).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { userInfo, tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./process.ts";

/** A server a test can stop and start again on the same port, or freeze. */
export interface PrivateService {
  url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  /**
   * Stops its processes (SIGSTOP) without closing anything: connections stay open and nothing
   * answers on them, as with a server that hangs or a network that drops its packets.
   */
  freeze(): void;
  /** Lets the frozen processes run again (SIGCONT). */
  thaw(): void;
  /** Stops it and removes its data. */
  dispose(): Promise<void>;
}

/** Freezes and thaws the processes `find` names when asked. */
function freezer(find: () => number[]): Pick<PrivateService, "freeze" | "thaw"> {
  let frozen: number[] = [];
  return {
    freeze() {
      frozen = find();
      for (const pid of frozen) process.kill(pid, "SIGSTOP");
    },
    thaw() {
      for (const pid of frozen) process.kill(pid, "SIGCONT");
      frozen = [];
    },
  };
}

/** `redis-server` on a free port, keeping nothing on disk. */
export async function startPrivateRedis(): Promise<PrivateService> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "officellm-redis-"));
  let server: ChildProcess | undefined;
  const start = async () => {
    const child = spawn(
      "redis-server",
      ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
      { cwd: dir, stdio: ["ignore", "pipe", "pipe"] },
    );
    server = child;
    await new Promise<void>((resolve, reject) => {
      let seen = "";
      child.once("error", reject);
      child.once("exit", (code) => reject(new Error(`redis-server exited (${code}): ${seen}`)));
      child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
        seen += chunk;
        if (/Ready to accept connections/.test(seen)) resolve();
      });
    });
  };
  const stop = async () => {
    const child = server;
    server = undefined;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGTERM");
    await exited;
  };
  const { freeze, thaw } = freezer(() => (server?.pid === undefined ? [] : [server.pid]));
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    start,
    stop,
    freeze,
    thaw,
    async dispose() {
      thaw();
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The newest PostgreSQL's programs (Debian keeps them under /usr/lib/postgresql/<version>/bin). */
export function postgresBin(program: string): string {
  const versions = existsSync("/usr/lib/postgresql")
    ? readdirSync("/usr/lib/postgresql").sort((a, b) => Number(b) - Number(a))
    : [];
  for (const version of versions) {
    const path = `/usr/lib/postgresql/${version}/bin/${program}`;
    if (existsSync(path)) return path;
  }
  throw new Error(`${program} not found under /usr/lib/postgresql/*/bin: install postgresql`);
}

/**
 * A PostgreSQL cluster made with `initdb` in a temporary directory, on a free port, trusting local
 * connections. PostgreSQL refuses to run as root: as root, it runs as the `postgres` user.
 */
export async function startPrivatePostgres(): Promise<PrivateService> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "officellm-pg-"));
  const data = join(dir, "data");
  const asRoot = userInfo().uid === 0;
  if (asRoot) {
    const ids = spawnSync("id", ["-u", "postgres"], { encoding: "utf8" });
    const groups = spawnSync("id", ["-g", "postgres"], { encoding: "utf8" });
    chownSync(dir, Number(ids.stdout.trim()), Number(groups.stdout.trim()));
  }
  const run = (program: string, args: string[]) => {
    const [command, all] = asRoot
      ? ["runuser", ["-u", "postgres", "--", postgresBin(program), ...args]]
      : [postgresBin(program), args];
    const result = spawnSync(command, all, { cwd: dir, encoding: "utf8" });
    if (result.status !== 0) {
      throw new Error(`${program} failed (${result.status}): ${result.stdout}${result.stderr}`);
    }
  };
  run("initdb", ["-D", data, "-A", "trust", "-U", "postgres", "--no-sync"]);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
  const start = async () =>
    run("pg_ctl", ["-D", data, "-l", join(dir, "log"), "-o", options, "-w", "start"]);
  const stop = async () => run("pg_ctl", ["-D", data, "-m", "fast", "-w", "stop"]);
  /** The postmaster (first line of its pid file) and the processes it started. */
  const processes = () => {
    const postmaster = Number(readFileSync(join(data, "postmaster.pid"), "utf8").split("\n")[0]);
    const children = spawnSync("ps", ["-o", "pid=", "--ppid", String(postmaster)], {
      encoding: "utf8",
    });
    return [postmaster, ...children.stdout.split(/\s+/).filter(Boolean).map(Number)];
  };
  const { freeze, thaw } = freezer(processes);
  await start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    start,
    stop,
    freeze,
    thaw,
    async dispose() {
      thaw();
      try {
        await stop();
      } catch {
        // Already stopped.
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
