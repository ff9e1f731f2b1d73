import type { Request, Response } from "express";
import express from "express";
import type { Limits } from "../config.ts";
import { ApiError } from "../errors.ts";
import { nestsDeeperThan } from "./json-depth.ts";

export const jsonMediaTypes = ["application/json", "application/*+json"];

/** Reads a request's JSON body, parsed; undefined when it has none. */
export type ReadJsonBody = (req: Request, res: Response) => Promise<unknown>;

const tooLarge = (limit: number) =>
  new ApiError("payload_too_large", `The body is larger than the limit of ${limit} bytes`);

/** What body-parser reports, as the error the caller should see; unknown errors unchanged. */
function readFailure(error: unknown, req: Request, limit: number): unknown {
  if (typeof error !== "object" || error === null) return error;
  switch ((error as { type?: unknown }).type) {
    case "entity.parse.failed":
      return new ApiError("invalid_request", "The body is not valid JSON");
    case "entity.too.large":
      return tooLarge(limit);
    case "encoding.unsupported":
      return new ApiError(
        "unsupported_media_type",
        "The body's Content-Encoding is not supported; send it uncompressed, or as gzip, deflate or br",
      );
    case "charset.unsupported":
      return new ApiError("unsupported_media_type", "The body must be UTF-8 JSON");
    case "request.aborted":
    case "request.size.invalid":
    case "stream.encoding.set":
      return new ApiError("invalid_request", "The body could not be read");
    case undefined: {
      // Only a decompression stream fails without a type: the body is not what it claims to be.
      const encoding = req.headers["content-encoding"];
      return encoding
        ? new ApiError("invalid_request", `The body is not valid ${encoding} data`)
        : error;
    }
    default:
      return error;
  }
}

/**
 * Reads a JSON body within the limits: its size (after decompression, so a small compressed
 * body cannot inflate past it), the time it may take to arrive, and its nesting depth. The
 * dispatcher calls it only once the caller has passed authentication and the rate limit, so an
 * anonymous client cannot make the server wait for, or hold, a body. A body that outlasts
 * `bodyTimeoutMs` is answered 408; the answer closes the connection (see `closeIfBodyUnread`).
 */
export function jsonBodyReader(
  limits: Pick<Limits, "bodyBytes" | "jsonDepth" | "bodyTimeoutMs">,
): ReadJsonBody {
  const parse = express.json({ limit: limits.bodyBytes, type: jsonMediaTypes });
  return async (req, res) => {
    // A body announced as too large is refused before any of it is read.
    if (Number(req.headers["content-length"]) > limits.bodyBytes) throw tooLarge(limits.bodyBytes);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(
          new ApiError(
            "request_timeout",
            `The body did not arrive within ${limits.bodyTimeoutMs} ms`,
          ),
        );
      }, limits.bodyTimeoutMs);
      parse(req, res, (error?: unknown) => {
        clearTimeout(timer);
        if (error === undefined) resolve();
        else reject(readFailure(error, req, limits.bodyBytes));
      });
    });
    const body: unknown = req.body;
    if (nestsDeeperThan(body, limits.jsonDepth)) {
      throw new ApiError(
        "invalid_request",
        `The body nests objects and arrays more than ${limits.jsonDepth} levels deep`,
      );
    }
    return body;
  };
}
