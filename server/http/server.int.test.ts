import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createDevCertificates, type DevCertificates } from "../../scripts/dev-certs.ts";
import { loadConfig } from "../config.ts";
import { freePort, NodeChild, runNode } from "../test/process.ts";

/** GET over HTTPS from 127.0.0.1 as `localhost`, trusting `ca`. */
function get(port: number, path: string, ca: string): Promise<{ status: number; body: string }> {
  return new Promise((done, fail) => {
    const outgoing = request(
      { host: "127.0.0.1", port, path, ca, servername: "localhost", agent: false },
      (response) => {
        let body = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => (body += chunk));
        response.on("end", () => done({ status: response.statusCode ?? 0, body }));
      },
    );
    outgoing.on("error", fail);
    outgoing.end();
  });
}

let dir: string;
let certs: DevCertificates;
let certFile: string;
let keyFile: string;
let child: NodeChild | undefined;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "officellm-tls-"));
  certs = await createDevCertificates();
  certFile = join(dir, "localhost.crt");
  keyFile = join(dir, "localhost.key");
  writeFileSync(certFile, certs.cert);
  writeFileSync(keyFile, certs.key);
});
afterEach(async () => {
  await child?.kill();
  child = undefined;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("TLS settings", () => {
  it("serve https and make the default public URL https", () => {
    const config = loadConfig({ TLS_CERT_FILE: certFile, TLS_KEY_FILE: keyFile, PORT: "3000" });
    expect(config.tls).toEqual({ certFile, keyFile });
    expect(config.publicUrl).toBe("https://127.0.0.1:3000");
    expect(loadConfig({}).tls).toBeUndefined();
  });

  it("must be set together", () => {
    expect(() => loadConfig({ TLS_CERT_FILE: certFile })).toThrow(
      /TLS_CERT_FILE and TLS_KEY_FILE must be set together/,
    );
    expect(() => loadConfig({ TLS_KEY_FILE: keyFile })).toThrow(/set together/);
  });
});

describe("the server with TLS_CERT_FILE and TLS_KEY_FILE", () => {
  const baseEnv = () => ({
    HOST: "127.0.0.1",
    DATABASE_URL: `sqlite:${join(dir, "officellm.db")}`,
    LOG_LEVEL: "info",
  });

  it("serves the API and the manifest over HTTPS on its https public URL", async () => {
    const port = await freePort();
    child = new NodeChild("server/main.ts", [], {
      ...baseEnv(),
      PORT: String(port),
      TLS_CERT_FILE: certFile,
      TLS_KEY_FILE: keyFile,
    });
    await child.waitFor(/OfficeLLM is listening/);
    expect(child.stdout).toContain(`"url":"https://127.0.0.1:${port}"`);
    expect(child.stdout).toContain(`"publicUrl":"https://127.0.0.1:${port}"`);

    const health = await get(port, "/health", certs.caCert);
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toMatchObject({ status: "ok" });
    const manifest = await get(port, "/manifest.xml", certs.caCert);
    expect(manifest.status).toBe(200);
    expect(manifest.body).toContain(`https://127.0.0.1:${port}/addin/taskpane.html`);
  });

  it("stops start-up naming the setting whose file cannot be read", async () => {
    const run = await runNode("server/main.ts", [], {
      ...baseEnv(),
      PORT: String(await freePort()),
      TLS_CERT_FILE: join(dir, "missing.crt"),
      TLS_KEY_FILE: keyFile,
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/TLS_CERT_FILE: cannot read .*missing\.crt/);
  });

  it("stops start-up when the files are not a certificate and key", async () => {
    const garbage = join(dir, "garbage.pem");
    writeFileSync(garbage, "not a certificate");
    const run = await runNode("server/main.ts", [], {
      ...baseEnv(),
      PORT: String(await freePort()),
      TLS_CERT_FILE: garbage,
      TLS_KEY_FILE: keyFile,
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/TLS_CERT_FILE and TLS_KEY_FILE are not a usable PEM/);
  });
});
