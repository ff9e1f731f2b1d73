import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { XMLValidator } from "fast-xml-parser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../test/harness.ts";
import { childNamed, manifestUrls, parseManifest } from "../test/manifest-xml.ts";
import { runNode } from "../test/process.ts";
import { manifestFile } from "./manifest.ts";
import { unifiedManifest } from "./unified-manifest.ts";

const committed = parseManifest(readFileSync(manifestFile, "utf8"));
const committedUrls = manifestUrls(committed);

/** Checks a manifest for a deployment: valid XML, every URL on `baseUrl`, none on localhost. */
function expectManifestFor(xml: string, baseUrl: string) {
  expect(XMLValidator.validate(xml)).toBe(true);
  expect(xml).not.toMatch(/localhost/);
  const root = parseManifest(xml);
  expect(childNamed(root, "Id").text).toBe(childNamed(committed, "Id").text);
  const urls = manifestUrls(root);
  expect(urls).toHaveLength(committedUrls.length);
  for (const url of urls) expect(url.startsWith(`${baseUrl}/`), url).toBe(true);
  expect(urls).toContain(`${baseUrl}/addin/taskpane.html`);
  expect(urls).toContain(`${baseUrl}/addin/functions.json`);
}

describe("npm run manifest (scripts/manifest.ts)", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "officellm-manifest-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("writes a manifest with the given URL in every URL to --out", async () => {
    const out = join(dir, "deployment.xml");
    const run = await runNode(
      "scripts/manifest.ts",
      ["--url", "https://officellm.example.com/", "--out", out],
      {},
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain(out);
    expectManifestFor(readFileSync(out, "utf8"), "https://officellm.example.com");
  });

  it("writes to standard output with --out -, keeping a path prefix", async () => {
    const run = await runNode(
      "scripts/manifest.ts",
      ["--url", "https://intranet.example.com/officellm", "--out", "-"],
      {},
    );
    expect(run.code, run.stderr).toBe(0);
    expectManifestFor(run.stdout, "https://intranet.example.com/officellm");
  });

  it("takes a relative --out from the directory npm was run in", async () => {
    const run = await runNode(
      "scripts/manifest.ts",
      ["--url", "https://officellm.example.com", "--out", "relative.xml"],
      { INIT_CWD: dir },
    );
    expect(run.code, run.stderr).toBe(0);
    expectManifestFor(
      readFileSync(join(dir, "relative.xml"), "utf8"),
      "https://officellm.example.com",
    );
  });

  it("writes the unified manifest with --format json, to manifest.json by default", async () => {
    const run = await runNode(
      "scripts/manifest.ts",
      ["--url", "https://intranet.example.com/officellm/", "--format", "json"],
      { INIT_CWD: dir },
    );
    expect(run.code, run.stderr).toBe(0);
    const written = readFileSync(join(dir, "manifest.json"), "utf8");
    expect(written).not.toMatch(/localhost/);
    expect(JSON.parse(written)).toEqual(unifiedManifest("https://intranet.example.com/officellm"));
  });

  it("writes the same unified manifest as GET /manifest.json to standard output", async () => {
    const run = await runNode(
      "scripts/manifest.ts",
      ["--url", "https://officellm.example.com", "--format", "json", "--out", "-"],
      {},
    );
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual(unifiedManifest("https://officellm.example.com"));
  });

  it.each([
    [
      ["--url", "https://officellm.example.com", "--format", "yaml"],
      /--format must be xml or json/,
    ],
    [["--url", "http://officellm.example.com", "--format", "json"], /https/],
    [["--url", "http://officellm.example.com"], /https/],
    [["--url", "officellm.example.com"], /not an absolute URL/],
    [[], /--url is required/],
    [["--url", "https://officellm.example.com", "--bogus"], /bogus/],
  ])("refuses %j with exit code 2 and the usage", async (args, message) => {
    const run = await runNode("scripts/manifest.ts", [...args, "--out", "-"], {});
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(message);
    expect(run.stderr).toMatch(/Usage: npm run manifest/);
  });
});

describe("GET /manifest.xml", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ env: { PUBLIC_URL: "https://officellm.example.com" } });
  });
  afterAll(() => server.close());

  it("downloads this deployment's manifest, PUBLIC_URL in every URL, without a token", async () => {
    const response = await server.fetch("/manifest.xml");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^application\/xml\b/);
    expect(response.headers.get("content-disposition")).toBe(
      'attachment; filename="officellm-manifest.xml"',
    );
    expectManifestFor(await response.text(), "https://officellm.example.com");
  });

  it("is in the route table as a public route", () => {
    const route = server.app.routeTable.find((entry) => entry.path === "/manifest.xml");
    expect(route).toMatchObject({ method: "get", access: "public" });
  });

  it("ignores a bearer token it does not need", async () => {
    const response = await server.fetch("/manifest.xml", { token: "ollm_not-a-real-token" });
    expect(response.status).toBe(200);
    const manifest = await response.text();
    expectManifestFor(manifest, "https://officellm.example.com");
    expect(manifest).toBe(await (await server.fetch("/manifest.xml")).text());
  });
});

describe("GET /manifest.json", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({
      env: { PUBLIC_URL: "https://officellm.example.com/gateway" },
    });
  });
  afterAll(() => server.close());

  it("downloads this deployment's unified manifest, the same add-in as /manifest.xml, without a token", async () => {
    const response = await server.fetch("/manifest.json");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^application\/json\b/);
    const manifest = (await response.json()) as ReturnType<typeof unifiedManifest>;
    expect(manifest).toEqual(unifiedManifest("https://officellm.example.com/gateway"));
    const xml = parseManifest(await (await server.fetch("/manifest.xml")).text());
    expect(manifest.id).toBe(childNamed(xml, "Id").text);
    expect(manifest.extensions[0]!.runtimes[0]!.code.page).toBe(
      "https://officellm.example.com/gateway/addin/taskpane.html",
    );
  });

  it("is in the route table as a public route", () => {
    const route = server.app.routeTable.find((entry) => entry.path === "/manifest.json");
    expect(route).toMatchObject({ method: "get", access: "public" });
  });
});

describe("GET /manifest.xml on other deployments", () => {
  it("keeps PUBLIC_URL's path prefix", async () => {
    const server = await startTestServer({
      env: { PUBLIC_URL: "https://intranet.example.com/tools/officellm/" },
    });
    try {
      const response = await server.fetch("/manifest.xml");
      expectManifestFor(await response.text(), "https://intranet.example.com/tools/officellm");
    } finally {
      await server.close();
    }
  });

  it("says inside the manifest that an http PUBLIC_URL will not load in Office", async () => {
    const server = await startTestServer();
    try {
      const response = await server.fetch("/manifest.xml");
      expect(response.status).toBe(200);
      const xml = await response.text();
      expect(XMLValidator.validate(xml)).toBe(true);
      expect(xml).toMatch(/WARNING: these URLs are http:\/\//);
      for (const url of manifestUrls(parseManifest(xml))) {
        expect(url.startsWith(`${server.config.publicUrl}/`)).toBe(true);
      }
    } finally {
      await server.close();
    }
  });
});
