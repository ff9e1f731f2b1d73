import { z } from "zod";
import { errorStatuses } from "../errors.ts";
import type { Route } from "../http/route.ts";

type JsonSchema = Record<string, unknown>;

/** JSON Schema (draft 2020-12, as OpenAPI 3.1 uses) of what a client sends or receives. */
export function jsonSchema(schema: z.ZodType, io: "input" | "output"): JsonSchema {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, {
    io,
    unrepresentable: "any",
  }) as JsonSchema;
  return rest;
}

export const errorSchema: JsonSchema = {
  type: "object",
  required: ["error"],
  properties: {
    error: {
      type: "object",
      required: ["code", "message", "requestId"],
      properties: {
        code: { type: "string", enum: Object.keys(errorStatuses) },
        message: { type: "string" },
        requestId: { type: "string" },
        details: {
          type: "array",
          items: {
            type: "object",
            properties: { path: { type: "string" }, message: { type: "string" } },
          },
        },
      },
    },
  },
};

const errorResponse = (description: string) => ({
  description,
  content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
});

function queryParameters(route: Route) {
  if (!route.query) return [];
  const schema = jsonSchema(route.query, "input");
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((schema.required ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => ({
    name,
    in: "query",
    required: required.has(name),
    schema: property,
    ...(typeof property.description === "string" ? { description: property.description } : {}),
  }));
}

function pathParameters(path: string) {
  return [...path.matchAll(/:(\w+)/g)].map((match) => ({
    name: match[1],
    in: "path",
    required: true,
    schema: { type: "string" },
  }));
}

/** What the `Idempotency-Key` header does, for both API documents. */
export const idempotencyKeyDescription =
  "Your key for this request (a UUID, say; 1 to 200 visible ASCII characters): sent again with " +
  "the same body, by the same token, it gets the same job instead of calling the models again";

function headerParameters(route: Route) {
  if (!route.idempotencyKey) return [];
  return [
    {
      name: "Idempotency-Key",
      in: "header",
      required: false,
      schema: { type: "string", minLength: 1, maxLength: 200 },
      description: idempotencyKeyDescription,
    },
  ];
}

function operation(route: Route) {
  const responses: Record<string, unknown> = {
    [String(route.successStatus ?? 200)]: {
      description: "Success",
      ...(route.response
        ? { content: { "application/json": { schema: jsonSchema(route.response, "output") } } }
        : {}),
    },
  };
  if (route.body || route.upload || route.query)
    responses["400"] = errorResponse("Invalid request");
  if (route.access !== "public") {
    responses["401"] = errorResponse("Missing, unknown, expired or revoked token");
    if (route.access !== "token")
      responses["403"] = errorResponse(`The token lacks the '${route.access}' scope`);
    responses["429"] = errorResponse("Rate limited; see Retry-After");
  }
  responses["500"] = errorResponse("Internal error");
  return {
    operationId: `${route.method}${route.path.replace(/[^A-Za-z0-9]+(\w)?/g, (_m, c: string | undefined) => (c ?? "").toUpperCase())}`,
    summary: route.summary,
    ...(route.description ? { description: route.description } : {}),
    tags: [route.tag],
    ...(route.access === "public" ? { security: [] } : {}),
    parameters: [
      ...pathParameters(route.path),
      ...headerParameters(route),
      ...queryParameters(route),
    ],
    ...(route.body
      ? {
          requestBody: {
            required: true,
            content: { "application/json": { schema: jsonSchema(route.body, "input") } },
          },
        }
      : {}),
    ...(route.upload
      ? {
          requestBody: {
            required: true,
            content: {
              "multipart/form-data": {
                schema: {
                  type: "object",
                  properties: {
                    [route.upload.field]: {
                      type: "string",
                      format: "binary",
                      description: route.upload.description,
                    },
                  },
                  required: [route.upload.field],
                },
              },
            },
          },
        }
      : {}),
    responses,
  };
}

/** The OpenAPI 3.1 document, generated from the route table and its zod schemas. */
export function openApiDocument(
  routes: readonly Route[],
  info: { version: string; serverUrl: string },
) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const path = route.path.replace(/:(\w+)/g, "{$1}");
    paths[path] = { ...paths[path], [route.method]: operation(route) };
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "OfficeLLM API",
      version: info.version,
      description:
        "Models and Google Calendar for Excel, through your organisation's OfficeLLM backend. " +
        'Authenticate with `Authorization: Bearer ollm_…`; every error is `{"error":{"code","message","requestId"}}`.',
    },
    servers: [{ url: info.serverUrl }],
    security: [{ bearer: [] }],
    components: {
      securitySchemes: {
        bearer: { type: "http", scheme: "bearer", description: "An OfficeLLM token (ollm_…)" },
      },
      schemas: { Error: errorSchema },
    },
    paths,
  };
}
