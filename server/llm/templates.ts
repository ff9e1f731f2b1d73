import { ApiError } from "../errors.ts";

const PLACEHOLDER = /\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}/g;

/** The {{variables}} a template body uses, in order of first appearance. */
export function templateVariables(body: string): string[] {
  return [...new Set([...body.matchAll(PLACEHOLDER)].map((match) => match[1]!))];
}

/** Fills a template; any variable without a value is a 400 naming every missing one. */
export function renderTemplate(
  body: string,
  values: Record<string, string | number | boolean>,
): string {
  const missing = templateVariables(body).filter((name) => !(name in values));
  if (missing.length > 0) {
    throw new ApiError("invalid_request", `Missing template variables: ${missing.join(", ")}`, {
      details: missing.map((name) => ({
        path: `body.variables.${name}`,
        message: "required by the template",
      })),
    });
  }
  return body.replace(PLACEHOLDER, (_match, name: string) => String(values[name]));
}
