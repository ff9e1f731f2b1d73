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
 * The server for the app: plain HTTP, or HTTPS when `tls` names PEM certificate and key files
 * (TLS_CERT_FILE, TLS_KEY_FILE), as `npm run dev` does so that Office can load the add-in from
 * https://localhost. A file that cannot be read or used stops start-up with the setting's name.
 */
export function createServer(app: RequestListener, tls: Config["tls"]): Server {
  if (!tls) return createHttpServer(app);
  const cert = readPem(tls.certFile, "TLS_CERT_FILE");
  const key = readPem(tls.keyFile, "TLS_KEY_FILE");
  try {
    return createHttpsServer({ cert, key }, app);
  } catch (error) {
    throw new Error(
      `TLS_CERT_FILE and TLS_KEY_FILE are not a usable PEM certificate and key (${error instanceof Error ? error.message : String(error)})`,
      { cause: error },
    );
  }
}
