import { z } from "zod";
import { batchItemResultSchema } from "../request/completion-request.ts";

/** Where a job is: computing, finished (every item has its result), or cancelled. */
export const jobStatusSchema = z.enum(["running", "done", "cancelled"]);

/** A job as GET /api/v1/jobs/:id shows it, with the results from `after` on. */
export const jobSchema = z.object({
  id: z.string().describe("The job's id: ask GET /api/v1/jobs/{id} for its results"),
  status: jobStatusSchema,
  total: z.number().int().describe("Items in the job"),
  completed: z.number().int().describe("Items with a result so far"),
  createdAt: z.string(),
  expiresAt: z
    .string()
    .nullable()
    .describe("When a finished job's results are dropped (its cached answers stay in the cache)"),
  results: z
    .array(batchItemResultSchema)
    .describe("Results in the order they came, from the `after`-th on; each names its item's id"),
});

export type JobView = z.output<typeof jobSchema>;

/** The most a poll may wait for a job to end: well inside a flow's 120 s per request. */
export const jobMaxWaitSeconds = 100;

/** GET /api/v1/jobs/:id and its events: the results already read are skipped. */
export const jobQuerySchema = z.strictObject({
  after: z.coerce
    .number()
    .int()
    .min(0)
    .max(1_000_000)
    .optional()
    .describe("Results already read: the answer starts with the next one"),
});

/** The `done` event of GET /api/v1/jobs/:id/events. */
export const jobEndSchema = jobSchema.omit({ results: true });
