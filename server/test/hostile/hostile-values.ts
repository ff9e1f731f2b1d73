/**
 * Hostile JSON values for one field: other types, huge strings and arrays, deep nesting,
 * prototype-pollution keys, NUL, lone surrogates and odd Unicode, bytes that are not UTF-8, and
 * numbers JSON allows but JavaScript cannot hold. `extremeValues` is the fixed list every field
 * of every route receives; `hostileValue` draws from the same families at random.
 */
import fc from "fast-check";
import { value, type JsonNode } from "./json-text.ts";

/** Keys that reach Object.prototype when code copies or looks up a caller's keys carelessly. */
export const prototypeKeys = [
  "__proto__",
  "constructor",
  "prototype",
  "toString",
  "valueOf",
  "hasOwnProperty",
  "__defineGetter__",
];

/** Strings a parser, a regex, a template, a log or a database may trip on. */
export const oddStrings = [
  "",
  " ",
  "\u0000",
  "a\u0000b",
  "\ud800",
  "\udfff\ud800",
  "\u202e\u2066evil\u2069",
  "\u200b\u200d\ufeff",
  "e\u0301\u0301\u0301\u0301\u0301",
  "😀".repeat(50),
  "\r\n\r\nX-Injected: 1",
  "{{constructor}}{{toString}}{{__proto__}}",
  "${process.env}",
  "%ff%00%2e%2e%2f",
  "../../../../etc/passwd",
  "'; DROP TABLE tokens; --",
  "<script>alert(1)</script>",
  "\\u0000\\",
  "NaN",
];

const pollution = (key: string): JsonNode => ({
  kind: "object",
  entries: [
    [key, { kind: "object", entries: [["polluted", value(true)]] }],
    ["prototype", { kind: "object", entries: [["polluted", value(true)]] }],
  ],
});

/** One representative of each family, at its most hostile. */
export const extremeValues: { label: string; node: JsonNode; merge?: boolean }[] = [
  { label: "a number", node: value(-1) },
  { label: "a string", node: value("x") },
  { label: "null", node: value(null) },
  { label: "an empty array", node: { kind: "array", items: [] } },
  { label: "an empty object", node: { kind: "object", entries: [] } },
  { label: "1e400", node: { kind: "raw", text: "1e400" } },
  { label: "a 0.9 MB string", node: { kind: "huge-string", length: 450_000, unit: "é" } },
  { label: "a 100,000-item array", node: { kind: "huge-array", length: 100_000, item: value(0) } },
  { label: "arrays 100,000 deep", node: { kind: "deep", depth: 100_000, shape: "array" } },
  { label: "objects 10,000 deep", node: { kind: "deep", depth: 10_000, shape: "object" } },
  { label: "a '__proto__' key", node: pollution("__proto__"), merge: true },
  { label: "a 'constructor' key", node: pollution("constructor"), merge: true },
  { label: "NUL and lone surrogates", node: value("a\u0000\ud800b\udfff") },
  { label: "invalid UTF-8 (ff)", node: { kind: "bytes", hex: "ff" } },
  { label: "a UTF-8 surrogate (eda080)", node: { kind: "bytes", hex: "eda080" } },
  { label: "odd Unicode", node: value("\u202e\u200b{{constructor}}e\u0301😀") },
];

const otherType: fc.Arbitrary<JsonNode> = fc.constantFrom<JsonNode>(
  value(0),
  value(-1),
  value(1.5),
  value(Number.MAX_SAFE_INTEGER + 2),
  { kind: "raw", text: "1e400" },
  { kind: "raw", text: "-0" },
  { kind: "raw", text: "123456789012345678901234567890" },
  value(true),
  value(false),
  value(null),
  value(""),
  value("0"),
  { kind: "array", items: [] },
  { kind: "array", items: [value(null)] },
  { kind: "object", entries: [] },
  { kind: "object", entries: [["", value(null)]] },
);

const oddString: fc.Arbitrary<JsonNode> = fc.oneof(
  fc.constantFrom(...oddStrings).map(value),
  fc.string({ unit: "binary", maxLength: 40 }).map(value),
  fc.string({ unit: "grapheme", maxLength: 40 }).map(value),
  fc
    .array(fc.integer({ min: 0xd800, max: 0xdfff }), { minLength: 1, maxLength: 4 })
    .map((units) => value(String.fromCharCode(...units))),
  fc
    .constantFrom("ff", "fe", "c0af", "eda080", "f4908080", "00", "1b5b306d", "e282")
    .map((hex): JsonNode => ({ kind: "bytes", hex })),
);

const hugeString: fc.Arbitrary<JsonNode> = fc.record({
  kind: fc.constant("huge-string" as const),
  length: fc.constantFrom(10_000, 100_000, 500_000, 1_000_000, 1_100_000),
  unit: fc.constantFrom("a", "é", "😀", "\u0000", "\ud800", "{{a}}", "\n", "\\"),
});

const hugeArray: fc.Arbitrary<JsonNode> = fc.record({
  kind: fc.constant("huge-array" as const),
  length: fc.constantFrom(1_000, 10_000, 100_000, 300_000),
  item: fc.constantFrom<JsonNode>(
    value(0),
    value("x"),
    value(null),
    {
      kind: "object",
      entries: [
        ["role", value("user")],
        ["content", value("x")],
      ],
    },
    { kind: "array", items: [] },
  ),
});

const deep: fc.Arbitrary<JsonNode> = fc.record({
  kind: fc.constant("deep" as const),
  depth: fc.constantFrom(32, 63, 64, 65, 200, 1_000, 10_000, 100_000),
  shape: fc.constantFrom("array" as const, "object" as const),
});

const pollutionKeys: fc.Arbitrary<JsonNode> = fc
  .subarray(prototypeKeys, { minLength: 1 })
  .chain((keys) =>
    fc
      .array(fc.oneof(otherType, fc.constant(pollution("__proto__"))), {
        minLength: keys.length,
        maxLength: keys.length,
      })
      .map((values): JsonNode => ({
        kind: "object",
        entries: keys.map((key, index) => [key, values[index]!]),
      })),
  );

/** A hostile value for a field, and whether to add it beside the field's own entries. */
export const hostileValue: fc.Arbitrary<{ node: JsonNode; merge: boolean }> = fc.oneof(
  otherType.map((node) => ({ node, merge: false })),
  oddString.map((node) => ({ node, merge: false })),
  hugeString.map((node) => ({ node, merge: false })),
  hugeArray.map((node) => ({ node, merge: false })),
  deep.map((node) => ({ node, merge: false })),
  pollutionKeys.map((node) => ({ node, merge: true })),
);
