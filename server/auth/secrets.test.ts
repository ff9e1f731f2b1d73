import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { generateSecret, hashSecret, isWellFormedSecret, secretPrefix } from "./secrets.ts";

describe("token secrets", () => {
  it("are ollm_ followed by 43 base64url characters (32 random bytes)", () => {
    for (let i = 0; i < 50; i++) {
      const secret = generateSecret();
      expect(secret).toMatch(/^ollm_[A-Za-z0-9_-]{43}$/);
      expect(Buffer.from(secret.slice(5), "base64url")).toHaveLength(32);
      expect(isWellFormedSecret(secret)).toBe(true);
    }
  });

  it("are unique", () => {
    const secrets = new Set(Array.from({ length: 1000 }, () => generateSecret()));
    expect(secrets.size).toBe(1000);
  });

  it("hash to the SHA-256 hex digest of the secret", () => {
    const secret = generateSecret();
    const hash = hashSecret(secret);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(hash).toBe(createHash("sha256").update(secret).digest("hex"));
    expect(hashSecret(secret)).toBe(hash);
    expect(hashSecret(generateSecret())).not.toBe(hash);
  });

  it("have a 12-character prefix that starts the secret", () => {
    const secret = generateSecret();
    const prefix = secretPrefix(secret);
    expect(prefix).toHaveLength(12);
    expect(secret.startsWith(prefix)).toBe(true);
    expect(prefix.startsWith("ollm_")).toBe(true);
  });

  it("reject what is not shaped like one", () => {
    const secret = generateSecret();
    for (const bad of [
      "",
      "ollm_",
      secret.slice(0, -1),
      `${secret}A`,
      secret.replace("ollm_", "olm_"),
      `ollm_${"A".repeat(42)}=`,
      `ollm_${"A".repeat(42)}+`,
      ` ${secret}`,
      "sk-abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
    ]) {
      expect(isWellFormedSecret(bad), JSON.stringify(bad)).toBe(false);
    }
  });
});
