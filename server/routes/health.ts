import type { Request } from "express";
import { z } from "zod";
import { ApiError } from "../errors.ts";
import { defineRoute, type Route } from "../http/route.ts";
import type { BackupStatus } from "../store/backup-schedule.ts";

export type ReadinessChecks = Record<string, () => Promise<void>>;

export function healthRoutes(options: {
  version: string;
  /** What the server cannot serve without (the store): a failure answers 503. */
  checks: ReadinessChecks;
  /**
   * What the server serves without, degraded (Redis: limits in memory, no shared cache): a
   * failure is reported, and /ready still answers 200, so that a load balancer keeps sending
   * requests to instances that can answer them.
   */
  degradable: ReadinessChecks;
  startedAt: number;
  backups?: BackupStatus | undefined;
  /** Whether the caller may read why a check failed: its messages name hosts and drivers. */
  showsFailures(req: Request): Promise<boolean>;
}): Route[] {
  return [
    defineRoute({
      method: "get",
      path: "/health",
      access: "public",
      tag: "Service",
      summary: "Liveness: the process is up",
      response: z.object({
        status: z.literal("ok"),
        version: z.string(),
        uptimeSeconds: z.number(),
        lastBackupAt: z
          .string()
          .nullable()
          .optional()
          .describe("With BACKUP_DIR set: when the last good backup was taken, null before one"),
      }),
      handle: () => ({
        status: "ok",
        version: options.version,
        uptimeSeconds: Math.round((Date.now() - options.startedAt) / 1000),
        ...(options.backups && {
          lastBackupAt: options.backups.lastGoodAt()?.toISOString() ?? null,
        }),
      }),
    }),
    defineRoute({
      method: "get",
      path: "/ready",
      access: "public",
      tag: "Service",
      summary: "Readiness: 200 while the store answers; 503 otherwise",
      description:
        "The 503 names the checks that failed. Redis failing leaves the instance serving, " +
        'degraded: 200 with `status: "degraded"` and `fail` for the check. Why a check failed ' +
        "is shown only to an admin token.",
      response: z.object({
        status: z.enum(["ready", "degraded"]),
        checks: z.record(z.string(), z.string()),
      }),
      handle: async (_input, req) => {
        const [required, degradable] = await Promise.all([
          runReadinessChecks(options.checks),
          runReadinessChecks(options.degradable),
        ]);
        const passes = (results: (readonly [string, string])[]) =>
          results.every(([, outcome]) => outcome === "ok");
        const withReasons =
          !passes([...required, ...degradable]) && (await options.showsFailures(req));
        const shown = (results: (readonly [string, string])[]) =>
          results.map(([name, outcome]) =>
            outcome === "ok" || withReasons
              ? ([name, outcome] as const)
              : ([name, "fail"] as const),
          );
        const failing = shown(required.filter(([, outcome]) => outcome !== "ok"));
        if (failing.length > 0) {
          throw new ApiError(
            "unavailable",
            `Not ready: ${failing.map(([name, why]) => `${name}: ${why}`).join("; ")}`,
            { details: failing.map(([path, message]) => ({ path, message })) },
          );
        }
        return {
          status: passes(degradable) ? "ready" : "degraded",
          checks: Object.fromEntries(shown([...required, ...degradable])),
        };
      },
    }),
  ];
}

/** Each check's name, and "ok" or why it failed; a check gets 2 s to answer. */
export function runReadinessChecks(
  checks: ReadinessChecks,
): Promise<(readonly [string, string])[]> {
  return Promise.all(
    Object.entries(checks).map(async ([name, check]) => {
      try {
        await withTimeout(check(), 2000);
        return [name, "ok"] as const;
      } catch (error) {
        return [name, error instanceof Error ? error.message : String(error)] as const;
      }
    }),
  );
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
