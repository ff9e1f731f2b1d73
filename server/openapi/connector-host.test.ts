import { describe, expect, it } from "vitest";
import { checkConnectorHost, isLoopbackHost } from "./connector-host.ts";

describe("isLoopbackHost", () => {
  it.each([
    "https://localhost",
    "https://LOCALHOST:8443",
    "https://officellm.localhost",
    "https://127.0.0.1",
    "https://127.8.9.10:3000",
    "https://[::1]:3000",
    "https://[::ffff:127.0.0.1]",
  ])("finds %s on this machine", (url) => {
    expect(isLoopbackHost(new URL(url))).toBe(true);
  });

  it.each([
    "https://officellm.example.com",
    "https://localhost.example.com",
    "https://128.0.0.1",
    "https://10.0.0.5",
    "https://[::2]",
    "https://[::ffff:10.0.0.1]",
  ])("finds %s elsewhere", (url) => {
    expect(isLoopbackHost(new URL(url))).toBe(false);
  });
});

describe("checkConnectorHost", () => {
  it("passes an https address of another machine, and anything when allowed", () => {
    expect(() => checkConnectorHost("https://officellm.example.com/tools", false)).not.toThrow();
    expect(() => checkConnectorHost("http://127.0.0.1:3000", true)).not.toThrow();
  });

  it("refuses http:// with a 409 that names PUBLIC_URL and the setting", () => {
    expect(() => checkConnectorHost("http://officellm.example.com", false)).toThrow(
      expect.objectContaining({
        status: 409,
        message: expect.stringMatching(/PUBLIC_URL.*not https:\/\/.*CONNECTOR_ALLOW_INSECURE/),
      }),
    );
  });
});
