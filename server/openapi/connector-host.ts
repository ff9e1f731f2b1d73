import { isIP } from "node:net";
import { ApiError } from "../errors.ts";

/** Whether a URL's host is this machine: `localhost` (and its subdomains), 127.0.0.0/8 or ::1. */
export function isLoopbackHost(url: URL): boolean {
  const host = url.hostname.replace(/^\[|\]$/g, "").toLowerCase();
  if (host === "localhost" || host.endsWith(".localhost")) return true;
  if (isIP(host) === 4) return host.startsWith("127.");
  // The URL parser writes ::ffff:127.0.0.1 as ::ffff:7f00:1.
  return host === "::1" || /^::ffff:7f[0-9a-f]{2}:/.test(host);
}

/**
 * Refuses (409) to hand out a connector definition that points at `publicUrl` when that is
 * http:// or a loopback address, unless the deployment allows it (CONNECTOR_ALLOW_INSECURE):
 * Power Automate's cloud cannot reach a loopback address, and over http:// every flow's token
 * would travel in clear text.
 */
export function checkConnectorHost(publicUrl: string, allowsInsecure: boolean): void {
  if (allowsInsecure) return;
  const url = new URL(publicUrl);
  const reason =
    url.protocol !== "https:"
      ? "is not https://"
      : isLoopbackHost(url)
        ? "is a loopback address"
        : undefined;
  if (reason)
    throw new ApiError(
      "conflict",
      `The connector definition would point at PUBLIC_URL ${url.origin}, which ${reason}: ` +
        "set PUBLIC_URL to the https:// address flows reach this backend at, or set " +
        "CONNECTOR_ALLOW_INSECURE=true to serve it anyway (e.g. behind an on-premises data gateway)",
    );
}
