import { z } from "zod";
import { isKnownTimezone } from "./parse.ts";
import type { CreateResult } from "./schemas.ts";

/**
 * What the calendar routes and the webhook, which creates events from text too, both speak. Apart
 * from calendar/schemas.ts, which the add-in reads types from: this module needs the parser.
 */

export const timezoneField = z
  .string()
  .min(1)
  .refine(isKnownTimezone, "is not a known IANA timezone (such as Europe/Berlin)")
  .describe("IANA timezone name, e.g. America/New_York");

/** The `counts` of a create response. */
export function countResults(results: CreateResult[]) {
  const counts = { created: 0, exists: 0, planned: 0, failed: 0 };
  for (const result of results) counts[result.ok ? result.status : "failed"]++;
  return counts;
}
