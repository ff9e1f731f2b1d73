import { z } from "zod";

export const scopes = ["llm", "calendar", "admin"] as const;
export type Scope = (typeof scopes)[number];
export const scopeSchema = z.enum(scopes);

export function parseScopes(value: string): Scope[] {
  const list = value
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = list.filter((s) => !scopes.includes(s as Scope));
  if (unknown.length > 0) {
    throw new Error(`unknown scope ${unknown.join(", ")} (known: ${scopes.join(", ")})`);
  }
  return [...new Set(list as Scope[])];
}
