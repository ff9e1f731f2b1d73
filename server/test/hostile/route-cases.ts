/**
 * Hostile requests for one route of the app's table, built from what the table says about it:
 * its method, its path and parameters, who may call it, and the JSON Schemas of its body and
 * query. `sweepCases` gives every field, parameter, header, method and token its fixed list of
 * hostile forms; `randomCase` mixes them at random, several at once, for fast-check.
 */
import fc from "fast-check";
import type { Route } from "../../http/route.ts";
import { jsonSchema } from "../../openapi/document.ts";
import {
  type BodyCase,
  type Encoding,
  type Framing,
  type HostileCase,
  type TokenKind,
  brokenMethods,
  framings,
  tokenKinds,
} from "./hostile-case.ts";
import { extremeValues, hostileValue } from "./hostile-values.ts";
import { fromJson, type JsonNode } from "./json-text.ts";
import { fieldsOf, validValue, withValueAt, type Hints, type JsonSchema } from "./schema-values.ts";

/** What a target knows that makes requests reach deep: real ids and good values by name. */
export interface RouteContext {
  hints: Hints;
  /** A typical real body, by route label ("POST /api/v1/completions"), where one is known. */
  typical: Record<string, unknown>;
  /** Existing ids for a path parameter, by its name. */
  ids: Record<string, string[]>;
}

/** A route of the table, with what its cases are made from. */
export interface RouteShape {
  label: string;
  route: Route;
  params: string[];
  body: JsonSchema | undefined;
  query: JsonSchema | undefined;
}

export function routeShape(route: Route): RouteShape {
  return {
    label: `${route.method.toUpperCase()} ${route.path}`,
    route,
    params: [...route.path.matchAll(/:(\w+)/g)].map((match) => match[1]!),
    body: route.body ? jsonSchema(route.body, "input") : undefined,
    query: route.query ? jsonSchema(route.query, "input") : undefined,
  };
}

/** Path parameters that escape their segment, decode badly or are absurdly long. */
export const hostileIds = [
  "%ff",
  "%",
  "%zz",
  "%e0%a4%a",
  "%ED%A0%80",
  "%c0%af",
  "%00",
  "a%00b",
  "%2e%2e",
  "%2e%2e%2f",
  "..%2f..%2f..%2fetc%2fpasswd",
  "%2e%2e%2f%2e%2e%2fapi%2fv1%2fme",
  "..",
  ".",
  "%2F",
  "%5C..%5C",
  "%252e%252e%252f",
  "%u002e",
  "%F0%9F%98%80",
  "%0d%0aX-Injected:%201",
  "__proto__",
  "constructor",
  "toString",
  "a;b=c",
  "a+b%20c",
  `tok_${"A".repeat(10_000)}`,
  "%41".repeat(4000),
];

/** Query strings a parser, a validator or a cache key may trip on. */
export const hostileQueries = [
  "%ff",
  "limit=%ff",
  "limit=1&limit=2",
  "limit[]=1",
  "limit=-1",
  "limit=1e400",
  "limit=0x10",
  `limit=${"9".repeat(400)}`,
  "from=2026-02-30&to=0000-00-00",
  "from=9999-99-99",
  "__proto__=x&constructor=y&prototype=z",
  "__proto__[polluted]=1",
  "calendarId=%00&maxResults=NaN",
  "state=%ff&code=%00",
  `x=${"a".repeat(8000)}`,
  "=&&=x&",
  "timezone=Mars%2FOlympus",
];

export const contentTypes = [
  "application/json; charset=utf-16",
  "application/json; charset=iso-8859-1",
  "application/json; charset=bogus",
  "APPLICATION/JSON",
  "application/merge-patch+json",
  "application/x-www-form-urlencoded",
  "text/plain",
  "application/json, text/html",
  "",
  `application/json; ${"a=b; ".repeat(500)}`,
];

export const encodings: Encoding[] = [
  ...[
    "gzip",
    "deflate",
    "br",
    "x-gzip",
    "GZIP",
    "gzip, deflate",
    "compress",
    "zstd",
    "identity",
  ].map((name): Encoding => ({ name, body: "lie" })),
  ...["gzip", "br"].map((name): Encoding => ({ name, body: "encoded" })),
  { name: "gzip", body: "bomb" },
];

export const methods = {
  standard: ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"],
  exotic: ["TRACE", "PROPFIND", "SEARCH", "PURGE", "MKCOL"],
  broken: [...brokenMethods],
};

/** Other headers, each alone harmless-looking. */
export const oddHeaders: [string, string][] = [
  ["Expect", "100-continue"],
  ["Expect", "nonsense"],
  ["Accept-Encoding", "gzip"],
  ["Accept-Encoding", "br;q=1, *;q=0"],
  ["Accept", "text/event-stream"],
  ["X-Request-Id", "../../etc/passwd"],
  ["X-Request-Id", "x".repeat(2000)],
  ["X-Request-Id", "\u00e9\u00ff"],
  ["X-Forwarded-For", "127.0.0.1, 10.0.0.1"],
  ["Origin", "https://evil.example"],
  ["Cookie", `session=${"c".repeat(20_000)}`],
  ["Range", "bytes=0-1,2-3"],
  ["If-None-Match", "*"],
];

