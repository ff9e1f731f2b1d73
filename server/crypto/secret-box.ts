import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

/**
 * Secrets at rest: AES-256-GCM under ENCRYPTION_KEY, a fresh random 12-byte nonce for every value,
 * and the 16-byte tag that authenticates it. `context` is bound in as additional authenticated
 * data, so a value copied into another row (another token's connection) no longer opens.
 *
 * A sealed value is text: `v1.<nonce>.<ciphertext>.<tag>`, each part base64url.
 */

const VERSION = "v1";
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

export class SecretBoxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SecretBoxError";
  }
}

function checkKey(key: Buffer): void {
  if (key.length !== 32) throw new SecretBoxError("the key must be 32 bytes (AES-256)");
}

export function seal(key: Buffer, plaintext: string, context: string): string {
  checkKey(key);
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(context, "utf8"));
  const ciphertext = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return [VERSION, nonce, ciphertext, cipher.getAuthTag()]
    .map((part) => (typeof part === "string" ? part : part.toString("base64url")))
    .join(".");
}

/** Opens a sealed value; throws SecretBoxError when it was altered, or sealed under another key or context. */
export function open(key: Buffer, sealed: string, context: string): string {
  checkKey(key);
  const parts = sealed.split(".");
  if (parts.length !== 4 || parts[0] !== VERSION)
    throw new SecretBoxError("not a sealed value of a known version");
  const [nonce, ciphertext, tag] = parts.slice(1).map((part) => Buffer.from(part, "base64url"));
  if (nonce!.length !== NONCE_BYTES || tag!.length !== TAG_BYTES)
    throw new SecretBoxError("malformed sealed value");
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, nonce!, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(context, "utf8"));
    decipher.setAuthTag(tag!);
    return Buffer.concat([decipher.update(ciphertext!), decipher.final()]).toString("utf8");
  } catch {
    throw new SecretBoxError("the value does not open with this key and context");
  }
}

/**
 * A key too regular to be random (such as 64 times the same hex digit): fewer than 16 distinct
 * byte values among 32. Random keys have about 30; the chance of a random key failing is negligible.
 */
export function isWeakKey(key: Buffer): boolean {
  return new Set(key).size < 16;
}
