import { z } from "zod";
import type { CreateResult } from "./calendar-service.ts";
import { publicEventSchema } from "./events.ts";
import { isKnownTimezone } from "./parse.ts";

/**
 * The calendar's schemas on the wire that more than one route speaks: the calendar routes and the
 * webhook, which creates events from text too.
 */

export const timezoneField = z
  .string()
  .min(1)
  .refine(isKnownTimezone, "is not a known IANA timezone (such as Europe/Berlin)")
  .describe("IANA timezone name, e.g. America/New_York");

const createResultSchema = z.union([
  z.object({
    index: z.number().describe("The row's position in the request"),
    ok: z.literal(true),
    status: z
      .enum(["created", "exists", "planned"])
      .describe("exists: an earlier run created it; planned: a dry run"),
    id: z.string().describe("The Google event id (derived from the caller and the content)"),
    htmlLink: z.string().nullable(),
    event: publicEventSchema,
  }),
  z.object({
    index: z.number(),
    ok: z.literal(false),
    error: z.object({ code: z.string(), message: z.string(), path: z.string().optional() }),
  }),
]);

export const createResponseSchema = z.object({
  results: z.array(createResultSchema),
  warnings: z.array(z.string()).describe("From parsing `text`"),
  counts: z.object({
    created: z.number(),
    exists: z.number(),
    planned: z.number(),
    failed: z.number(),
  }),
});

/** The `counts` of a create response. */
export function countResults(results: CreateResult[]) {
  const counts = { created: 0, exists: 0, planned: 0, failed: 0 };
  for (const result of results) counts[result.ok ? result.status : "failed"]++;
  return counts;
}
