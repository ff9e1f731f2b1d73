import type { Response } from "express";
import { ApiError } from "../errors.ts";
import { defineRoute, type Route } from "../http/route.ts";
import { openEventStream } from "../http/sse.ts";
import type { Job } from "../llm/jobs/jobs.ts";
import { z } from "zod";
import { jobMaxWaitSeconds, jobQuerySchema, jobSchema } from "../llm/jobs/schemas.ts";
import { submitJob, type JobRunner } from "../llm/jobs/submit-job.ts";
import { batchRequestSchema, idempotencyKeyOf } from "./batch-body.ts";

/** GET /api/v1/jobs/:id's query: `after`, and how long to wait for the job to end. */
const pollQuerySchema = jobQuerySchema.extend({
  wait: z.coerce
    .number()
    .int()
    .min(0)
    .max(jobMaxWaitSeconds)
    .optional()
    .describe(
      `Seconds to wait for the job to end before answering (at most ${jobMaxWaitSeconds}): ` +
        "a running job is answered at its end, or when they are over",
    ),
});

/** How often a job's event stream says it is alive while no result comes. */
export const jobHeartbeatMs = 2_000;

/** How long before the request's own deadline a job's event stream ends, for the client to resume. */
const streamEndMarginMs = 1_000;

function jobOf(runner: JobRunner, tokenId: string, id: string | undefined): Job {
  const job = id === undefined ? undefined : runner.jobs.get(tokenId, id);
  if (!job) throw new ApiError("not_found", "No such job (or its results are no longer kept)");
  return job;
}

export function jobRoutes(deps: { jobs: JobRunner; jobMaxItems: number; heartbeatMs?: number }) {
  const heartbeatMs = deps.heartbeatMs ?? jobHeartbeatMs;
  const routes: Route[] = [
    defineRoute({
      method: "post",
      path: "/api/v1/jobs",
      access: "llm",
      tag: "Jobs",
      summary: "Start a batch as a job, computed to its end whether or not the client stays",
      description:
        "Answers at once with the job's id; its results come from GET /api/v1/jobs/{id} or, as " +
        "they arrive, from GET /api/v1/jobs/{id}/events. Items run as in POST /api/v1/batch " +
        "(identical items asked once; cacheable answers kept in the response cache as they come). " +
        "With an `Idempotency-Key` header, a retry with the same key and body (for the same " +
        "token) gets the same job back instead of a new one; the same key with another body is " +
        "409 `conflict`.",
      body: batchRequestSchema(deps.jobMaxItems),
      idempotencyKey: true,
      response: jobSchema,
      successStatus: 202,
      handle: ({ body, caller }, req, res) => {
        const { job, joined } = submitJob(deps.jobs, {
          caller,
          items: body.items,
          idempotencyKey: idempotencyKeyOf(req),
        });
        res.setHeader("location", `/api/v1/jobs/${job.id}`);
        if (joined) res.setHeader("idempotent-replayed", "true");
        return job.view();
      },
    }),
    defineRoute({
      method: "get",
      path: "/api/v1/jobs/:id",
      access: "llm",
      tag: "Jobs",
      summary: "A job's state and its results so far (from the `after`-th on)",
      description:
        "With `wait`, a running job is answered when it ends or the seconds are over, " +
        "whichever comes first: a flow polls with few requests, each well inside its time limit.",
      query: pollQuerySchema,
      response: jobSchema,
      handle: async ({ caller, params, query, signal, deadline }) => {
        const job = jobOf(deps.jobs, caller.tokenId, params.id);
        const waitMs = Math.min(
          (query.wait ?? 0) * 1000,
          deadline - performance.now() - streamEndMarginMs,
        );
        if (waitMs > 0) await untilEndedOr(job, waitMs, signal);
        return job.view(query.after);
      },
    }),
    defineRoute({
      method: "get",
      path: "/api/v1/jobs/:id/events",
      access: "llm",
      tag: "Jobs",
      summary: "A job's results as server-sent events, as they arrive",
      description:
        "Each result comes as `event: result` (a batch item's result), from the `after`-th on; " +
        "`event: heartbeat` (`{completed}`) every 2 s while none comes, so a client can tell a " +
        "live server from a silent one; then `event: done` with the job's state. The stream ends " +
        "before the request's time limit: ask again with `after` set to the results read.",
      query: jobQuerySchema,
      handle: ({ caller, params, query, signal, deadline }, _req, res) =>
        streamJob(res, jobOf(deps.jobs, caller.tokenId, params.id), {
          after: query.after ?? 0,
          signal,
          endInMs: deadline - performance.now() - streamEndMarginMs,
          heartbeatMs,
        }),
    }),
    defineRoute({
      method: "delete",
      path: "/api/v1/jobs/:id",
      access: "llm",
      tag: "Jobs",
      summary: "Cancel a job: items not started yet are not; those under way finish and are kept",
      response: jobSchema,
      handle: ({ caller, params }) => {
        const job = jobOf(deps.jobs, caller.tokenId, params.id);
        job.cancel();
        return job.view();
      },
    }),
  ];
  return routes;
}

/** Resolves when the job ends, `ms` pass, or the client leaves, whichever comes first. */
function untilEndedOr(job: Job, ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    void job.ended.then(done);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}

/** Relays a job's results as server-sent events until it ends, the client leaves, or time is up. */
function streamJob(
  res: Response,
  job: Job,
  options: { after: number; signal: AbortSignal; endInMs: number; heartbeatMs: number },
): Promise<void> {
  const stream = openEventStream(res);
  let sent = Math.min(options.after, job.results.length);
  return new Promise<void>((resolve) => {
    const finish = () => {
      clearInterval(heartbeat);
      clearTimeout(timeUp);
      unwatch();
      options.signal.removeEventListener("abort", finish);
      if (!res.writableEnded) stream.end();
      resolve();
    };
    const relay = () => {
      while (sent < job.results.length) stream.send("result", job.results[sent++]);
      if (job.status === "running") return;
      stream.send("done", job.summary());
      finish();
    };
    const heartbeat = setInterval(
      () => stream.send("heartbeat", { completed: job.results.length }),
      options.heartbeatMs,
    );
    const timeUp = setTimeout(finish, Math.max(0, options.endInMs));
    const unwatch = job.watch(relay);
    options.signal.addEventListener("abort", finish, { once: true });
    if (options.signal.aborted) finish();
    else relay();
  });
}
