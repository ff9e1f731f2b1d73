import { z } from "zod";
import { setLlmHeaders } from "./llm-headers.ts";
import { defineRoute, type Route } from "../http/route.ts";
import { publicOutcome, sendCompletionStream } from "./stream-completion.ts";
import { inputError } from "../http/validate.ts";
import {
  batchItemSchema,
  batchResponseSchema,
  completionRequestSchema,
  completionResponseSchema,
  type BatchItem,
} from "../llm/request/completion-request.ts";
import type { CompletionService } from "../llm/completion-service.ts";
import { runBatch, type InvalidBatchItem } from "../llm/batch.ts";

/**
 * The body of POST /api/v1/batch. The envelope (`items`, their count) is checked as a whole, each
 * item on its own: an item that is not a completion request becomes an `InvalidBatchItem`, answered
 * alone with its 400, instead of failing the batch. The OpenAPI document describes items as
 * `batchItemSchema`: a caught schema documents as the schema it catches.
 */
function batchRequestSchema(maxItems: number) {
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

export function completionRoutes(deps: {
  completions: CompletionService;
  batchMaxItems: number;
}): Route[] {
  const { completions } = deps;
  return [
    defineRoute({
      method: "post",
      path: "/api/v1/completions",
      access: "llm",
      tag: "Completions",
      summary:
        "Complete a prompt or a conversation; `stream: true` answers with server-sent events",
      description:
        "Streams as `event: delta` (`{text}`) events, then one `event: done` with the full result; " +
        "a failure after the stream began arrives as `event: error` with the error envelope.",
      body: completionRequestSchema,
      response: completionResponseSchema,
      handle: async ({ body, ...context }, _req, res) => {
        const { stream, ...request } = body;
        const prepared = await completions.prepare(request, context.caller.tokenId);
        if (!stream) {
          const outcome = await completions.run(prepared, context);
          setLlmHeaders(res, outcome);
          return publicOutcome(outcome);
        }
        await sendCompletionStream(res, await completions.stream(prepared, context), context);
      },
    }),
    defineRoute({
      method: "post",
      path: "/api/v1/batch",
      access: "llm",
      tag: "Completions",
      summary: "Many completions in one request; each item succeeds or fails on its own",
      description:
        "Results come back in the order of the items. Identical items are computed once; the " +
        "provider's concurrency cap queues large batches instead of flooding it.",
      body: batchRequestSchema(deps.batchMaxItems),
      response: batchResponseSchema,
      handle: async ({ body, ...context }) => ({
        results: await runBatch(completions, body.items, context),
      }),
    }),
  ];
}
