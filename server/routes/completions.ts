import { setLlmHeaders } from "./llm-headers.ts";
import { defineRoute, type Route } from "../http/route.ts";
import { publicOutcome, sendCompletionStream } from "./stream-completion.ts";
import {
  batchResponseSchema,
  completionRequestSchema,
  completionResponseSchema,
  toolOfferOf,
} from "../llm/request/completion-request.ts";
import type { CompletionService } from "../llm/completion-service.ts";
import { runBatch } from "../llm/batch.ts";
import { submitJob, type JobRunner } from "../llm/jobs/submit-job.ts";
import { batchRequestSchema, idempotencyKeyOf } from "./batch-body.ts";

export function completionRoutes(deps: {
  completions: CompletionService;
  batchMaxItems: number;
  /** A batch's items under way at once (BATCH_MAX_IN_FLIGHT). */
  batchInFlight: number;
  jobs: JobRunner;
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
        "a failure after the stream began arrives as `event: error` with the error envelope. " +
        "`tools` offers functions: the answer's `toolCalls` holds the model's calls, and the " +
        "next request sends them back in an assistant message with each result in a `tool` " +
        "message.",
      body: completionRequestSchema,
      response: completionResponseSchema,
      handle: async ({ body, ...context }, _req, res) => {
        const { stream, tools, toolChoice, parallelToolCalls, ...request } = body;
        const offer = toolOfferOf({ tools, toolChoice, parallelToolCalls });
        const prepared = await completions.prepare(
          offer ? { ...request, tools: offer } : request,
          context.caller.tokenId,
        );
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
        "provider's concurrency cap queues large batches instead of flooding it. With an " +
        "`Idempotency-Key` header the batch runs as a job (POST /api/v1/jobs): a client that " +
        "goes away does not stop it, and a retry with the same key waits for the same results " +
        "instead of asking the models again.",
      body: batchRequestSchema(deps.batchMaxItems),
      idempotencyKey: true,
      response: batchResponseSchema,
      handle: async ({ body, ...context }, req) => {
        const idempotencyKey = idempotencyKeyOf(req);
        if (idempotencyKey === undefined)
          return { results: await runBatch(completions, body.items, context, deps.batchInFlight) };
        const { job } = submitJob(deps.jobs, {
          caller: context.caller,
          items: body.items,
          idempotencyKey,
        });
        await untilEnded(job.ended, context.signal);
        return { results: job.resultsInOrder() };
      },
    }),
  ];
}

/** Waits for a job's end; rejects when the request is over first (the job goes on). */
function untilEnded(ended: Promise<void>, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const leave = () => reject(signal.reason);
    if (signal.aborted) return leave();
    signal.addEventListener("abort", leave, { once: true });
    void ended.then(() => {
      signal.removeEventListener("abort", leave);
      resolve();
    });
  });
}
