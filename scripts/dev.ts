/**
 * `npm run dev`: the backend and the add-in, over HTTPS on localhost, rebuilt as you edit.
 *
 * 1. Makes development certificates in .certs/ (git-ignored) when they are missing or about to
 *    expire (see scripts/dev-certs.ts); trust .certs/ca.crt once, as docs/sideloading.md says.
 * 2. Builds the add-in with Vite in watch mode into addin/dist (which the backend serves under
 *    /addin/), and waits for the first build.
 * 3. Runs the backend with `node --watch`, serving HTTPS with those certificates, so the
 *    committed manifest.xml (https://localhost:3000/…) can be sideloaded as it is.
 *
 * Settings come from the environment and .env as for `npm start`. TLS_CERT_FILE/TLS_KEY_FILE,
 * when set, are used instead of the generated certificates; PUBLIC_URL defaults to
 * https://localhost:PORT. `npm run dev -- --http` serves plain HTTP, without certificates.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { build } from "vite";
import { ensureDevCertificates } from "./dev-certs.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const say = (line: string) => process.stderr.write(`officellm dev: ${line}\n`);

const { values: flags } = parseArgs({ options: { http: { type: "boolean", default: false } } });

if (existsSync(`${root}.env`)) process.loadEnvFile(`${root}.env`);
const port = process.env.PORT || "3000";
const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: "development", LOG_FORMAT: "pretty" };

if (!flags.http && !process.env.TLS_CERT_FILE) {
  const { files, created, reason } = await ensureDevCertificates(`${root}.certs`);
  if (created) {
    say(`made new development certificates in .certs/ (${reason})`);
    say(`trust .certs/ca.crt once so Excel and your browser accept https://localhost:${port}:`);
    say("  see docs/sideloading.md, 'Trust the development certificate'");
  }
  env.TLS_CERT_FILE = files.cert;
  env.TLS_KEY_FILE = files.key;
}
if (flags.http) {
  delete env.TLS_CERT_FILE;
  delete env.TLS_KEY_FILE;
}
env.PUBLIC_URL ||= `${flags.http ? "http" : "https"}://localhost:${port}`;

say("building the add-in (Vite, watch mode)…");
const built = await build({
  configFile: `${root}addin/vite.config.ts`,
  logLevel: "warn",
  build: { watch: {} },
});
if (!("close" in built)) throw new Error("vite build did not return a watcher");
const watcher = built;
await new Promise<void>((firstBuildOver) => {
  watcher.on("event", (event) => {
    if (event.code === "END") say("add-in built into addin/dist");
    if (event.code === "ERROR") say("the add-in did not build (above); it rebuilds when you save");
    if (event.code === "END" || event.code === "ERROR") firstBuildOver();
  });
});

const server = spawn(process.execPath, ["--watch", "server/main.ts"], {
  cwd: root,
  env,
  stdio: "inherit",
});
say(`task pane:  ${env.PUBLIC_URL}/addin/taskpane.html`);
if (flags.http) {
  say("plain HTTP: a browser can open the pane, but Excel loads add-ins only over HTTPS");
} else if (env.PUBLIC_URL === "https://localhost:3000") {
  say("manifest:   manifest.xml (sideload it: docs/sideloading.md)");
} else {
  say(
    `manifest:   manifest.xml points at https://localhost:3000; for ${env.PUBLIC_URL} ` +
      `sideload ${env.PUBLIC_URL}/manifest.xml instead`,
  );
}

let stopping = false;
async function stop(signal: NodeJS.Signals): Promise<void> {
  if (stopping) return;
  stopping = true;
  await watcher.close();
  if (server.exitCode === null && server.signalCode === null) server.kill(signal);
}
process.on("SIGINT", () => void stop("SIGINT"));
process.on("SIGTERM", () => void stop("SIGTERM"));
server.on("exit", (code, signal) => {
  void watcher.close().then(() => process.exit(code ?? (signal ? 1 : 0)));
});
