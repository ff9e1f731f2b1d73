import { runInNewContext } from "node:vm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../test/harness.ts";

interface Operation {
  operationId: string;
  tags: string[];
  security?: unknown[];
  parameters: { name: string; in: string; required: boolean }[];
  requestBody?: {
    required: boolean;
    content: Record<string, { schema: Record<string, unknown> }>;
  };
  responses: Record<string, unknown>;
}

interface Document {
  openapi: string;
  info: { title: string; version: string };
  servers: { url: string }[];
  security: unknown[];
  components: { securitySchemes: Record<string, unknown>; schemas: Record<string, unknown> };
  paths: Record<string, Record<string, Operation>>;
}

let server: TestServer;
let document: Document;

beforeAll(async () => {
  server = await startTestServer({ env: { PUBLIC_URL: "https://officellm.example.com" } });
  const response = await server.fetch("/api/v1/openapi.json");
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toMatch(/^application\/json/);
  document = (await response.json()) as Document;
});
afterAll(() => server.close());

const openApiPath = (path: string) => path.replace(/:(\w+)/g, "{$1}");

describe("GET /api/v1/openapi.json", () => {
  it("is an OpenAPI 3.1.0 document for this deployment, without auth", () => {
    expect(document.openapi).toBe("3.1.0");
    expect(document.info.title).toBeTruthy();
    expect(document.info.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(document.servers).toEqual([{ url: "https://officellm.example.com" }]);
    expect(document.components.securitySchemes.bearer).toMatchObject({
      type: "http",
      scheme: "bearer",
    });
    expect(document.security).toEqual([{ bearer: [] }]);
  });

  it("documents every route of the app's table under its path and method", () => {
    const table = server.app.routeTable;
    expect(table.length).toBeGreaterThan(5);
    for (const route of table) {
      const path = openApiPath(route.path);
      expect(document.paths[path], path).toBeDefined();
      expect(document.paths[path]![route.method], `${route.method} ${path}`).toBeDefined();
    }
    const documented = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method} ${path}`),
    );
    expect(documented.sort()).toEqual(
      table.map((route) => `${route.method} ${openApiPath(route.path)}`).sort(),
    );
  });

  it("gives every operation a unique id and declares each path parameter", () => {
    const ids = new Set<string>();
    for (const route of server.app.routeTable) {
      const operation = document.paths[openApiPath(route.path)]![route.method]!;
      expect(ids.has(operation.operationId), operation.operationId).toBe(false);
      ids.add(operation.operationId);
      const names = [...route.path.matchAll(/:(\w+)/g)].map((match) => match[1]);
      const declared = operation.parameters.filter((p) => p.in === "path");
      expect(declared.map((p) => p.name)).toEqual(names);
      expect(declared.every((p) => p.required)).toBe(true);
    }
  });

  it("lists 401 on protected operations, 403 on scoped ones, and neither on public ones", () => {
    for (const route of server.app.routeTable) {
      const label = `${route.method} ${route.path}`;
      const operation = document.paths[openApiPath(route.path)]![route.method]!;
      const statuses = Object.keys(operation.responses);
      expect(statuses, label).toContain(String(route.successStatus ?? 200));
      expect(statuses, label).toContain("500");
      if (route.access === "public") {
        expect(operation.security, label).toEqual([]);
        expect(statuses, label).not.toContain("401");
        expect(statuses, label).not.toContain("403");
      } else {
        expect(operation.security, label).toBeUndefined();
        expect(statuses, label).toContain("401");
        expect(statuses, label).toContain("429");
        if (route.access === "token") expect(statuses, label).not.toContain("403");
        else expect(statuses, label).toContain("403");
      }
    }
  });

  it("describes the admin token POST's body from its zod schema", () => {
    const operation = document.paths["/api/v1/admin/tokens"]!.post!;
    expect(operation.requestBody?.required).toBe(true);
    const schema = operation.requestBody!.content["application/json"]!.schema as {
      type: string;
      required: string[];
      additionalProperties: unknown;
      properties: Record<string, Record<string, unknown>>;
    };
    expect(schema.type).toBe("object");
    expect(schema.required).toContain("name");
    expect(schema.required).not.toContain("scopes");
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.name).toMatchObject({ type: "string", minLength: 1, maxLength: 100 });
    expect(schema.properties.scopes).toMatchObject({
      type: "array",
      items: { enum: ["llm", "calendar", "admin"] },
      default: ["llm"],
    });
    expect(Object.keys(schema.properties).sort()).toEqual(
      ["budgetUsd", "expiresInDays", "name", "rpm", "scopes"].sort(),
    );
    expect(Object.keys(operation.responses)).toEqual(
      expect.arrayContaining(["201", "400", "401", "403"]),
    );
  });

  it("describes each batch item as a completion request, and how many a batch may hold", () => {
    const operation = document.paths["/api/v1/batch"]!.post!;
    const schema = operation.requestBody!.content["application/json"]!.schema as {
      required: string[];
      properties: { items: { minItems: number; maxItems: number; items: Record<string, unknown> } };
    };
    expect(schema.required).toEqual(["items"]);
    const { items } = schema.properties;
    expect([items.minItems, items.maxItems]).toEqual([1, 500]);
    expect(items.items).toMatchObject({ type: "object", additionalProperties: false });
    expect(items.items).not.toHaveProperty("default");
    expect(Object.keys(items.items.properties as object)).toEqual(
      expect.arrayContaining(["id", "prompt", "messages", "templateId", "responseFormat"]),
    );
  });

  it("documents query parameters and the error envelope", () => {
    const audit = document.paths["/api/v1/admin/audit"]!.get!;
    expect(audit.parameters).toContainEqual(
      expect.objectContaining({ name: "limit", in: "query", required: false }),
    );
    expect(document.components.schemas.Error).toMatchObject({
      required: ["error"],
      properties: { error: { required: ["code", "message", "requestId"] } },
    });
  });
});

describe("GET /docs", () => {
  let html: string;

  beforeAll(async () => {
    const response = await server.fetch("/docs");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
    html = await response.text();
  });

  it("references the locally served Swagger UI bundle and its start script", () => {
    expect(html).toContain('src="/docs/assets/swagger-ui-bundle.js"');
    expect(html).toContain('src="/docs/init.js"');
  });

  it("loads nothing from another host", () => {
    const sources = [...html.matchAll(/<(?:script|link|img)\b[^>]*\b(?:src|href)="([^"]*)"/g)].map(
      (match) => match[1]!,
    );
    expect(sources.length).toBeGreaterThanOrEqual(2);
    for (const source of sources) expect(source).toMatch(/^\/(?!\/)/);
    expect(html).not.toMatch(/<script[^>]*src="(https?:)?\/\//);
  });

  it("serves the bundle and the start script as JavaScript", async () => {
    for (const path of ["/docs/assets/swagger-ui-bundle.js", "/docs/init.js"]) {
      const response = await server.fetch(path);
      expect(response.status, path).toBe(200);
      expect(response.headers.get("content-type"), path).toMatch(/^(application|text)\/javascript/);
      expect((await response.text()).length, path).toBeGreaterThan(0);
    }
  });

  it("points the start script at this API's document", async () => {
    const script = await (await server.fetch("/docs/init.js")).text();
    expect(script).toContain("SwaggerUIBundle");
    expect(script).toContain('"/api/v1/openapi.json"');
  });

  it("starts Swagger UI without keeping a typed-in token in the browser", async () => {
    const script = await (await server.fetch("/docs/init.js")).text();
    let options: Record<string, unknown> | undefined;
    runInNewContext(script, {
      window: {},
      SwaggerUIBundle: (given: Record<string, unknown>) => (options = given),
    });
    expect(options).toMatchObject({ url: "/api/v1/openapi.json" });
    expect(options!.persistAuthorization).not.toBe(true);
  });

  it("serves every stylesheet and icon the page links to", async () => {
    const links = [...html.matchAll(/<link\b[^>]*\bhref="([^"]*)"/g)].map((match) => match[1]!);
    expect(links.length).toBeGreaterThan(0);
    for (const link of links) expect((await server.fetch(link)).status, link).toBe(200);
  });
});
