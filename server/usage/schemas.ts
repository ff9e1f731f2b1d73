import { z } from "zod";

/**
 * The usage reports' range and answers: the route table's schemas, so the OpenAPI document's
 * too. No Node here: the add-in takes their types through server/wire.ts.
 */

/** A calendar day, YYYY-MM-DD, that exists (no 2026-02-30). */
const isoDay = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, "must be a date as YYYY-MM-DD")
  .refine((value) => {
    const parsed = new Date(`${value}T00:00:00.000Z`);
    return !Number.isNaN(parsed.getTime()) && parsed.toISOString().slice(0, 10) === value;
  }, "is not a calendar date");

export const usageRangeSchema = z.object({
  from: isoDay.optional().describe("First day (UTC), included; default: the 1st of `to`'s month"),
  to: isoDay.optional().describe("Last day (UTC), included; default: today"),
});

/** Everyone's usage, or one token's (its budget's burn-down). */
export const adminUsageRangeSchema = usageRangeSchema.extend({
  tokenId: z.string().trim().min(1).max(200).optional().describe("Only this token's calls"),
});

const sums = {
  calls: z.number().int(),
  inputTokens: z.number().int(),
  outputTokens: z.number().int(),
  costUsd: z.number(),
};

const totalsSchema = z.object({
  ...sums,
  cachedCalls: z.number().int().describe("Answered from the cache, at no cost"),
  failedCalls: z.number().int(),
});
const byDaySchema = z.array(z.object({ day: z.string(), ...sums }));
const byModelSchema = z.array(z.object({ model: z.string(), provider: z.string(), ...sums }));
const byTokenSchema = z.array(
  z.object({ tokenId: z.string(), name: z.string().nullable(), ...sums }),
);

/** The caller's own usage. */
export const usageReportSchema = z.object({
  from: z.string(),
  to: z.string(),
  totals: totalsSchema,
  byDay: byDaySchema.describe("Days with calls only, oldest first"),
  byModel: byModelSchema.describe("The costliest first"),
});

/** Everyone's usage, for operators. */
export const adminUsageReportSchema = usageReportSchema.extend({
  byToken: byTokenSchema.describe("The costliest first"),
});
