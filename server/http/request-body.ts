import type { IncomingMessage, ServerResponse } from "node:http";

/** Whether the request announces a body: a Content-Length above 0, or chunked transfer. */
export function hasBody(req: IncomingMessage): boolean {
  return (
    req.headers["transfer-encoding"] !== undefined || Number(req.headers["content-length"] ?? 0) > 0
  );
}

/**
 * Makes the response close the connection when the request's body has not been read. Node would
 * otherwise read and drop the rest of the body to reuse the connection, at whatever pace the
 * client sends it: an answer given without reading the body (401, 404, a route that takes none)
 * must not leave the socket to the client.
 */
export function closeIfBodyUnread(req: IncomingMessage, res: ServerResponse): void {
  if (hasBody(req) && !req.readableEnded) res.setHeader("connection", "close");
}