export const invalidJsonTexts = [
  "",
  "{",
  "}",
  '{"a":}',
  "[1,]",
  "{'a':1}",
  "nul",
  "\ufeff{}",
  "{}garbage",
  "/* comment */ {}",
  "NaN",
  "null",
  "[]",
  "1",
  '"text"',
  "true",
  '{"a":1}{"b":2}',
  '{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}',
];

const pathOf = (shape: RouteShape, values: Record<string, string>) =>
  shape.route.path.replace(/:(\w+)/g, (_match, name: string) => values[name] ?? "x");

function baseCase(shape: RouteShape, body: BodyCase): HostileCase {
  return {
    route: shape.label,
    note: "",
    method: shape.route.method.toUpperCase(),
    target: pathOf(shape, {}),
    token: "valid",
    contentType: "application/json",
    encoding: undefined,
    framing: "exact",
    headers: [],
    body,
  };
}

/** The route's typical body, else one its schema accepts (fast-check's value for seed 1). */
function validBody(shape: RouteShape, context: RouteContext): BodyCase {
  if (!shape.body) return { kind: "none" };
  const typical = context.typical[shape.label];
  if (typical !== undefined) return { kind: "json", node: fromJson(typical) };
  const [node] = fc.sample(validValue(shape.body, context.hints), { seed: 1, numRuns: 1 });
  return { kind: "json", node: node! };
}

/** The fixed list: each field, parameter, query, header, method and token in each hostile form. */
export function sweepCases(shape: RouteShape, context: RouteContext): HostileCase[] {
  const valid = validBody(shape, context);
  const base = baseCase(shape, valid);
  // Each parameter an existing id where one is known: only the hostile part is hostile.
  const validParams = Object.fromEntries(
    shape.params.map((name) => [name, context.ids[name]?.[0] ?? "x"]),
  );
  const validTarget = pathOf(shape, validParams);
  const cases: HostileCase[] = [];
  const add = (note: string, change: Partial<HostileCase>) =>
    cases.push({ ...base, target: validTarget, note, ...change });

  const root: JsonNode = valid.kind === "json" ? valid.node : { kind: "object", entries: [] };
  for (const field of shape.body ? fieldsOf(shape.body) : []) {
    for (const extreme of extremeValues) {
      const node = withValueAt(root, field.path, extreme.node, extreme.merge);
      add(`body.${field.path.join(".")} = ${extreme.label}`, { body: { kind: "json", node } });
    }
  }
  for (const extreme of extremeValues) {
    const node = withValueAt(root, [], extreme.node, extreme.merge);
    add(`the whole body is ${extreme.label}`, { body: { kind: "json", node } });
  }
  for (const text of invalidJsonTexts)
    add("the body is not a JSON object", { body: { kind: "text", text } });
  add("no body", { body: { kind: "none" } });

  for (const param of shape.params) {
    for (const id of hostileIds)
      add(`:${param} = ${id.slice(0, 40)}`, {
        target: pathOf(shape, { ...validParams, [param]: id }),
      });
  }
  for (const query of hostileQueries)
    add(`query ${query.slice(0, 40)}`, { target: `${validTarget}?${query}` });
  for (const suffix of ["/", "/..%2f..%2fpackage.json", "/%2e%2e/%2e%2e/etc/passwd", "%00", "//"])
    add(`path + ${suffix}`, { target: `${validTarget}${suffix}` });
  add("path in capitals", { target: validTarget.toUpperCase() });
  add("path with an empty segment", { target: `/${validTarget}` });

  // Every route's body is parsed, whatever its method: the header cases send one.
  const someBody: BodyCase =
    valid.kind === "json" ? valid : { kind: "json", node: fromJson({ x: 1 }) };
  const withBody = (note: string, change: Partial<HostileCase>) =>
    add(note, { body: someBody, ...change });
  for (const contentType of contentTypes)
    withBody(`Content-Type: ${contentType.slice(0, 40)}`, { contentType });
  for (const encoding of encodings)
    withBody(`Content-Encoding: ${encoding.name} (${encoding.body})`, { encoding });
  for (const framing of framings) withBody(`framing: ${framing}`, { framing });
  for (const header of oddHeaders)
    add(`${header[0]}: ${header[1].slice(0, 40)}`, { headers: [header] });
  for (const method of [...methods.standard, ...methods.exotic, ...methods.broken])
    add(`method ${method}`, { method });
  for (const token of tokenKinds) add(`token: ${token}`, { token });
  return cases;
}

const weighted = <T>(...entries: [number, fc.Arbitrary<T>][]) =>
  fc.oneof(...entries.map(([weight, arbitrary]) => ({ weight, arbitrary })));

