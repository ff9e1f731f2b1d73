import type { Route } from "../http/route.ts";
import { errorSchema, idempotencyKeyDescription } from "./document.ts";
import { convert, swagger2Schema, type Schema } from "./swagger2-schema.ts";

/** One action of the Power Automate connector: a route of the table, named for the designer. */
export interface ConnectorAction {
  /** The route, as "method path". */
  route: string;
  operationId: string;
  summary: string;
  /** What the action does, when the route's own summary speaks of fields the action omits. */
  description?: string;
  /** Body fields the designer shows at once; the others sit under "Show advanced options". */
  important?: string[];
  /** Body fields a flow cannot use (a connector cannot read a server-sent event stream). */
  omit?: string[];
  /** "important" lists the action first in the designer; "advanced" hides it under "more". */
  visibility?: "important" | "advanced";
}

export const connectorActions: readonly ConnectorAction[] = [
  {
    route: "post /api/v1/completions",
    operationId: "Complete",
    summary: "Ask a model",
    description: "Complete a prompt or a conversation; the whole answer comes at once",
    important: ["prompt", "system", "model", "temperature"],
    omit: ["stream"],
    visibility: "important",
  },
  {
    route: "post /api/v1/batch",
    operationId: "CompleteBatch",
    summary: "Ask many prompts at once",
    important: ["items"],
    visibility: "important",
  },
  {
    route: "post /api/v1/jobs",
    operationId: "StartJob",
    summary: "Start answering many prompts (a job)",
    description:
      "Start a batch as a job and get its id at once; the job goes on whatever the flow does. " +
      "Give an idempotency key so that a retry gets the same job instead of paying again",
    important: ["items"],
    visibility: "important",
  },
  {
    route: "get /api/v1/jobs/:id",
    operationId: "GetJob",
    summary: "Get a job's results",
    description: "A job's state and its results so far (from the after-th on)",
    visibility: "important",
  },
  {
    route: "post /api/v1/webhook",
    operationId: "RouteText",
    summary: "Answer a text, or put the event it describes in Google Calendar",
    important: ["text", "timezone", "dryRun"],
  },
  {
    route: "get /api/v1/templates",
    operationId: "ListTemplates",
    summary: "List my prompt templates",
  },
  { route: "get /api/v1/usage", operationId: "GetUsage", summary: "Get my usage and cost" },
  {
    route: "get /api/v1/models",
    operationId: "ListModels",
    summary: "List the models",
    visibility: "advanced",
  },
];

/** The designer lists the deployment's models for every `model` field. */
const modelChoices = {
  operationId: "ListModels",
  "value-collection": "models",
  "value-path": "id",
  "value-title": "id",
};

const acronyms: Record<string, string> = { html: "HTML", id: "ID", json: "JSON", usd: "USD" };

