import SwaggerParser from "@apidevtools/swagger-parser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  apiProperties,
  ConnectorClient,
  type ConnectorDocument,
} from "../test/connector-client.ts";
import { startTestServer, type TestServer } from "../test/harness.ts";
import { connectorDocument, connectorActions } from "./connector.ts";
import type { Schema } from "./swagger2-schema.ts";

let server: TestServer;
let connector: ConnectorClient;
let document: ConnectorDocument;
let token: string;

beforeAll(async () => {
  server = await startTestServer({ env: { PUBLIC_URL: "https://officellm.example.com" } });
  token = (await server.token({ scopes: ["llm", "calendar"] })).token;
  connector = await ConnectorClient.open(server, token);
  document = connector.document;
});
afterAll(() => server.close());

const callAsConnector = (...args: Parameters<ConnectorClient["call"]>) => connector.call(...args);

describe("GET /api/v1/connector/swagger.json", () => {
  it("is a valid Swagger 2.0 document for this deployment, without auth", async () => {
    await expect(SwaggerParser.validate(structuredClone(document) as never)).resolves.toBeDefined();
    expect(document.swagger).toBe("2.0");
    expect(document.host).toBe("officellm.example.com");
    expect(document.basePath).toBe("/");
    expect(document.schemes).toEqual(["https"]);
  });

  it("keeps a path prefix of PUBLIC_URL as its base path", async () => {
    const prefixed = await startTestServer({
      env: { PUBLIC_URL: "https://tools.example.com/officellm/" },
    });
    try {
      const served = (await (
        await prefixed.fetch("/api/v1/connector/swagger.json")
      ).json()) as ConnectorDocument;
      expect(served.host).toBe("tools.example.com");
      expect(served.basePath).toBe("/officellm");
    } finally {
      await prefixed.close();
    }
  });

  it("offers each connector action once, named and described for the designer", () => {
    const all = connector.operations();
    expect(all.map(({ spec }) => spec.operationId).sort()).toEqual(
      connectorActions.map((entry) => entry.operationId).sort(),
    );
    for (const { method, path, spec } of all) {
      expect(`${method} ${path}`).toBe(
        connectorActions
          .find((entry) => entry.operationId === spec.operationId)!
          .route.replace(/:(\w+)/g, "{$1}"),
      );
      expect(spec.summary.length, spec.operationId).toBeGreaterThan(0);
      expect(spec.description.length, spec.operationId).toBeGreaterThan(0);
      expect(spec.responses.default).toMatchObject({ schema: { $ref: "#/definitions/Error" } });
    }
  });

  it("labels every field of every request and answer for the designer", () => {
    const unlabelled: string[] = [];
    const walk = (schema: Schema, at: string) => {
      for (const [name, property] of Object.entries(
        (schema.properties ?? {}) as Record<string, Schema>,
      )) {
        if (typeof property["x-ms-summary"] !== "string") unlabelled.push(`${at}.${name}`);
        walk(property, `${at}.${name}`);
      }
      if (schema.items) walk(schema.items as Schema, `${at}[]`);
    };
    for (const { spec } of connector.operations()) {
      for (const parameter of spec.parameters) {
        if (parameter.schema) walk(parameter.schema, `${spec.operationId} ${parameter.name}`);
        else if (!parameter["x-ms-summary"])
          unlabelled.push(`${spec.operationId} ${parameter.name}`);
      }
      for (const [status, response] of Object.entries(spec.responses))
        if (response.schema) walk(response.schema, `${spec.operationId} ${status}`);
    }
    expect(unlabelled).toEqual([]);
  });

  it("gives every field a type the designer reads", () => {
    const untyped: string[] = [];
    const walk = (schema: Schema, at: string) => {
      if (typeof schema.type !== "string") untyped.push(at);
      for (const [name, property] of Object.entries(
        (schema.properties ?? {}) as Record<string, Schema>,
      ))
        walk(property, `${at}.${name}`);
      if (schema.items) walk(schema.items as Schema, `${at}[]`);
      if (typeof schema.additionalProperties === "object")
        walk(schema.additionalProperties as Schema, `${at}{}`);
    };
    for (const { spec } of connector.operations()) {
      for (const parameter of spec.parameters)
        walk(
          parameter.schema ?? (parameter as unknown as Schema),
          `${spec.operationId} ${parameter.name}`,
        );
      for (const [status, response] of Object.entries(spec.responses))
        if (response.schema && !response.schema.$ref)
          walk(response.schema, `${spec.operationId} ${status}`);
    }
    for (const [name, schema] of Object.entries(document.definitions)) walk(schema, name);
    expect(untyped).toEqual([]);
    const complete = connector.bodySchema("Complete").properties as Record<string, Schema>;
    expect(complete.stop).toMatchObject({ type: "array", items: { type: "string" } });
  });

  it("describes each action by the fields it has", () => {
    for (const { spec } of connector.operations()) {
      const body = spec.parameters.find((parameter) => parameter.in === "body")?.schema;
      const fields = Object.keys((body?.properties ?? {}) as Record<string, Schema>);
      const named = [...spec.description.matchAll(/`(\w+)[^`]*`/g)].map((match) => match[1]);
      for (const name of named) expect(fields, `${spec.operationId}: ${name}`).toContain(name);
    }
  });

  it("names the deployment's website, privacy policy and contact", () => {
    expect(document["x-ms-connector-metadata"]).toEqual([
      { propertyName: "Website", propertyValue: "https://officellm.example.com" },
      { propertyName: "Privacy policy", propertyValue: "https://officellm.example.com/docs" },
      { propertyName: "Categories", propertyValue: "AI;Productivity" },
    ]);
    expect(document.info.contact).toEqual({
      name: "OfficeLLM at officellm.example.com",
      url: "https://officellm.example.com/docs",
    });
  });

  it("lets a connection go through an on-premises data gateway", () => {
    expect(apiProperties.properties.capabilities).toContain("gateway");
  });

  it("refuses an action that names a field its route does not have", () => {
    const action = { ...connectorActions[0]!, important: ["promt"] };
    expect(() =>
      connectorDocument(
        server.app.routeTable,
        { version: "1.0.0", publicUrl: "https://officellm.example.com" },
        [action],
      ),
    ).toThrow(/names no field promt/);
  });

  it("shows a request's important fields first", () => {
    const fields = connector.bodySchema("Complete").properties as Record<string, Schema>;
    expect(fields.prompt).toMatchObject({
      "x-ms-summary": "Prompt",
      "x-ms-visibility": "important",
    });
    expect(fields.maxTokens).toMatchObject({
      "x-ms-summary": "Max tokens",
      "x-ms-visibility": "advanced",
    });
    expect(fields.stream, "a connector cannot read an event stream").toBeUndefined();
    const usage = connector.operation("GetUsage").spec.parameters;
    expect(usage.map((p) => [p.name, p.in, p.required, p["x-ms-summary"]])).toEqual([
      ["from", "query", false, "From"],
      ["to", "query", false, "To"],
    ]);
  });

  it("is the document committed in power-automate/ for the example deployment", async () => {
    await expect(`${JSON.stringify(document, null, 2)}\n`).toMatchFileSnapshot(
      "../../power-automate/apiDefinition.swagger.json",
    );
  });
});

describe("a deployment whose PUBLIC_URL the connector must not point at", () => {
  it.each([
    ["http://officellm.example.com", /is not https:\/\//],
    ["https://127.0.0.1:8443", /is a loopback address/],
    ["https://localhost", /is a loopback address/],
  ])("refuses to serve the definition for %s, naming PUBLIC_URL", async (publicUrl, reason) => {
    const refusing = await startTestServer({ env: { PUBLIC_URL: publicUrl } });
    try {
      const response = await refusing.fetch("/api/v1/connector/swagger.json");
      expect(response.status).toBe(409);
      const { error } = (await response.json()) as { error: { code: string; message: string } };
      expect(error.code).toBe("conflict");
      expect(error.message).toMatch(reason);
      expect(error.message).toMatch(/PUBLIC_URL.*CONNECTOR_ALLOW_INSECURE=true/);
    } finally {
      await refusing.close();
    }
  });

  it("serves it when CONNECTOR_ALLOW_INSECURE is true", async () => {
    const allowing = await startTestServer({
      env: { PUBLIC_URL: "http://officellm.corp.internal:8080", CONNECTOR_ALLOW_INSECURE: "true" },
    });
    try {
      const response = await allowing.fetch("/api/v1/connector/swagger.json");
      expect(response.status).toBe(200);
      const served = (await response.json()) as ConnectorDocument;
      expect([served.host, served.schemes]).toEqual(["officellm.corp.internal:8080", ["http"]]);
    } finally {
      await allowing.close();
    }
  });
});

describe("the connector's actions, called as Power Automate calls them", () => {
  it("sends the token the connection holds as a bearer token", () => {
    const [scheme] = Object.entries(document.securityDefinitions);
    expect(scheme![1]).toMatchObject({ type: "apiKey", in: "header", name: "Authorization" });
    expect(apiProperties.properties.connectionParameters[scheme![0]]?.type).toBe("securestring");
    expect(document.security).toEqual([{ [scheme![0]]: [] }]);
  });

  it("Complete answers a prompt", async () => {
    const { status, json } = await callAsConnector("Complete", {
      body: { prompt: "Name a colour", temperature: 0 },
    });
    expect(status).toBe(200);
    expect(json.text).toMatch(/^\[demo\]/);
    expect(json.provider).toBe("demo");
  });

  it("CompleteBatch answers every item, each on its own", async () => {
    const { status, json } = await callAsConnector("CompleteBatch", {
      body: {
        items: [
          { id: "7", prompt: "First row" },
          { id: "8", templateId: "no-such-template" },
        ],
      },
    });
    expect(status).toBe(200);
    const results = json.results as { id: string; ok: boolean; text?: string; error?: unknown }[];
    expect(results.map((result) => [result.id, result.ok])).toEqual([
      ["7", true],
      ["8", false],
    ]);
    expect(results[0]!.text).toMatch(/^\[demo\]/);
    expect(results[1]!.error).toMatchObject({ code: "not_found" });
  });

  it("RouteText answers a question as a completion", async () => {
    const { status, json } = await callAsConnector("RouteText", {
      body: { text: "What is the capital of France?" },
    });
    expect(status).toBe(200);
    expect(json).toMatchObject({ route: "completion", decidedBy: "rules" });
  });

  it("ListModels gives the values the model drop-downs are filled from", async () => {
    const { status, json } = await callAsConnector("ListModels");
    expect(status).toBe(200);
    const model = (connector.bodySchema("Complete").properties as Record<string, Schema>).model!;
    const choices = model["x-ms-dynamic-values"] as Record<string, string>;
    expect(choices.operationId).toBe("ListModels");
    const values = (json[choices["value-collection"]!] as Record<string, unknown>[]).map(
      (entry) => entry[choices["value-path"]!],
    );
    expect(values).toContain("demo");
  });

  it("ListTemplates and GetUsage read the caller's own data", async () => {
    await server.fetch("/api/v1/templates", {
      method: "POST",
      token,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "Tone", body: "Rewrite politely: {{text}}" }),
    });
    const templates = await callAsConnector("ListTemplates");
    expect(templates.status).toBe(200);
    expect(JSON.stringify(templates.json)).toContain("Rewrite politely: {{text}}");

    const usage = await callAsConnector("GetUsage", { query: { from: "2026-11-01" } });
    expect(usage.status).toBe(200);
    expect(usage.json.from).toBe("2026-11-01");
  });

  it("answers bad input with the error envelope the document declares", async () => {
    const { status, json } = await callAsConnector("GetUsage", { query: { from: "yesterday" } });
    expect(status).toBe(400);
    expect(json).toMatchObject({ error: { code: "invalid_request" } });
  });
});
