import { X509Certificate } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer, request, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createDevCertificates,
  devCertificateFiles,
  devCertificateProblem,
  ensureDevCertificates,
  type DevCertificates,
} from "./dev-certs.ts";

const day = 86_400_000;

/** GET over HTTPS to 127.0.0.1:port, naming `servername` for SNI and the host check. */
function get(
  port: number,
  options: { ca?: string; servername?: string },
): Promise<{ status: number; body: string }> {
  return new Promise((done, fail) => {
    const outgoing = request(
      {
        host: "127.0.0.1",
        port,
        path: "/health",
        ca: options.ca,
        servername: options.servername,
        agent: false,
      },
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

describe("development certificates", () => {
  let made: DevCertificates;
  let server: Server;
  let port: number;

  beforeAll(async () => {
    made = await createDevCertificates();
    server = createServer({ cert: made.cert, key: made.key }, (_req, res) => {
      res.end("ok over https");
    });
    await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((done) => server.close(() => done()));
  });

  it("serve HTTPS that a client trusting the authority accepts, as localhost and 127.0.0.1", async () => {
    for (const servername of ["localhost", undefined]) {
      const response = await get(port, { ca: made.caCert, servername });
      expect(response).toEqual({ status: 200, body: "ok over https" });
    }
  });

  it("are refused by a client that does not trust the authority", async () => {
    await expect(get(port, { servername: "localhost" })).rejects.toThrow(
      /unable to verify|self[- ]signed/i,
    );
  });

  it("are refused for a name the certificate does not cover", async () => {
    await expect(get(port, { ca: made.caCert, servername: "example.com" })).rejects.toThrow(
      /altnames|does not match/i,
    );
  });

  it("make an authority that only signs, and a localhost certificate that only serves", () => {
    const ca = new X509Certificate(made.caCert);
    const cert = new X509Certificate(made.cert);
    expect(ca.ca).toBe(true);
    expect(cert.ca).toBe(false);
    expect(cert.verify(ca.publicKey)).toBe(true);
    expect(cert.issuer).toBe(ca.subject);
    expect(cert.checkHost("localhost")).toBe("localhost");
    expect(cert.checkIP("127.0.0.1")).toBe("127.0.0.1");
    expect(cert.checkIP("::1")).toBe("::1");
    expect(cert.checkHost("example.com")).toBeUndefined();
    expect(cert.keyUsage).toEqual(["1.3.6.1.5.5.7.3.1"]); // serverAuth
    const days = (Date.parse(cert.validTo) - Date.parse(cert.validFrom)) / day;
    expect(days).toBeLessThanOrEqual(825); // Apple's limit for TLS server certificates
    expect(days).toBeGreaterThan(365);
  });
});

describe("ensureDevCertificates", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "officellm-certs-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("writes the authority, the certificate and its key, and never the authority's key", async () => {
    const certs = join(dir, "fresh", ".certs");
    const { files, created, reason } = await ensureDevCertificates(certs);
    expect(created).toBe(true);
    expect(reason).toMatch(/missing/);
    expect(readdirSync(certs).sort()).toEqual(["ca.crt", "localhost.crt", "localhost.key"]);
    expect(statSync(files.key).mode & 0o077).toBe(0);
    for (const file of [files.caCert, files.cert]) {
      expect(readFileSync(file, "utf8")).not.toMatch(/PRIVATE KEY/);
    }
    expect(devCertificateProblem(files)).toBeUndefined();
  });

  it("keeps usable certificates, and renews them a month before they expire", async () => {
    const certs = join(dir, "kept");
    const first = await ensureDevCertificates(certs);
    const fingerprint = () => new X509Certificate(readFileSync(first.files.cert)).fingerprint256;
    const before = fingerprint();

    expect((await ensureDevCertificates(certs)).created).toBe(false);
    expect(fingerprint()).toBe(before);

    const validTo = Date.parse(new X509Certificate(readFileSync(first.files.cert)).validTo);
    const renewal = await ensureDevCertificates(certs, new Date(validTo - 10 * day));
    expect(renewal.created).toBe(true);
    expect(renewal.reason).toMatch(/expires/);
    expect(fingerprint()).not.toBe(before);
  });

  it("replaces a key that does not match its certificate", async () => {
    const certs = join(dir, "mismatched");
    const { files } = await ensureDevCertificates(certs);
    const other = await createDevCertificates();
    writeFileSync(files.key, other.key);
    expect(devCertificateProblem(devCertificateFiles(certs))).toMatch(/does not belong/);
    expect((await ensureDevCertificates(certs)).created).toBe(true);
    expect(devCertificateProblem(files)).toBeUndefined();
  });
});
