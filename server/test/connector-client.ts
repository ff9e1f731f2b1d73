/**
 * Calls a test server as the Power Automate custom connector does: an action by its operationId,
 * at the path and method the served Swagger 2.0 document gives it, with the Authorization header
 * that power-automate/apiProperties.json's policy builds from the connection's token. Requests and
 * answers are held to the schemas the document declares.
 */
import { readFileSync } from "node:fs";
import AjvDraft04 from "ajv-draft-04";
import { expect } from "vitest";
import type { Schema } from "../openapi/swagger2-schema.ts";
import type { TestServer } from "./harness.ts";

export interface ConnectorParameter {
  name: string;
  in: string;
  required: boolean;
  schema?: Schema;
  "x-ms-summary"?: string;
}

export interface ConnectorOperation {
  operationId: string;
  summary: string;
  description: string;
  parameters: ConnectorParameter[];
  responses: Record<string, { description: string; schema?: Schema }>;
}

export interface ConnectorDocument {
  swagger: string;
  info: { title: string; description: string; version: string; contact?: Record<string, string> };
  host: string;
  basePath: string;
  schemes: string[];
  securityDefinitions: Record<string, { type: string; in: string; name: string }>;
  security: Record<string, unknown[]>[];
  definitions: Record<string, Schema>;
  paths: Record<string, Record<string, ConnectorOperation>>;
  "x-ms-connector-metadata"?: { propertyName: string; propertyValue: string }[];
}

export const apiProperties = JSON.parse(
  readFileSync(new URL("../../power-automate/apiProperties.json", import.meta.url), "utf8"),
) as {
  properties: {
    capabilities: string[];
    connectionParameters: Record<string, { type: string }>;
    policyTemplateInstances: { templateId: string; parameters: Record<string, string> }[];
  };
};

/** Reads `x-nullable` as JSON Schema does, so a validator holds answers to what they declare. */
function withNulls(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(withNulls);
  if (typeof schema !== "object" || schema === null) return schema;
  const out = Object.fromEntries(
    Object.entries(schema).map(([key, value]) => [key, withNulls(value)]),
  );
  if (out["x-nullable"] === true && typeof out.type === "string") out.type = [out.type, "null"];
  return out;
}

// Swagger 2.0 schemas are JSON Schema draft 4 (a boolean exclusiveMinimum, for one).
const ajv = new AjvDraft04.default({ allErrors: true });
ajv.addVocabulary(["x-ms-summary", "x-ms-visibility", "x-ms-dynamic-values", "x-nullable"]);

function expectValid(schema: Schema, value: unknown, label: string) {
  const validate = ajv.compile(withNulls(schema) as Schema);
  expect(validate(value), `${label}: ${ajv.errorsText(validate.errors)}`).toBe(true);
}

/** Where an action's parameters go: its path, headers, query and body. */
export interface CallInput {
  path?: Record<string, string>;
  headers?: Record<string, string>;
  query?: Record<string, string>;
  body?: unknown;
}

export class ConnectorClient {
  readonly document: ConnectorDocument;
  readonly #server: TestServer;
  readonly #token: string;

  private constructor(server: TestServer, token: string, document: ConnectorDocument) {
    this.#server = server;
    this.#token = token;
    this.document = document;
  }

  /** Fetches the server's connector document, as importing the connector does. */
  static async open(server: TestServer, token: string): Promise<ConnectorClient> {
    const response = await server.fetch("/api/v1/connector/swagger.json");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    return new ConnectorClient(server, token, (await response.json()) as ConnectorDocument);
  }

  operations(): { method: string; path: string; spec: ConnectorOperation }[] {
    return Object.entries(this.document.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, spec]) => ({ method, path, spec })),
    );
  }

  operation(operationId: string): { method: string; path: string; spec: ConnectorOperation } {
    const found = this.operations().find(({ spec }) => spec.operationId === operationId);
    if (!found) throw new Error(`the connector has no action ${operationId}`);
    return found;
  }

  /** The schema of an action's request body. */
  bodySchema(operationId: string): Schema {
    const body = this.operation(operationId).spec.parameters.find((p) => p.in === "body");
    if (!body?.schema) throw new Error(`${operationId} takes no body`);
    return body.schema;
  }

  /**
   * Calls an action with a flow's parameters, by name, each sent where the document declares it
   * (path, header, query or body); a parameter it does not declare is an error.
   */
  callAction(
    operationId: string,
    parameters: Record<string, unknown>,
  ): Promise<{ status: number; json: Record<string, unknown> }> {
    const declared = this.operation(operationId).spec.parameters;
    const input = { path: {}, headers: {}, query: {} } as Required<
      Pick<CallInput, "path" | "headers" | "query">
    > &
      CallInput;
    for (const [name, value] of Object.entries(parameters)) {
      const parameter = declared.find((candidate) => candidate.name === name);
      if (!parameter) throw new Error(`${operationId} has no parameter ${name}`);
      if (parameter.in === "body") input.body = value;
      else if (parameter.in === "path") input.path[name] = String(value);
      else if (parameter.in === "header") input.headers[name] = String(value);
      else input.query[name] = String(value);
    }
    return this.call(operationId, input);
  }

  async call(
    operationId: string,
    input: CallInput = {},
  ): Promise<{ status: number; json: Record<string, unknown> }> {
    const { method, path: template, spec } = this.operation(operationId);
    const path = template.replace(/\{(\w+)\}/g, (_whole, name: string) => {
      const value = input.path?.[name];
      if (value === undefined) throw new Error(`${operationId} needs its ${name}`);
      return encodeURIComponent(value);
    });
    const policy = apiProperties.properties.policyTemplateInstances.find(
      (instance) => instance.templateId === "setheader",
    )!.parameters;
    const headers: Record<string, string> = {
      ...input.headers,
      [policy["x-ms-apimTemplateParameter.name"]!]: policy[
        "x-ms-apimTemplateParameter.value"
      ]!.replace("@connectionParameters('api_key')", this.#token),
    };
    if (input.body !== undefined) {
      expectValid(this.bodySchema(operationId), input.body, `${operationId} request`);
      headers["content-type"] = "application/json";
    }
    const query = new URLSearchParams(input.query).toString();
    const response = await fetch(`${this.#server.url}${path}${query ? `?${query}` : ""}`, {
      method: method.toUpperCase(),
      headers,
      ...(input.body !== undefined ? { body: JSON.stringify(input.body) } : {}),
    });
    const json = (await response.json()) as Record<string, unknown>;
    const declared = spec.responses[String(response.status)];
    expectValid(
      declared?.schema ?? this.document.definitions.Error!,
      json,
      `${operationId} ${response.status}`,
    );
    return { status: response.status, json };
  }
}
