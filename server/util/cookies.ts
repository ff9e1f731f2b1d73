/**
 * The value of the cookie `name` in a request's `Cookie` header (RFC 6265 §5.4: `name=value`
 * pairs separated by `; `), or undefined. Values are taken as they are, as OfficeLLM sets them
 * (base64url, nothing to decode).
 */
export function readCookie(header: string | undefined, name: string): string | undefined {
  for (const pair of header?.split(";") ?? []) {
    const split = pair.indexOf("=");
    if (split > 0 && pair.slice(0, split).trim() === name) return pair.slice(split + 1).trim();
  }
  return undefined;
}
