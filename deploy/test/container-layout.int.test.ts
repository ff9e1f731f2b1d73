/**
 * The container image without a container engine: scripts/container-layout.sh (what the
 * Dockerfile's build stage runs) lays the application out in a temporary directory, and the
 * server starts from there as the image starts it (the Dockerfile's ENV and CMD, read from the
 * Dockerfile itself), with the production dependencies only. On CI the dependencies come from
 * `npm ci --omit=dev`, as in the image; elsewhere the same lockfile's production packages are
 * copied from node_modules (no network).
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, NodeChild, repoRoot, runNode } from "../../server/test/process.ts";

const dockerfile = readFileSync(join(repoRoot, "Dockerfile"), "utf8");
/** The runtime stage: everything after the last FROM. */
const runtime = dockerfile.slice(dockerfile.lastIndexOf("\nFROM "));

/** The runtime stage's ENV, with line continuations joined. */
function imageEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  const joined = runtime.replace(/\\\n\s*/g, " ");
  for (const line of joined.split("\n").filter((l) => l.startsWith("ENV "))) {
    for (const [, name, value] of line.matchAll(/([A-Z_]+)=(\S+)/g)) env[name!] = value!;
  }
  return env;
}

/**
 * What reaching the npm registry takes on this machine, passed to the layout's `npm ci` as a build
 * machine would have it: a proxy, and the certificates a proxy presents. (Not npm's own
 * `npm_config_*`, which `npm test` sets for its scripts: its prefix would point `npm ci` here.)
 */
function registryAccess(): Record<string, string> {
  const access: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value === undefined) continue;
    if (/^(https?_proxy|no_proxy|node_extra_ca_certs|ssl_cert_file)$/i.test(name))
      access[name] = value;
  }
  return access;
}

function imageCommand(): string[] {
  const cmd = /^CMD (\[.*\])$/m.exec(runtime);
  return JSON.parse(cmd![1]!) as string[];
}

let dir: string;
let app: string;
let server: NodeChild;
let url: string;
let env: Record<string, string>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "officellm-image-"));
  app = join(dir, "app");
  const layout = spawn("sh", ["scripts/container-layout.sh", repoRoot, app], {
    cwd: repoRoot,
    env: {
      ...registryAccess(),
      PATH: `${dirname(process.execPath)}:${process.env.PATH}`,
      HOME: process.env.HOME ?? dir,
      OFFICELLM_DEPENDENCIES: process.env.CI ? "ci" : "copy",
    },
    stdio: ["ignore", "inherit", "inherit"],
  });
  const code = await new Promise<number | null>((done) => layout.once("close", done));
  expect(code).toBe(0);

  const port = await freePort();
  // As the image runs it, but on loopback and with its data directory where the layout is.
  env = {
    ...imageEnv(),
    PORT: String(port),
    HOST: "127.0.0.1",
    DATABASE_URL: `sqlite:${join(app, "data/officellm.db")}`,
    NODE_COMPILE_CACHE: join(dir, "compile-cache"),
    PATH: `${dirname(process.execPath)}:${process.env.PATH}`,
  };
  const [command, ...args] = imageCommand();
  server = new NodeChild(args[0]!, args.slice(1), env, app, command);
  await server.waitFor(/OfficeLLM is listening/, 60_000);
  url = `http://127.0.0.1:${port}`;
}, 600_000);

afterAll(async () => {
  await server?.kill();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("the Dockerfile", () => {
  it("builds on the official Node 24 slim image and runs as a non-root user under tini", () => {
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:24-slim$/m);
    expect(dockerfile.match(/^FROM \$\{NODE_IMAGE\}/gm)).toHaveLength(2);
    expect(runtime).toMatch(/^USER 10001:10001$/m);
    expect(runtime).toMatch(/^ENTRYPOINT \["\/usr\/bin\/tini", "--"\]$/m);
    expect(imageCommand()).toEqual(["sh", "scripts/serve.sh"]);
    expect(readFileSync(join(repoRoot, "scripts/serve.sh"), "utf8")).toMatch(/^exec node /m);
    expect(runtime).toMatch(/^HEALTHCHECK [^]*?\/health`/m);
    expect(runtime).toMatch(/^VOLUME \["\/app\/data"\]$/m);
    expect(dockerfile).toMatch(/sh scripts\/container-layout\.sh \/src \/app/);
  });

  it("bakes in no secret: no key, password or token among its settings", () => {
    expect(Object.keys(imageEnv()).sort()).toEqual(
      ["DATABASE_URL", "HOST", "NODE_COMPILE_CACHE", "NODE_ENV", "PORT"].sort(),
    );
    expect(dockerfile).not.toMatch(/_KEY|SECRET|PASSWORD|TOKEN/);
    const ignored = readFileSync(join(repoRoot, ".dockerignore"), "utf8").split("\n");
    for (const entry of [".env", "data", "**/node_modules", ".certs", "*.pem", "*.key"]) {
      expect(ignored).toContain(entry);
    }
  });
});

describe("the image's layout", () => {
  it("holds the production dependencies only, and no tests", () => {
    for (const present of ["express", "better-sqlite3", "kysely", "pg", "ioredis"]) {
      expect(existsSync(join(app, "node_modules", present)), present).toBe(true);
    }
    for (const absent of ["vite", "vitest", "typescript", "react", "playwright-core", "msw"]) {
      expect(existsSync(join(app, "node_modules", absent)), absent).toBe(false);
    }
    expect(existsSync(join(app, "server/test"))).toBe(false);
    expect(existsSync(join(app, "server/main.int.test.ts"))).toBe(false);
    expect(existsSync(join(app, "addin/src"))).toBe(false);
    expect(existsSync(join(app, "addin/dist/taskpane.html"))).toBe(true);
  });
});

describe("the server started as the image starts it", () => {
  it("answers /health and /ready", async () => {
    const health = await fetch(`${url}/health`);
    expect(health.status).toBe(200);
    await health.arrayBuffer();
    const ready = await fetch(`${url}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: "ready" });
  });

  it("serves the manifest and the built task pane", async () => {
    const manifest = await fetch(`${url}/manifest.xml`);
    expect(manifest.status).toBe(200);
    expect(await manifest.text()).toContain("<OfficeApp");
    const pane = await fetch(`${url}/addin/taskpane.html`);
    expect(pane.status).toBe(200);
    const html = await pane.text();
    // The add-in's own bundle (office.js comes from Microsoft's CDN).
    const script = /src="((?!https:)[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const bundle = await fetch(new URL(script!, `${url}/addin/taskpane.html`));
    expect(bundle.status).toBe(200);
    // React's production build: no development warnings compiled in.
    expect(await bundle.text()).not.toContain("react-dom.development");
  });

  it("answers a demo completion for a token made with the command line in the layout", async () => {
    const created = await runNode(
      join(app, "server/cli/main.ts"),
      ["token", "create", "--name", "image"],
      { DATABASE_URL: env.DATABASE_URL! },
    );
    expect(created.code, created.stderr).toBe(0);
    const { token } = JSON.parse(created.stdout) as { token: string };
    const response = await fetch(`${url}/api/v1/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ prompt: "Say hello" }),
    });
    const body = (await response.json()) as { text?: string; model?: string };
    expect(response.status, JSON.stringify(body)).toBe(200);
    expect(body.text?.length).toBeGreaterThan(0);
  });

  it("drains and exits 0 on SIGTERM: the signal reaches Node through the start script", async () => {
    server.child.kill("SIGTERM");
    const { code } = await server.exit();
    expect(code).toBe(0);
    expect(server.stdout + server.stderr).toMatch(/shut|stop|drain/i);
  });
});
