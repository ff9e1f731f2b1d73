import type { Request } from "express";
import { z } from "zod";
import { ApiError } from "../errors.ts";
import { inputError } from "../http/validate.ts";
import type { InvalidBatchItem } from "../llm/batch.ts";
import { batchItemSchema, type BatchItem } from "../llm/request/completion-request.ts";

/**
 * The body of POST /api/v1/batch and POST /api/v1/jobs. The envelope (`items`, their count) is checked as a whole, each
 * item on its own: an item that is not a completion request becomes an `InvalidBatchItem`, answered
 * alone with its 400, instead of failing the batch. The OpenAPI document describes items as
 * `batchItemSchema`: a caught schema documents as the schema it catches.
 */
export function batchRequestSchema(maxItems: number) {
  const failures = new WeakMap<BatchItem, z.core.$ZodCatchCtx>();
  const item = batchItemSchema.catch((failure?: z.core.$ZodCatchCtx) => {
    // Asked for a default, as the OpenAPI document is written: an item has none.
    if (!failure) throw new Error("a batch item has no default");
    const placeholder: BatchItem = {};
    failures.set(placeholder, failure);
    return placeholder;
  });
  return z.strictObject({ items: z.array(item).min(1).max(maxItems) }).transform(({ items }) => ({
    items: items.map((parsed, index): BatchItem | InvalidBatchItem => {
      const failure = failures.get(parsed);
      if (!failure) return parsed;
      return {
        id: idOf(failure.input),
        invalid: inputError(failure.error, `body.items.${index}`),
      };
    }),
  }));
}

/** An invalid item's own id, when it has a usable one. */
function idOf(item: unknown): string | undefined {
  const id = typeof item === "object" && item !== null ? (item as { id?: unknown }).id : undefined;
  return batchItemSchema.shape.id.safeParse(id).data;
}

/** An Idempotency-Key: 1 to 200 visible ASCII characters (a UUID, say). */
const idempotencyKeyPattern = /^[\x21-\x7e]{1,200}$/;

/**
 * The request's Idempotency-Key header, if it has one. The key is the caller's: scoped to its
 * token, it finds the job the same body started under it before.
 */
export function idempotencyKeyOf(req: Request): string | undefined {
  const key = req.get("idempotency-key");
  if (key === undefined) return undefined;
  if (!idempotencyKeyPattern.test(key))
    throw new ApiError(
      "invalid_request",
      "Idempotency-Key must be 1 to 200 visible ASCII characters, such as a UUID",
    );
  return key;
}
