import { spawn, type ChildProcess } from "node:child_process";
import { createServer, type AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";

/** The repository root: children run from here, as `npm run cli` and `npm start` do. */
export const repoRoot = fileURLToPath(new URL("../..", import.meta.url));

/**
 * How long a child may take to print what a test waits for, or to exit: a guard against a hang,
 * generous enough for a machine whose cores are busy with other work.
 */
export const CHILD_GUARD_MS = 30_000;

/** A minimal environment for a child, so the developer's own settings never leak in. */
export function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", ...extra };
}

/** A TCP port nothing listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done, fail) => {
    server.once("error", fail);
    server.listen(0, "127.0.0.1", done);
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * A child process running one of our scripts under the Node that runs the tests; or, with
 * `command` (e.g. "sh" for scripts/serve.sh), running the script with that command instead.
 */
export class NodeChild {
  readonly child: ChildProcess;
  stdout = "";
  stderr = "";
  readonly exited: Promise<Exit>;
  #listeners = new Set<() => void>();

  constructor(
    script: string,
    args: string[],
    env: Record<string, string>,
    cwd = repoRoot,
    command = process.execPath,
  ) {
    this.child = spawn(command, [script, ...args], {
      cwd,
      env: childEnv(env),
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      this.stdout += chunk;
      for (const listener of this.#listeners) listener();
    });
    this.child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
      this.stderr += chunk;
      for (const listener of this.#listeners) listener();
    });
    this.exited = new Promise<Exit>((done) => {
      this.child.once("close", (code, signal) => {
        for (const listener of this.#listeners) listener();
        done({ code, signal });
      });
    });
  }

  /** Waits until stdout or stderr matches `pattern`; fails with what was seen on timeout. */
  waitFor(pattern: RegExp, timeoutMs = CHILD_GUARD_MS): Promise<void> {
    return new Promise((done, fail) => {
      const check = () => {
        if (pattern.test(this.stdout) || pattern.test(this.stderr)) {
          finish();
          done();
        } else if (this.child.exitCode !== null || this.child.signalCode !== null) {
          finish();
          fail(new Error(`exited before ${pattern}:\n${this.stdout}\n${this.stderr}`));
        }
      };
      const timer = setTimeout(() => {
        finish();
        fail(new Error(`no ${pattern} within ${timeoutMs} ms:\n${this.stdout}\n${this.stderr}`));
      }, timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        this.#listeners.delete(check);
      };
      this.#listeners.add(check);
      check();
    });
  }

  /** Waits for the exit, killing the child if it takes longer than `timeoutMs`. */
  async exit(timeoutMs = CHILD_GUARD_MS): Promise<Exit & { timedOut: boolean }> {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      this.child.kill("SIGKILL");
    }, timeoutMs);
    const result = await this.exited;
    clearTimeout(timer);
    return { ...result, timedOut };
  }

  /** For `afterEach`: makes sure the child is gone. */
  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill("SIGKILL");
    }
    await this.exited;
  }
}

/** Runs a script to its end and returns what it printed. */
export async function runNode(
  script: string,
  args: string[],
  env: Record<string, string>,
  timeoutMs = CHILD_GUARD_MS,
): Promise<{ code: number | null; stdout: string; stderr: string; timedOut: boolean }> {
  const child = new NodeChild(script, args, env);
  const { code, timedOut } = await child.exit(timeoutMs);
  return { code, stdout: child.stdout, stderr: child.stderr, timedOut };
}
