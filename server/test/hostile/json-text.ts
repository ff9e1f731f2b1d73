/**
 * JSON bodies as a small tree that is rendered to bytes only when sent. The tree can say what
 * JSON.stringify cannot (duplicate keys, `__proto__` as a plain key, bytes that are not UTF-8,
 * numbers such as 1e400) and keeps huge or deep values short (`{kind: "deep", depth: 10000}`),
 * so that a failing case reads well in fast-check's report.
 */
export type JsonNode =
  | { kind: "value"; value: null | boolean | number | string }
  | { kind: "array"; items: JsonNode[] }
  /** Entries in order, as sent: keys may repeat and may be `__proto__`. */
  | { kind: "object"; entries: [string, JsonNode][] }
  | { kind: "huge-string"; length: number; unit: string }
  | { kind: "huge-array"; length: number; item: JsonNode }
  | { kind: "deep"; depth: number; shape: "array" | "object" }
  /** Text sent as it is, valid JSON or not: `1e400`, `-0`, `NaN`, `{"a":}`. */
  | { kind: "raw"; text: string }
  /** A string literal holding these bytes (hex), e.g. `ff` or `eda080`, which are not UTF-8. */
  | { kind: "bytes"; hex: string };

export const value = (v: null | boolean | number | string): JsonNode => ({
  kind: "value",
  value: v,
});

/** The tree for a plain JSON value. */
export function fromJson(input: unknown): JsonNode {
  if (Array.isArray(input)) return { kind: "array", items: input.map(fromJson) };
  if (typeof input === "object" && input !== null)
    return {
      kind: "object",
      entries: Object.entries(input).map(([key, item]) => [key, fromJson(item)]),
    };
  if (typeof input === "string" || typeof input === "number" || typeof input === "boolean")
    return value(input);
  return value(null);
}

export function renderJson(node: JsonNode): Buffer {
  const parts: (string | Buffer)[] = [];
  write(node, parts);
  return Buffer.concat(parts.map((part) => (typeof part === "string" ? Buffer.from(part) : part)));
}

function write(node: JsonNode, out: (string | Buffer)[]): void {
  switch (node.kind) {
    case "value":
      out.push(JSON.stringify(node.value));
      return;
    case "array":
      out.push("[");
      node.items.forEach((item, index) => {
        if (index > 0) out.push(",");
        write(item, out);
      });
      out.push("]");
      return;
    case "object":
      out.push("{");
      node.entries.forEach(([key, item], index) => {
        out.push(`${index > 0 ? "," : ""}${JSON.stringify(key)}:`);
        write(item, out);
      });
      out.push("}");
      return;
    case "huge-string":
      out.push(JSON.stringify(node.unit.repeat(node.length)));
      return;
    case "huge-array": {
      const item = renderJson(node.item).toString();
      out.push(`[${Array.from({ length: node.length }, () => item).join(",")}]`);
      return;
    }
    case "deep":
      out.push(
        node.shape === "array"
          ? "[".repeat(node.depth) + "]".repeat(node.depth)
          : '{"a":'.repeat(node.depth) + "{}" + "}".repeat(node.depth),
      );
      return;
    case "raw":
      out.push(node.text);
      return;
    case "bytes":
      out.push('"', Buffer.from(node.hex, "hex"), '"');
      return;
  }
}
