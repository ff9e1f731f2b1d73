/**
 * Development certificates for `npm run dev`, made on this machine (no download, no sudo):
 * a certificate authority that you trust once (`ca.crt`), and a certificate for localhost,
 * 127.0.0.1 and ::1 that it signs (`localhost.crt`, `localhost.key`), which the backend serves
 * HTTPS with. The authority's private key is never written anywhere: it signs the one localhost
 * certificate and is dropped, so trusting `ca.crt` vouches for nothing else. The price is that a
 * renewal (every ~800 days, or when the files are deleted) makes a new authority to trust again.
 */
import { createPrivateKey, X509Certificate } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { generate } from "selfsigned";

export interface DevCertificates {
  /** PEM of the authority to trust. */
  caCert: string;
  /** PEM of the localhost certificate, signed by the authority. */
  cert: string;
  /** PEM of the localhost certificate's private key. */
  key: string;
}

export interface DevCertificateFiles {
  directory: string;
  caCert: string;
  cert: string;
  key: string;
}

/** The hosts the certificate covers: what the manifest, Excel and a browser use. */
export const devCertificateHosts = { dns: ["localhost"], ips: ["127.0.0.1", "::1"] } as const;

const day = 86_400_000;
/** Apple's platforms refuse TLS server certificates valid for more than 825 days. */
const validityDays = 800;
/** Renew this long before the end, so a session never starts on a certificate about to lapse. */
const renewBeforeDays = 30;

export function devCertificateFiles(directory: string): DevCertificateFiles {
  return {
    directory,
    caCert: join(directory, "ca.crt"),
    cert: join(directory, "localhost.crt"),
    key: join(directory, "localhost.key"),
  };
}

/** Makes a new authority and a localhost certificate signed by it (P-256 keys, SHA-256). */
export async function createDevCertificates(now = new Date()): Promise<DevCertificates> {
  const notBeforeDate = new Date(now.getTime() - day);
  const notAfterDate = new Date(now.getTime() + validityDays * day);
  const common = {
    keyType: "ec",
    curve: "P-256",
    algorithm: "sha256",
    notBeforeDate,
    notAfterDate,
  } as const;
  const ca = await generate(
    [
      { name: "commonName", value: `OfficeLLM Development CA ${now.toISOString().slice(0, 10)}` },
      { name: "organizationName", value: "OfficeLLM development (this computer only)" },
    ],
    {
      ...common,
      extensions: [
        { name: "basicConstraints", cA: true, pathLenConstraint: 0, critical: true },
        { name: "keyUsage", keyCertSign: true, cRLSign: true, critical: true },
      ],
    },
  );
  const leaf = await generate([{ name: "commonName", value: "localhost" }], {
    ...common,
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: "basicConstraints", cA: false, critical: true },
      { name: "keyUsage", digitalSignature: true, critical: true },
      { name: "extKeyUsage", serverAuth: true },
      {
        name: "subjectAltName",
        altNames: [
          ...devCertificateHosts.dns.map((value) => ({ type: 2 as const, value })),
          ...devCertificateHosts.ips.map((ip) => ({ type: 7 as const, ip })),
        ],
      },
    ],
  });
  return { caCert: ca.cert, cert: leaf.cert, key: leaf.private };
}

/**
 * Why the certificates in `files` cannot serve development HTTPS until `now` plus the renewal
 * margin, or undefined when they can.
 */
export function devCertificateProblem(
  files: DevCertificateFiles,
  now = new Date(),
): string | undefined {
  for (const file of [files.caCert, files.cert, files.key]) {
    if (!existsSync(file)) return `${file} is missing`;
  }
  try {
    const ca = new X509Certificate(readFileSync(files.caCert));
    const cert = new X509Certificate(readFileSync(files.cert));
    if (!cert.verify(ca.publicKey)) return "localhost.crt is not signed by ca.crt";
    if (!cert.checkPrivateKey(createPrivateKey(readFileSync(files.key)))) {
      return "localhost.key does not belong to localhost.crt";
    }
    const renewAt = Date.parse(cert.validTo) - renewBeforeDays * day;
    if (now.getTime() >= renewAt) return `localhost.crt expires on ${cert.validTo}`;
    if (now.getTime() < Date.parse(cert.validFrom)) return "localhost.crt is not valid yet";
    const covered =
      devCertificateHosts.dns.every((host) => cert.checkHost(host) === host) &&
      devCertificateHosts.ips.every((ip) => cert.checkIP(ip) === ip);
    if (!covered) return "localhost.crt does not cover localhost, 127.0.0.1 and ::1";
  } catch (error) {
    return `the certificates cannot be read (${error instanceof Error ? error.message : String(error)})`;
  }
  return undefined;
}

/**
 * Makes sure `directory` holds usable development certificates, making new ones when they are
 * missing, broken or about to expire. `created` says whether the authority is new (and so must
 * be trusted again).
 */
export async function ensureDevCertificates(
  directory: string,
  now = new Date(),
): Promise<{ files: DevCertificateFiles; created: boolean; reason?: string }> {
  const files = devCertificateFiles(directory);
  const reason = devCertificateProblem(files, now);
  if (reason === undefined) return { files, created: false };
  const made = await createDevCertificates(now);
  mkdirSync(directory, { recursive: true, mode: 0o700 });
  writeFileSync(files.key, made.key, { mode: 0o600 });
  chmodSync(files.key, 0o600);
  writeFileSync(files.cert, made.cert);
  writeFileSync(files.caCert, made.caCert);
  return { files, created: true, reason };
}