/** "maxTokens" → "Max tokens", "costUsd" → "Cost USD": the label the designer shows for a field. */
function label(name: string): string {
  const words = name
    .replace(/([a-z])([A-Z])/g, "$1 $2")
    .toLowerCase()
    .split(" ")
    .map((word) => acronyms[word] ?? word)
    .join(" ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** Labels every property; in a request, the designer also lists the models for `model`. */
function decorate(schema: Schema, request: boolean): Schema {
  const properties = schema.properties as Record<string, Schema> | undefined;
  const items = schema.items as Schema | undefined;
  return {
    ...schema,
    ...(properties
      ? {
          properties: Object.fromEntries(
            Object.entries(properties).map(([name, property]) => [
              name,
              {
                ...decorate(property, request),
                "x-ms-summary": label(name),
                ...(request && name === "model" && property.type === "string"
                  ? { "x-ms-dynamic-values": modelChoices }
                  : {}),
              },
            ]),
          ),
        }
      : {}),
    ...(items ? { items: decorate(items, request) } : {}),
  };
}

/** The request body as the designer shows it: without omitted fields, important ones first. */
function requestBody(schema: Schema, operation: ConnectorAction): Schema {
  const fields = schema.properties as Record<string, Schema>;
  for (const name of [...(operation.important ?? []), ...(operation.omit ?? [])])
    if (!(name in fields)) throw new Error(`${operation.operationId} names no field ${name}`);
  const kept = (name: string) => !operation.omit?.includes(name);
  const properties = Object.entries(fields)
    .filter(([name]) => kept(name))
    .map(([name, property]) => [
      name,
      {
        ...property,
        "x-ms-visibility": operation.important?.includes(name) ? "important" : "advanced",
      },
    ]);
  const required = ((schema.required ?? []) as string[]).filter(kept);
  const { required: _required, ...rest } = schema;
  return {
    ...rest,
    properties: Object.fromEntries(properties),
    ...(required.length > 0 ? { required } : {}),
  };
}

/** The route's query parameters: Swagger 2.0 gives their types inline, not as a schema. */
function queryParameters(route: Route) {
  if (!route.query) return [];
  const query = swagger2Schema(route.query, "input");
  const required = (query.required ?? []) as string[];
  return Object.entries((query.properties ?? {}) as Record<string, Schema>).map(
    ([name, schema]) => ({
      name,
      in: "query",
      required: required.includes(name),
      "x-ms-summary": label(name),
      ...schema,
    }),
  );
}

/** The route's path parameters (`:id` → `{id}`), each a required string. */
function pathParameters(route: Route) {
  return [...route.path.matchAll(/:(\w+)/g)].map(([, name]) => ({
    name,
    in: "path",
    required: true,
    type: "string",
    "x-ms-summary": label(name!),
  }));
}

function headerParameters(route: Route) {
  if (!route.idempotencyKey) return [];
  return [
    {
      name: "Idempotency-Key",
      in: "header",
      required: false,
      type: "string",
      "x-ms-summary": "Idempotency key",
      description: idempotencyKeyDescription,
    },
  ];
}

function parameters(route: Route, operation: ConnectorAction) {
  const body = route.body
    ? [
        {
          name: "body",
          in: "body",
          required: true,
          schema: requestBody(decorate(swagger2Schema(route.body, "input"), true), operation),
        },
      ]
    : [];
  return [...pathParameters(route), ...headerParameters(route), ...queryParameters(route), ...body];
}

function findRoute(routes: readonly Route[], key: string): Route {
  const route = routes.find((candidate) => `${candidate.method} ${candidate.path}` === key);
  if (!route) throw new Error(`the connector names a route the app does not have: ${key}`);
  return route;
}

/**
 * The Swagger 2.0 document of OfficeLLM's Power Automate custom connector, for the deployment at
 * `publicUrl`: the operations above, generated from the route table and its zod schemas like the
 * OpenAPI document. The token travels in `Authorization`; the connector's apiProperties.json adds
 * the `Bearer ` in front of it, so users paste only the token.
 */
export function connectorDocument(
  routes: readonly Route[],
  info: { version: string; publicUrl: string },
  operations: readonly ConnectorAction[] = connectorActions,
) {
  const url = new URL(info.publicUrl);
  const site = info.publicUrl.replace(/\/+$/, "");
  const paths: Record<string, Record<string, unknown>> = {};
  for (const operation of operations) {
    const route = findRoute(routes, operation.route);
    const path = route.path.replace(/:(\w+)/g, "{$1}");
    paths[path] = {
      ...paths[path],
      [route.method]: {
        operationId: operation.operationId,
        summary: operation.summary,
        description: operation.description ?? route.summary,
        ...(operation.visibility ? { "x-ms-visibility": operation.visibility } : {}),
        parameters: parameters(route, operation),
        responses: {
          [String(route.successStatus ?? 200)]: {
            description: "Success",
            ...(route.response
              ? { schema: decorate(swagger2Schema(route.response, "output"), false) }
              : {}),
          },
          default: { description: "Error", schema: { $ref: "#/definitions/Error" } },
        },
      },
    };
  }
  return {
    swagger: "2.0",
    info: {
      title: "OfficeLLM",
      description:
        "Models and Google Calendar through your organisation's OfficeLLM backend: ask a model, " +
        "answer many prompts in one step, turn text into calendar events, read usage and cost.",
      version: info.version,
      contact: { name: `OfficeLLM at ${url.host}`, url: `${site}/docs` },
    },
    host: url.host,
    basePath: url.pathname.replace(/\/+$/, "") || "/",
    schemes: [url.protocol.slice(0, -1)],
    consumes: ["application/json"],
    produces: ["application/json"],
    securityDefinitions: {
      api_key: {
        type: "apiKey",
        in: "header",
        name: "Authorization",
        description: "Your OfficeLLM token (ollm_…), without a Bearer prefix",
      },
    },
    security: [{ api_key: [] }],
    definitions: { Error: convert(errorSchema, "output") },
    paths,
    "x-ms-connector-metadata": [
      { propertyName: "Website", propertyValue: info.publicUrl },
      // The deployment's reference page says what a call sends and what the backend keeps.
      { propertyName: "Privacy policy", propertyValue: `${site}/docs` },
      { propertyName: "Categories", propertyValue: "AI;Productivity" },
    ],
  };
}