function randomTarget(shape: RouteShape, context: RouteContext): fc.Arbitrary<string> {
  const param = (name: string) =>
    weighted<string>(
      [3, fc.constantFrom(...hostileIds)],
      [
        1,
        (context.ids[name]?.length ?? 0) > 0
          ? fc.constantFrom(...context.ids[name]!)
          : fc.constant("x"),
      ],
      [1, fc.string({ unit: "binary", maxLength: 30 }).map(encodeURIComponent)],
    );
  const values = fc.record(Object.fromEntries(shape.params.map((name) => [name, param(name)])));
  const query: fc.Arbitrary<string> = shape.query
    ? weighted<string>(
        [2, fc.constant("")],
        [2, validValue(shape.query, context.hints).map(queryString)],
        [3, fc.constantFrom(...hostileQueries).map((q) => `?${q}`)],
      )
    : weighted<string>(
        [6, fc.constant("")],
        [1, fc.constantFrom(...hostileQueries).map((q) => `?${q}`)],
      );
  const variant = weighted<(path: string) => string>(
    [8, fc.constant((path: string) => path)],
    [
      1,
      fc.constantFrom(
        (path: string) => `${path}/`,
        (path: string) => path.toUpperCase(),
        (path: string) => `/${path}`,
      ),
    ],
    [
      1,
      fc
        .constantFrom("/..%2f..%2fpackage.json", "%00", "/.", "/%2e%2e")
        .map((suffix) => (path: string) => `${path}${suffix}`),
    ],
  );
  return fc
    .tuple(values, variant, query)
    .map(([params, change, q]) => `${change(pathOf(shape, params))}${q}`);
}

/** A query string from a value of the query schema (its leaves as text). */
function queryString(node: JsonNode): string {
  if (node.kind !== "object" || node.entries.length === 0) return "";
  const text = (leaf: JsonNode) =>
    leaf.kind === "value" ? String(leaf.value) : JSON.stringify(leaf);
  return `?${node.entries.map(([key, leaf]) => `${encodeURIComponent(key)}=${encodeURIComponent(text(leaf))}`).join("&")}`;
}

interface DrawnBody {
  body: BodyCase;
  note: string;
}

/** Mostly a valid body with up to three fields made hostile; else a hostile body as a whole. */
function randomBody(shape: RouteShape, context: RouteContext): fc.Arbitrary<DrawnBody> {
  const whole = fc.oneof(
    fc
      .constantFrom(...invalidJsonTexts)
      .map((text): DrawnBody => ({ body: { kind: "text", text }, note: "not a JSON object" })),
    hostileValue.map(({ node }): DrawnBody => ({
      body: { kind: "json", node },
      note: "a hostile body",
    })),
  );
  if (!shape.body)
    return weighted<DrawnBody>(
      [6, fc.constant({ body: { kind: "none" }, note: "no body" })],
      [1, whole],
    );
  const paths = fieldsOf(shape.body).map((field) => field.path);
  const edit = fc.record({ path: fc.constantFrom([], ...paths), hostile: hostileValue });
  const typical = context.typical[shape.label];
  const valid =
    typical === undefined
      ? validValue(shape.body, context.hints)
      : fc.oneof(fc.constant(fromJson(typical)), validValue(shape.body, context.hints));
  const edited = fc
    .tuple(valid, fc.array(edit, { maxLength: 3 }))
    .map(([start, edits]): DrawnBody => ({
      body: {
        kind: "json",
        node: edits.reduce(
          (node, { path, hostile }) => withValueAt(node, path, hostile.node, hostile.merge),
          start,
        ),
      },
      note:
        edits.length === 0
          ? "a valid body"
          : edits.map(({ path }) => `body.${path.join(".")} hostile`).join(", "),
    }));
  return weighted<DrawnBody>([8, edited], [2, whole]);
}

/** A random hostile request for the route: several hostile parts at once, mostly with a valid token. */
export function randomCase(shape: RouteShape, context: RouteContext): fc.Arbitrary<HostileCase> {
  const own = shape.route.method.toUpperCase();
  return fc
    .record({
      method: weighted<string>(
        [12, fc.constant(own)],
        [1, fc.constantFrom(...methods.standard)],
        [1, fc.constantFrom(...methods.exotic, ...methods.broken)],
      ),
      target: randomTarget(shape, context),
      token: weighted<TokenKind>(
        [6, fc.constant("valid")],
        [2, fc.constant("route-scope")],
        [2, fc.constantFrom(...tokenKinds)],
      ),
      contentType: weighted<string | undefined>(
        [8, fc.constant("application/json")],
        [1, fc.constantFrom(undefined, ...contentTypes)],
      ),
      encoding: weighted<Encoding | undefined>(
        [8, fc.constant(undefined)],
        [2, fc.constantFrom(...encodings)],
      ),
      framing: weighted<Framing>([12, fc.constant("exact")], [2, fc.constantFrom(...framings)]),
      headers: weighted<[string, string][]>(
        [6, fc.constant([])],
        [1, fc.subarray(oddHeaders, { maxLength: 2 })],
      ),
      body: randomBody(shape, context),
    })
    .map(({ body, ...rest }) => ({
      route: shape.label,
      note: body.note,
      ...rest,
      body: body.body,
    }));
}
