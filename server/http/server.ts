import { readFileSync } from "node:fs";
import { createServer as createHttpServer, type RequestListener, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { Config } from "../config.ts";

function readPem(file: string, setting: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new Error(
      `${setting}: cannot read ${file} (${error instanceof Error ? error.message : String(error)})`,
      { cause: error },
    );
  }
}

/**
 * Connections the kernel may hold for the server while its event loop is busy, asked as high as
 * Linux takes (it caps the figure at `net.core.somaxconn`, 4,096 by default): a thousand cells
 * recalculating open a thousand connections at once, and with Node's default of 511 the rest are
 * dropped and retried by the client's TCP a second or more later.
 */
export const LISTEN_BACKLOG = 65_535;

/**
 * Node's guards against slow clients, from the limits: the headers must arrive within
 * `headersTimeoutMs`, the whole request within that plus `bodyTimeoutMs`, or Node answers 408
 * and closes the connection. (The app times a body it reads itself, from when it starts reading;
 * this also bounds a body nobody reads.) Node looks for late requests every
 * `connectionsCheckingInterval`, here a quarter of the shorter timeout, so a slow client is
 * closed at most a quarter late.
 */
function slowClientTimeouts(limits: Config["limits"]) {
  return {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.headersTimeoutMs + limits.bodyTimeoutMs,
    connectionsCheckingInterval: Math.ceil(
      Math.min(limits.headersTimeoutMs, limits.bodyTimeoutMs) / 4,
    ),
  };
}

/**
 * The server for the app: plain HTTP, or HTTPS when `tls` names PEM certificate and key files
 * (TLS_CERT_FILE, TLS_KEY_FILE), as `npm run dev` does so that Office can load the add-in from
 * https://localhost. A file that cannot be read or used stops start-up with the setting's name.
 */
export function createServer(app: RequestListener, config: Pick<Config, "tls" | "limits">): Server {
  const timeouts = slowClientTimeouts(config.limits);
  const { tls } = config;
  if (!tls) return createHttpServer(timeouts, app);
  const cert = readPem(tls.certFile, "TLS_CERT_FILE");
  const key = readPem(tls.keyFile, "TLS_KEY_FILE");
  try {
    return createHttpsServer({ ...timeouts, cert, key }, app);
  } catch (error) {
    throw new Error(
      `TLS_CERT_FILE and TLS_KEY_FILE are not a usable PEM certificate and key (${error instanceof Error ? error.message : String(error)})`,
      { cause: error },
    );
  }
}
