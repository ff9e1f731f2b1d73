import { Link, Text } from "@fluentui/react-components";
import type { CreateResult, ParseResponse, ParsedEvent } from "../../calendar-api.ts";
import { Notice, useStyles } from "../../components.tsx";
import { describeWhen } from "./event-text.ts";

/** The events read from the text, each with its result once created, and the parser's doubts. */
export function ParsedEvents(props: { preview: ParseResponse; results: CreateResult[] | null }) {
  const { preview, results } = props;
  const styles = useStyles();
  const { events, warnings, assistedBy } = preview;
  return (
    <>
      <Text size={200}>
        {events.length === 0
          ? "No event found in that text."
          : `${events.length} event${events.length === 1 ? "" : "s"} found${assistedBy ? ` (refined by ${assistedBy})` : ""}:`}
      </Text>
      <ul className={styles.list} aria-label="Events found">
        {events.map((event, index) => {
          const result = results?.find((r) => r.index === index);
          return (
            <li key={index} className={styles.card} data-testid="calendar-event">
              <EventDetails event={event} />
              {result ? <ResultLine result={result} /> : null}
            </li>
          );
        })}
      </ul>
      {warnings.length ? (
        <Notice intent="warning" title="Check these">
          <ul>
            {warnings.map((warning) => (
              <li key={warning}>{warning}</li>
            ))}
          </ul>
        </Notice>
      ) : null}
    </>
  );
}

function EventDetails(props: { event: ParsedEvent }) {
  const { event } = props;
  const styles = useStyles();
  return (
    <>
      <Text weight="semibold" data-testid="event-title">
        {event.summary}
      </Text>
      <Text size={200}>
        <time dateTime={event.start} data-testid="event-when">
          {describeWhen(event)}
        </time>
      </Text>
      {event.location ? <Text size={200}>Where: {event.location}</Text> : null}
      {event.attendees?.length ? (
        <Text size={200}>Attendees: {event.attendees.join(", ")}</Text>
      ) : null}
      {event.recurrence?.length ? (
        <Text size={200} className={styles.muted}>
          Repeats: {event.recurrence.join("; ")}
        </Text>
      ) : null}
    </>
  );
}

const STATUS_WORDS = { created: "Created", exists: "Already exists", planned: "Ready to create" };

/** What became of one event: created (with its link), already there, or why it failed. */
function ResultLine(props: { result: CreateResult }) {
  const { result } = props;
  if (!result.ok)
    return (
      <Text size={200} data-testid="event-result" data-status="failed">
        Failed: {result.error.message}
      </Text>
    );
  return (
    <Text size={200} data-testid="event-result" data-status={result.status}>
      {STATUS_WORDS[result.status]}
      {result.htmlLink ? (
        <>
          {": "}
          <Link href={result.htmlLink} target="_blank" rel="noopener noreferrer">
            open in Google Calendar
          </Link>
        </>
      ) : null}
    </Text>
  );
}
