import { LlmError } from "../errors.ts";

const PLACEHOLDER = /\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}/g;

/** The {{variables}} a template body uses, in order of first appearance. */
export function templateVariables(body: string): string[] {
  return [...new Set([...body.matchAll(PLACEHOLDER)].map((match) => match[1]!))];
}

type Values = Record<string, string | number | boolean>;

/**
 * Fills a template. Only the caller's own variables are values (never `constructor` or
 * `toString`, which every object inherits); any variable without one is an `invalid_request`
 * naming every missing one. The filled text may be at most `maxBytes` (UTF-8), which is checked
 * before it is built: a large value used many times must not build a huge string.
 */
export function renderTemplate(body: string, values: Values, maxBytes: number): string {
  const names = templateVariables(body);
  const missing = names.filter((name) => !Object.hasOwn(values, name));
  if (missing.length > 0) {
    throw new LlmError("invalid_request", `Missing template variables: ${missing.join(", ")}`, {
      details: missing.map((name) => ({
        path: `body.variables.${name}`,
        message: "required by the template",
      })),
    });
  }
  const bytes = filledBytes(body, values);
  if (bytes > maxBytes) {
    throw new LlmError(
      "invalid_request",
      `The filled template would be ${bytes} bytes; at most ${maxBytes} are allowed`,
      { details: [{ path: "body.variables", message: "make the values shorter" }] },
    );
  }
  return body.replace(PLACEHOLDER, (_match, name: string) => String(values[name]));
}

/** The UTF-8 size of a template once filled, from the sizes of its parts. */
function filledBytes(body: string, values: Values): number {
  const sizes = new Map<string, number>();
  let bytes = Buffer.byteLength(body);
  for (const [placeholder, name] of body.matchAll(PLACEHOLDER)) {
    let size = sizes.get(name!);
    if (size === undefined) sizes.set(name!, (size = Buffer.byteLength(String(values[name!]))));
    bytes += size - Buffer.byteLength(placeholder);
  }
  return bytes;
}
