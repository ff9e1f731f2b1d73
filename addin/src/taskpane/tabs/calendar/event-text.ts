/** Calendar events and results in words, for the Calendar tab. */
import type { CreateResult } from "../../calendar-api.ts";

export function defaultTimezone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  } catch {
    return "UTC";
  }
}

const dayFormat = (zone: string) =>
  new Intl.DateTimeFormat(undefined, {
    weekday: "short",
    day: "numeric",
    month: "short",
    year: "numeric",
    timeZone: zone,
  });
const timeFormat = (zone: string) =>
  new Intl.DateTimeFormat(undefined, { hour: "numeric", minute: "2-digit", timeZone: zone });

/** An event's time in words: its day and hours in its own timezone, or its days when all-day. */
export function describeWhen(event: {
  start: string;
  end: string;
  allDay: boolean;
  timeZone: string | null;
}): string {
  try {
    if (event.allDay) {
      const first = new Date(`${event.start}T00:00:00Z`);
      const last = new Date(Date.parse(`${event.end}T00:00:00Z`) - 86_400_000);
      const days = dayFormat("UTC");
      return last > first
        ? `${days.format(first)} – ${days.format(last)}, all day`
        : `${days.format(first)}, all day`;
    }
    const zone = event.timeZone ?? defaultTimezone();
    const start = new Date(event.start);
    const end = new Date(event.end);
    const days = dayFormat(zone);
    const hours = timeFormat(zone);
    const range =
      days.format(start) === days.format(end)
        ? `${days.format(start)}, ${hours.format(start)} – ${hours.format(end)}`
        : `${days.format(start)}, ${hours.format(start)} – ${days.format(end)}, ${hours.format(end)}`;
    return `${range} (${zone})`;
  } catch {
    return `${event.start} – ${event.end}`;
  }
}

type Outcome = Pick<Extract<CreateResult, { ok: true }>, "ok" | "status"> | { ok: false };

/** How many events were created, already existed, are ready to create, or failed. */
export function tally(outcomes: readonly Outcome[]) {
  const counts = { created: 0, exists: 0, planned: 0, failed: 0 };
  for (const outcome of outcomes) counts[outcome.ok ? outcome.status : "failed"]++;
  return counts;
}

/** The outcome of creating events, e.g. "2 created, 1 already existed, 1 failed." */
export function countsText(outcomes: readonly Outcome[]): string {
  const counts = tally(outcomes);
  const parts = [
    `${counts.created} created`,
    `${counts.exists} already existed`,
    ...(counts.failed ? [`${counts.failed} failed`] : []),
  ];
  return `${parts.join(", ")}.`;
}
