import { errorText } from "./util/error-text.ts";

/**
 * Start-up failures in words an operator can act on: which setting, which address (never a
 * password), and what the driver said.
 */

/** A database or Redis URL as it may be shown: its password replaced by `***`. */
export function safeAddress(url: string): string {
  if (url.startsWith("sqlite:")) return url;
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    parsed.search = "";
    return parsed.toString();
  } catch {
    return "(an address that is not a URL)";
  }
}

/** Why the database could not be opened, naming DATABASE_URL and its address. */
export function databaseFailure(databaseUrl: string, error: unknown): Error {
  return new Error(
    `could not open the database at ${safeAddress(databaseUrl)} (DATABASE_URL): ${errorText(error)}`,
    { cause: error },
  );
}

/** Why the server could not listen, with what to do about a port in use or not allowed. */
export function listenFailure(error: unknown, address: { host: string; port: number }): Error {
  const where = `${address.host}:${address.port}`;
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "EADDRINUSE") {
    return new Error(
      `port ${address.port} is already in use on ${address.host} (another OfficeLLM?); stop what holds it, or set PORT to a free port`,
      { cause: error },
    );
  }
  if (code === "EACCES") {
    return new Error(
      `not allowed to listen on ${where}; set PORT to a port above 1023, or let a proxy in front take port ${address.port}`,
      { cause: error },
    );
  }
  if (code === "EADDRNOTAVAIL" || code === "ENOTFOUND") {
    return new Error(`cannot listen on ${where}: no such address here; check HOST`, {
      cause: error,
    });
  }
  return new Error(`cannot listen on ${where}: ${errorText(error)}`, { cause: error });
}
