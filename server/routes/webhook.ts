import { z } from "zod";
import { decideRoute } from "../calendar/assist.ts";
import type { CalendarService } from "../calendar/calendar-service.ts";
import { readNow } from "../calendar/parse.ts";
import { createResponseSchema, taskResultSchema } from "../calendar/schemas.ts";
import { countResults, timezoneField } from "../calendar/shared-fields.ts";
import type { Clock } from "../clock.ts";
import { ApiError } from "../errors.ts";
import { setLlmHeaders } from "./llm-headers.ts";
import { defineRoute, type Route } from "../http/route.ts";
import { publicOutcome } from "./stream-completion.ts";
import { completionResponseSchema } from "../llm/request/completion-request.ts";
import type { CompletionService } from "../llm/completion-service.ts";

/**
 * POST /api/v1/webhook: free text in (what a Power Automate flow forwards); decides whether it
 * asks for a calendar event or a completion, does it, and says which.
 *
 * The route needs the `llm` scope; a text routed to the calendar also needs `calendar` (403
 * otherwise). Without `timezone`, the connected calendar's own timezone is used, else UTC.
 */
export function webhookRoutes(deps: {
  calendar: CalendarService;
  completions: CompletionService;
  clock: Clock;
}): Route[] {
  const { calendar, completions, clock } = deps;
  return [
    defineRoute({
      method: "post",
      path: "/api/v1/webhook",
      access: "llm",
      tag: "Webhook",
      summary: "Route free text to a calendar event, a Google Tasks to-do, or a completion",
      description:
        "A first pass by rules (the text parses to a dated event and names something one puts in a " +
        "calendar: meet, lunch, call, schedule, book, remind, appointment…, and is not a question); " +
        "with a real model configured, the model decides texts that carry a date. Calendar texts " +
        "need the token's `calendar` scope too; `dryRun` previews the events without creating them. " +
        "A text that starts like a to-do (`todo:`, `remember to`, `don't forget to`, `I need to`) " +
        "and does not ask for an event becomes a task in the user's default Google Tasks list " +
        "(route `task`, the same Google grant and scope).",
      body: z
        .strictObject({
          text: z.string().trim().min(1).max(20_000),
          timezone: timezoneField.optional(),
          now: z.string().min(1).optional().describe('ISO 8601 instant that fixes "today"'),
          dryRun: z.boolean().default(false),
          calendarId: z.string().min(1).max(1024).default("primary"),
        })
        .superRefine((body, ctx) => {
          if (body.now !== undefined && !readNow(body.now, body.timezone ?? "UTC"))
            ctx.addIssue({
              code: "custom",
              path: ["now"],
              message: "must be an ISO 8601 date-time",
            });
        }),
      response: z.object({
        route: z.enum(["calendar", "task", "completion"]),
        decidedBy: z.enum(["rules", "model"]),
        result: z.union([createResponseSchema, taskResultSchema, completionResponseSchema]),
      }),
      handle: async ({ body, ...context }, _req, res) => {
        const tokenId = context.caller.tokenId;
        const extra: string[] = [];
        let timezone = body.timezone;
        if (!timezone) {
          timezone = await calendar.calendarTimeZone(tokenId);
          if (!timezone) {
            timezone = "UTC";
            extra.push("No timezone was given and none is known for the calendar; used UTC");
          }
        }
        const now = body.now ? readNow(body.now, timezone)! : clock.now();
        const decision = await decideRoute(body.text, { timezone, now }, { completions, context });

        if (decision.route === "completion") {
          const outcome = await completions.complete({ prompt: body.text }, context);
          setLlmHeaders(res, outcome);
          return {
            route: "completion",
            decidedBy: decision.decidedBy,
            result: publicOutcome(outcome),
          };
        }

        if (!context.caller.scopes.includes("calendar"))
          throw new ApiError(
            "forbidden",
            `This text asks for a ${decision.route === "task" ? "to-do" : "calendar event"}, and this token lacks the 'calendar' scope`,
          );
        if (decision.route === "task") {
          return {
            route: "task",
            decidedBy: decision.decidedBy,
            result: await calendar.createTask(tokenId, decision.task, { dryRun: body.dryRun }),
          };
        }
        const results = await calendar.createEvents(tokenId, decision.parse.events, {
          timezone,
          calendarId: body.calendarId,
          dryRun: body.dryRun,
          signal: context.signal,
        });
        return {
          route: "calendar",
          decidedBy: decision.decidedBy,
          result: {
            results,
            warnings: [...extra, ...decision.parse.warnings],
            counts: countResults(results),
          },
        };
      },
    }),
  ];
}
