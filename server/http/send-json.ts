import type { ServerResponse } from "node:http";

/**
 * Sends a JSON body. Unlike Express's `res.json`, it hashes no ETag (API answers are not
 * revalidated) and hands the text to Node as one string, which goes out with the headers in a
 * single write.
 */
export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.statusCode = status;
  res.setHeader("content-type", "application/json; charset=utf-8");
  res.setHeader("content-length", Buffer.byteLength(body));
  res.end(body);
}
