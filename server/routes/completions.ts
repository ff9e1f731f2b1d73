import { z } from "zod";
import { setLlmHeaders } from "../http/llm-headers.ts";
import { defineRoute, type Route } from "../http/route.ts";
import { callContext, publicOutcome, sendCompletionStream } from "../http/stream-completion.ts";
import {
  batchItemSchema,
  completionRequestSchema,
  completionResponseSchema,
} from "../llm/completion-request.ts";
import type { CompletionService } from "../llm/completion-service.ts";
import { runBatch } from "../llm/batch.ts";

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
      handle: async ({ body }, _req, res) => {
        const { stream, ...request } = body;
        const context = callContext(res);
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
      body: z.strictObject({ items: z.array(batchItemSchema).min(1).max(deps.batchMaxItems) }),
      response: z.object({
        results: z.array(
          z.union([
            completionResponseSchema.extend({
              id: z.string().describe("The item's id, or its index"),
              ok: z.literal(true),
              completionId: z.string(),
            }),
            z.object({
              id: z.string(),
              ok: z.literal(false),
              error: z.object({ code: z.string(), message: z.string() }),
            }),
          ]),
        ),
      }),
      handle: async ({ body }, _req, res) => ({
        results: await runBatch(completions, body.items, callContext(res)),
      }),
    }),
  ];
}
