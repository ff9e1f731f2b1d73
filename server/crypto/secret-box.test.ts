import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { isWeakKey, open, seal, SecretBoxError } from "./secret-box.ts";

const key = randomBytes(32);

describe("secret box (AES-256-GCM)", () => {
  it("opens what it sealed, under the same key and context", () => {
    const sealed = seal(key, "1//refresh-token-value", "calendar-connection:tok_1");
    expect(sealed).toMatch(/^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$/);
    expect(sealed).not.toContain("refresh-token-value");
    expect(open(key, sealed, "calendar-connection:tok_1")).toBe("1//refresh-token-value");
  });

  it("uses a fresh 12-byte nonce for every value", () => {
    const a = seal(key, "same", "ctx");
    const b = seal(key, "same", "ctx");
    expect(a).not.toBe(b);
    expect(Buffer.from(a.split(".")[1]!, "base64url")).toHaveLength(12);
    expect(a.split(".")[1]).not.toBe(b.split(".")[1]);
  });

  it("refuses another key, another context, or any altered part", () => {
    const sealed = seal(key, "secret", "ctx");
    expect(() => open(randomBytes(32), sealed, "ctx")).toThrow(SecretBoxError);
    expect(() => open(key, sealed, "other")).toThrow(SecretBoxError);
    const parts = sealed.split(".");
    for (const index of [1, 2, 3]) {
      const bytes = Buffer.from(parts[index]!, "base64url");
      bytes[0] = bytes[0]! ^ 1;
      const altered = parts.map((part, i) => (i === index ? bytes.toString("base64url") : part));
      expect(() => open(key, altered.join("."), "ctx"), `part ${index}`).toThrow(SecretBoxError);
    }
    expect(() => open(key, "v2.a.b.c", "ctx")).toThrow(/version/);
    expect(() => open(key, "not sealed", "ctx")).toThrow(SecretBoxError);
  });

  it("needs a 32-byte key", () => {
    expect(() => seal(randomBytes(16), "x", "ctx")).toThrow(/32 bytes/);
  });

  it("calls a too regular key weak, and a random one not", () => {
    expect(isWeakKey(Buffer.alloc(32, 0xaa))).toBe(true);
    expect(isWeakKey(Buffer.from("0123456789abcdef".repeat(4), "hex"))).toBe(true);
    expect(isWeakKey(randomBytes(32))).toBe(false);
  });
});
