import type { KeyValueStorage } from "./storage.ts";

/** Where the backend is and the token to use, as the user entered them on the Connect tab. */
export interface Connection {
  baseUrl: string;
  token: string;
}

const KEY = "officellm.connection";

export async function loadConnection(storage: KeyValueStorage): Promise<Connection | null> {
  const raw = await storage.get(KEY);
  if (!raw) return null;
  try {
    const value = JSON.parse(raw) as Partial<Connection>;
    return typeof value.baseUrl === "string" && typeof value.token === "string"
      ? { baseUrl: value.baseUrl, token: value.token }
      : null;
  } catch {
    return null;
  }
}

export async function saveConnection(
  storage: KeyValueStorage,
  connection: Connection,
): Promise<void> {
  await storage.set(KEY, JSON.stringify(connection));
}

export async function clearConnection(storage: KeyValueStorage): Promise<void> {
  await storage.remove(KEY);
}

/** The backend serving this page is the default backend. */
export function defaultBaseUrl(): string {
  return typeof location !== "undefined" && location.origin.startsWith("http")
    ? location.origin
    : "";
}
