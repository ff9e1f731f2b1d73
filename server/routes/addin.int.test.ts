import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import express from "express";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addinStatic } from "./addin.ts";

/** The add-in's files as the backend serves them, from a stand-in build folder. */
let dir: string;
let server: Server;
let url: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "officellm-addin-"));
  mkdirSync(join(dir, "assets"));
  writeFileSync(join(dir, "taskpane.html"), "<!doctype html><title>pane</title>");
  writeFileSync(join(dir, "functions.json"), "{}");
  mkdirSync(join(dir, "admin"));
  writeFileSync(join(dir, "admin", "index.html"), "<!doctype html><title>admin</title>");
  writeFileSync(join(dir, "assets", "taskpane-abc123.js"), "console.log(1)");
  const app = express();
  app.use((_req, res, next) => {
    res.setHeader("x-frame-options", "SAMEORIGIN");
    next();
  });
  app.use(addinStatic(dir));
  server = app.listen(0, "127.0.0.1");
  await new Promise<void>((resolve) => server.once("listening", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

describe("the add-in's static files", () => {
  it("serves the page fresh every time, framable by Office, with office.js from Microsoft", async () => {
    const response = await fetch(`${url}/addin/taskpane.html`);
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("no-cache");
    expect(response.headers.has("x-frame-options")).toBe(false);
    expect(response.headers.get("cross-origin-opener-policy")).toBe("same-origin-allow-popups");
    const csp = response.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("script-src 'self' https://appsforoffice.microsoft.com");
    expect(csp).toContain("https://*.officeapps.live.com");
  });

  it("serves functions.json fresh and hashed bundles as immutable", async () => {
    expect((await fetch(`${url}/addin/functions.json`)).headers.get("cache-control")).toBe(
      "no-cache",
    );
    const bundle = await fetch(`${url}/addin/assets/taskpane-abc123.js`);
    expect(bundle.headers.get("cache-control")).toContain("immutable");
  });

  it("serves the admin console at /admin/, fresh, keeping the API's own frame policy", async () => {
    const bare = await fetch(`${url}/admin`, { redirect: "manual" });
    expect(bare.status).toBe(301);
    expect(bare.headers.get("location")).toBe("/admin/");
    const response = await fetch(`${url}/admin/`);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain("<title>admin</title>");
    expect(response.headers.get("cache-control")).toBe("no-cache");
    // Not the pane's policy: Office has no reason to frame the console.
    expect(response.headers.get("x-frame-options")).toBe("SAMEORIGIN");
    expect(response.headers.has("content-security-policy")).toBe(false);
  });

  it("serves nothing when the add-in has not been built", async () => {
    const app = express().use(addinStatic(join(dir, "missing")));
    const empty = app.listen(0, "127.0.0.1");
    await new Promise<void>((resolve) => empty.once("listening", resolve));
    try {
      const response = await fetch(
        `http://127.0.0.1:${(empty.address() as AddressInfo).port}/addin/taskpane.html`,
      );
      expect(response.status).toBe(404);
    } finally {
      await new Promise<void>((resolve) => empty.close(() => resolve()));
    }
  });
});
