import type { Request } from "express";
import { z } from "zod";
import { ApiError } from "../errors.ts";
import { defineRoute, type Route } from "../http/route.ts";
import type { BackupStatus } from "../store/backup-schedule.ts";

export type ReadinessChecks = Record<string, () => Promise<void>>;

export function healthRoutes(options: {
  version: string;
  checks: ReadinessChecks;
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
      summary: "Readiness: the store (and Redis, when configured) answer; 503 otherwise",
      description:
        "The 503 names the checks that failed. Why they failed is shown only to an admin token.",
      response: z.object({
        status: z.literal("ready"),
        checks: z.record(z.string(), z.literal("ok")),
      }),
      handle: async (_input, req) => {
        const results = await runReadinessChecks(options.checks);
        const failing = results.filter(([, outcome]) => outcome !== "ok");
        if (failing.length > 0) {
          const shown = (await options.showsFailures(req))
            ? failing
            : failing.map(([name]) => [name, "fail"] as const);
          throw new ApiError(
            "unavailable",
            `Not ready: ${shown.map(([name, why]) => `${name}: ${why}`).join("; ")}`,
            { details: shown.map(([path, message]) => ({ path, message })) },
          );
        }
        return { status: "ready", checks: Object.fromEntries(results) };
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
