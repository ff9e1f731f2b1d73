import { hash, randomBytes } from "node:crypto";

/** OfficeLLM bearer secrets: `ollm_` followed by 32 random bytes in base64url. */
const SECRET_PATTERN = /^ollm_[A-Za-z0-9_-]{43}$/;
const PREFIX_LENGTH = "ollm_".length + 7;

export function generateSecret(): string {
  return `ollm_${randomBytes(32).toString("base64url")}`;
}

export function isWellFormedSecret(value: string): boolean {
  return SECRET_PATTERN.test(value);
}

/** What the database stores instead of the secret (the one-shot hash: every request makes one). */
export function hashSecret(secret: string): string {
  return hash("sha256", secret, "hex");
}

/** The short, non-secret start of a secret, shown in listings to tell tokens apart. */
export function secretPrefix(secret: string): string {
  return secret.slice(0, PREFIX_LENGTH);
}
