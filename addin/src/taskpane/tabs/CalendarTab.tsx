import {
  Button,
  Checkbox,
  Field,
  Input,
  Link,
  Select,
  Spinner,
  Text,
  Textarea,
} from "@fluentui/react-components";
import { useCallback, useEffect, useId, useRef, useState } from "react";
import { columnLetter } from "../../office/address.ts";
import type { ExcelBridge } from "../../office/index.ts";
import type { ApiClient } from "../../shared/api-client.ts";
import {
  createEvents,
  disconnectCalendar,
  getCalendarStatus,
  getConsentUrl,
  parseEventText,
  type CalendarStatus,
  type CreateResult,
  type ParseResponse,
  type ParsedEvent,
  type PublicEvent,
} from "../calendar-api.ts";
import {
  CalendarRowsRunner,
  type RowsIo,
  type RowsSnapshot,
  type RowsTable,
} from "../calendar-rows-runner.ts";
import { CALENDAR_FIELDS, type CalendarField } from "../calendar-rows.ts";
import { ErrorNotice, NeedsConnection, Notice, useStyles } from "../components.tsx";
import { openConsent, type ConsentWindow } from "../consent-window.ts";
import { useSession, type ExcelState } from "../session.tsx";

/** How often the pane asks whether consent has finished, and for how long. */
const POLL_MS = 2000;
const POLL_FOR_MS = 5 * 60 * 1000;

export function defaultTimezone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  } catch {
    return "UTC";
  }
}

function knownTimezones(): string[] {
  try {
    return Intl.supportedValuesOf("timeZone");
  } catch {
    return [];
  }
}

export function CalendarTab() {
  const session = useSession();
  if (!session.client) return <NeedsConnection />;
  return <Calendar client={session.client} excel={session.excel} />;
}

function Calendar(props: { client: ApiClient; excel: ExcelState }) {
  const { client, excel } = props;
  const styles = useStyles();
  const [status, setStatus] = useState<CalendarStatus | null>(null);
  const [timezone, setTimezone] = useState(defaultTimezone);
  const [zones] = useState(knownTimezones);
  const zoneListId = useId();
  const zone = timezone.trim();
  const connected = status?.connected === true;

  return (
    <div className={styles.stack}>
      <GoogleConnection client={client} status={status} onStatus={setStatus} />
      <Field
        label="Timezone"
        hint="An IANA name such as Europe/Berlin: times without a zone are read in it."
        validationState={zones.length && zone && !zones.includes(zone) ? "warning" : "none"}
        validationMessage={
          zones.length && zone && !zones.includes(zone)
            ? "This browser does not know that timezone; the backend will check it."
            : undefined
        }
      >
        <Input
          value={timezone}
          onChange={(_event, data) => setTimezone(data.value)}
          list={zoneListId}
          autoComplete="off"
        />
      </Field>
      <datalist id={zoneListId}>
        {zones.map((name) => (
          <option key={name} value={name} />
        ))}
      </datalist>
      <FromText client={client} timezone={zone} connected={connected} />
      <FromRows client={client} timezone={zone} connected={connected} excel={excel} />
    </div>
  );
}

/** The status line, Connect (consent in a dialog or window, then polling) and Disconnect. */
function GoogleConnection(props: {
  client: ApiClient;
  status: CalendarStatus | null;
  onStatus(status: CalendarStatus): void;
}) {
  const { client, status, onStatus } = props;
  const styles = useStyles();
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [waiting, setWaiting] = useState<{ kind: ConsentWindow["kind"]; url: string } | null>(null);
  const [timedOut, setTimedOut] = useState(false);
  const poll = useRef<{ timer: ReturnType<typeof setInterval>; window: ConsentWindow } | null>(
    null,
  );

  const stopPolling = useCallback(() => {
    if (poll.current) clearInterval(poll.current.timer);
    poll.current = null;
    setWaiting(null);
  }, []);

  const refresh = useCallback(
    async (signal?: AbortSignal) => {
      try {
        const next = await getCalendarStatus(client, signal);
        if (signal?.aborted) return null;
        onStatus(next);
        setError(null);
        return next;
      } catch (caught) {
        if (!signal?.aborted) setError(caught);
        return null;
      }
    },
    [client, onStatus],
  );

  useEffect(() => {
    const controller = new AbortController();
    void refresh(controller.signal);
    return () => controller.abort();
  }, [refresh]);

  useEffect(() => () => stopPolling(), [stopPolling]);

  async function connect() {
    setError(null);
    setTimedOut(false);
    setBusy(true);
    try {
      const { url } = await getConsentUrl(client);
      const opened = await openConsent(url);
      stopPolling();
      const deadline = Date.now() + POLL_FOR_MS;
      let inFlight = false;
      const timer = setInterval(() => {
        if (inFlight) return;
        inFlight = true;
        void getCalendarStatus(client)
          .then((next) => {
            if (poll.current?.timer !== timer) return;
            onStatus(next);
            if (next.connected) {
              opened.close();
              stopPolling();
            } else if (Date.now() > deadline) {
              stopPolling();
              setTimedOut(true);
            }
          })
          .catch((caught: unknown) => {
            if (poll.current?.timer !== timer) return;
            stopPolling();
            setError(caught);
          })
          .finally(() => {
            inFlight = false;
          });
      }, POLL_MS);
      poll.current = { timer, window: opened };
      setWaiting({ kind: opened.kind, url });
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  }

  async function disconnect() {
    setError(null);
    setBusy(true);
    try {
      await disconnectCalendar(client);
      await refresh();
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  }

  const line = !status
    ? error
      ? "Google Calendar: status unknown."
      : "Checking Google Calendar…"
    : !status.configured
      ? "Google Calendar is not set up on this OfficeLLM server. Ask its administrator (see docs/google-calendar.md)."
      : status.needsReconnect
        ? "Google Calendar needs reconnecting: Google no longer accepts the stored permission (revoked or expired)."
        : status.connected
          ? `Google Calendar: connected as ${status.email ?? "your Google account"}${status.timeZone ? ` (calendar timezone ${status.timeZone})` : ""}.`
          : "Google Calendar is not connected.";
  const canConnect = status?.configured === true && !status.connected;

  return (
    <div className={styles.card}>
      <Text weight="semibold" as="h2" size={400}>
        Google Calendar
      </Text>
      <Text role="status" aria-live="polite" data-testid="calendar-status">
        {line}
      </Text>
      <div className={styles.row}>
        {canConnect ? (
          <Button appearance="primary" onClick={() => void connect()} disabled={busy}>
            {status.needsReconnect ? "Reconnect Google Calendar" : "Connect Google Calendar"}
          </Button>
        ) : null}
        {status?.connected || status?.needsReconnect ? (
          <Button onClick={() => void disconnect()} disabled={busy}>
            Disconnect
          </Button>
        ) : null}
        {waiting ? (
          <Button appearance="subtle" onClick={stopPolling}>
            Stop waiting
          </Button>
        ) : null}
      </div>
      {waiting ? (
        <div className={styles.row} data-testid="calendar-waiting">
          <Spinner size="tiny" />
          <Text size={200}>
            {waiting.kind === "blocked" ? (
              <>
                The browser blocked the consent window.{" "}
                <Link href={waiting.url} target="_blank" rel="noopener noreferrer">
                  Open Google&apos;s consent page
                </Link>
                ; this pane notices when you are done.
              </>
            ) : (
              `Waiting for you to allow access in the ${waiting.kind === "dialog" ? "dialog" : "new window"}…`
            )}
          </Text>
        </div>
      ) : null}
      {timedOut ? (
        <Text size={200}>Stopped waiting after 5 minutes. Press Connect again to start over.</Text>
      ) : null}
      <ErrorNotice error={error} title="Google Calendar" />
    </div>
  );
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

function EventDetails(props: { event: ParsedEvent | PublicEvent }) {
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

function statusWord(result: CreateResult): string {
  if (!result.ok) return "Failed";
  return result.status === "created"
    ? "Created"
    : result.status === "exists"
      ? "Already exists"
      : "Ready to create";
}

function countsText(counts: { created: number; exists: number; failed: number }): string {
  const parts = [
    `${counts.created} created`,
    `${counts.exists} already existed`,
    ...(counts.failed ? [`${counts.failed} failed`] : []),
  ];
  return `${parts.join(", ")}.`;
}

function NotConnectedHint(props: { connected: boolean }) {
  const styles = useStyles();
  return props.connected ? null : (
    <Text size={200} className={styles.muted}>
      Creating events needs Google Calendar connected (above); previews work without it.
    </Text>
  );
}

/** Text → preview of the parsed events → create them. */
function FromText(props: { client: ApiClient; timezone: string; connected: boolean }) {
  const { client, timezone, connected } = props;
  const styles = useStyles();
  const [text, setText] = useState("");
  const [preview, setPreview] = useState<ParseResponse | null>(null);
  const [results, setResults] = useState<CreateResult[] | null>(null);
  const [busy, setBusy] = useState<"preview" | "create" | null>(null);
  const [error, setError] = useState<unknown>(null);

  // What was previewed is what gets created: changing the text or zone asks for a new preview.
  useEffect(() => {
    setPreview(null);
    setResults(null);
  }, [text, timezone]);

  async function runPreview() {
    if (!text.trim() || !timezone) return;
    setBusy("preview");
    setError(null);
    setResults(null);
    try {
      setPreview(await parseEventText(client, { text, timezone }));
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(null);
    }
  }

  async function create() {
    if (!preview?.events.length) return;
    setBusy("create");
    setError(null);
    try {
      const response = await createEvents(client, { events: preview.events, timezone });
      setResults(response.results);
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(null);
    }
  }

  return (
    <form
      className={styles.stack}
      aria-labelledby="calendar-text-heading"
      onSubmit={(event) => {
        event.preventDefault();
        void runPreview();
      }}
    >
      <Text as="h2" weight="semibold" size={400} id="calendar-text-heading">
        From text
      </Text>
      <Field label="Describe the event" hint="Ctrl+Enter previews.">
        <Textarea
          value={text}
          onChange={(_event, data) => setText(data.value)}
          onKeyDown={(event) => {
            if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
              event.preventDefault();
              void runPreview();
            }
          }}
          rows={3}
          resize="vertical"
          placeholder="lunch with Sam next Tuesday at 1pm for 90 minutes"
        />
      </Field>
      <div className={styles.row}>
        <Button type="submit" disabled={!text.trim() || !timezone || busy !== null}>
          {busy === "preview" ? "Reading…" : "Preview"}
        </Button>
        <Button
          appearance="primary"
          disabled={!preview?.events.length || !connected || busy !== null}
          onClick={() => void create()}
        >
          {busy === "create"
            ? "Creating…"
            : preview && preview.events.length > 1
              ? `Create ${preview.events.length} events`
              : "Create"}
        </Button>
      </div>
      {preview ? <NotConnectedHint connected={connected} /> : null}
      <ErrorNotice error={error} title="Calendar" />
      <div aria-live="polite" className={styles.stack} data-testid="calendar-text-preview">
        {preview ? (
          <>
            <Text size={200}>
              {preview.events.length === 0
                ? "No event found in that text."
                : `${preview.events.length} event${preview.events.length === 1 ? "" : "s"} found${preview.assistedBy ? ` (refined by ${preview.assistedBy})` : ""}:`}
            </Text>
            <ul className={styles.list} aria-label="Events found">
              {preview.events.map((event, index) => {
                const result = results?.find((r) => r.index === index);
                return (
                  <li key={index} className={styles.card} data-testid="calendar-event">
                    <EventDetails event={event} />
                    {result ? <ResultLine result={result} /> : null}
                  </li>
                );
              })}
            </ul>
            {preview.warnings.length ? (
              <Notice intent="warning" title="Check these">
                <ul>
                  {preview.warnings.map((warning) => (
                    <li key={warning}>{warning}</li>
                  ))}
                </ul>
              </Notice>
            ) : null}
          </>
        ) : null}
      </div>
      <div role="status" data-testid="calendar-text-result">
        {results ? (
          <Text>
            {countsText({
              created: results.filter((r) => r.ok && r.status === "created").length,
              exists: results.filter((r) => r.ok && r.status === "exists").length,
              failed: results.filter((r) => !r.ok).length,
            })}
          </Text>
        ) : null}
      </div>
    </form>
  );
}

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
      {statusWord(result)}
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

/** Outside Excel, "From rows" says that it needs Excel. */
function FromRows(props: {
  client: ApiClient;
  timezone: string;
  connected: boolean;
  excel: ExcelState;
}) {
  const styles = useStyles();
  const { excel } = props;
  return (
    <section className={styles.stack} aria-labelledby="calendar-rows-heading">
      <Text as="h2" weight="semibold" size={400} id="calendar-rows-heading">
        From rows
      </Text>
      {excel.kind === "excel" ? (
        <Rows {...props} bridge={excel.bridge} />
      ) : excel.kind === "detecting" ? (
        <Spinner size="tiny" label="Looking for Excel…" />
      ) : (
        <div data-testid="calendar-rows-needs-excel">
          <Notice intent="info" title="Needs Excel">
            Creating events from a table of meetings reads the selected rows and writes a link next
            to each, so it needs the add-in open in Excel. &quot;From text&quot; works here.
          </Notice>
        </div>
      )}
    </section>
  );
}

/** The rows runner, and its latest snapshot to render. */
function useRowsRunner() {
  const [snapshot, setSnapshot] = useState<RowsSnapshot | null>(null);
  const [runner] = useState(() => new CalendarRowsRunner(setSnapshot));
  return { runner, rows: snapshot ?? runner.snapshot() };
}

function Rows(props: {
  client: ApiClient;
  bridge: ExcelBridge;
  timezone: string;
  connected: boolean;
}) {
  const { client, bridge, timezone, connected } = props;
  const styles = useStyles();
  const { runner, rows } = useRowsRunner();
  const { table, mapping, occupied, overwrite, outcomes, busy, error, written, missing, ready } =
    rows;
  const io: RowsIo = { excel: bridge, create: (body) => createEvents(client, body) };

  useEffect(() => runner.clearResults(), [runner, timezone]);

  const pickTable = () => runner.pickTable(io);
  const run = (dryRun: boolean) => runner.run(io, { dryRun, timezone });

  const outputLetter = table ? columnLetter(table.output) : "";
  const counts = outcomes
    ? {
        created: outcomes.rows.filter((r) => r.ok && r.status === "created").length,
        exists: outcomes.rows.filter((r) => r.ok && r.status === "exists").length,
        planned: outcomes.rows.filter((r) => r.ok && r.status === "planned").length,
        failed: outcomes.rows.filter((r) => !r.ok).length,
      }
    : null;

  return (
    <div className={styles.stack}>
      <Text size={200}>
        Select a table of meetings (first row: the headers), then map its columns. Each row becomes
        one event, created once however often you run it; its link or error is written in the column
        right of the table.
      </Text>
      <div className={styles.row}>
        <Button onClick={() => void pickTable()} disabled={busy !== null}>
          Use the selected table
        </Button>
        <Text data-testid="calendar-table" aria-live="polite">
          {table
            ? `Table: ${table.address} (${table.block.lastRow - table.block.firstRow} rows)`
            : "No table chosen yet."}
        </Text>
      </div>
      {table ? (
        <fieldset className={styles.stack} style={{ border: "none", margin: 0, padding: 0 }}>
          <legend>
            <Text weight="semibold">Columns</Text>
          </legend>
          {CALENDAR_FIELDS.map(({ field, label, required }) => (
            <MappingSelect
              key={field}
              field={field}
              label={label}
              required={required}
              table={table}
              value={mapping[field]}
              onChange={(column) => runner.setColumn(field, column)}
            />
          ))}
          {mapping.end !== undefined && mapping.duration !== undefined ? (
            <Text size={200} className={styles.muted}>
              Rows with an end use it; rows without one use the duration.
            </Text>
          ) : null}
          {missing.length ? (
            <Text size={200} data-testid="calendar-rows-missing">
              Choose a column for {missing.map((f) => f.label).join(" and ")}.
            </Text>
          ) : null}
        </fieldset>
      ) : null}
      {table && occupied > 0 ? (
        <Notice intent="warning" title={`Column ${outputLetter} holds data`}>
          {occupied} cell{occupied === 1 ? "" : "s"} of column {outputLetter} next to the rows
          already hold something; results are written there.{" "}
          <Checkbox
            checked={overwrite}
            onChange={(_event, data) => runner.setOverwrite(Boolean(data.checked))}
            label={`Overwrite column ${outputLetter}`}
          />
        </Notice>
      ) : null}
      {table ? (
        <div className={styles.row}>
          <Button disabled={!ready || busy !== null} onClick={() => void run(true)}>
            {busy === "preview" ? "Checking…" : "Preview rows"}
          </Button>
          <Button
            appearance="primary"
            disabled={!ready || !connected || busy !== null || (occupied > 0 && !overwrite)}
            onClick={() => void run(false)}
          >
            {busy === "create" ? "Creating…" : "Create events"}
          </Button>
          {busy === "reading" ? <Spinner size="tiny" label="Reading the table…" /> : null}
        </div>
      ) : null}
      {table ? <NotConnectedHint connected={connected} /> : null}
      <ErrorNotice error={error} title="Calendar rows" />
      <div role="status" aria-live="polite" data-testid="calendar-rows-status">
        {outcomes && counts ? (
          <Text>
            {outcomes.dryRun
              ? `${counts.planned} row${counts.planned === 1 ? "" : "s"} ready to create${counts.failed ? `, ${counts.failed} with problems` : ""}.`
              : countsText(counts)}
            {written ? ` ${written}` : ""}
          </Text>
        ) : null}
      </div>
      {outcomes ? (
        <table className={styles.table} data-testid="calendar-rows-results">
          <caption className={styles.visuallyHidden}>
            {outcomes.dryRun ? "Rows previewed" : "Rows created"}
          </caption>
          <thead>
            <tr>
              <th scope="col">Row</th>
              <th scope="col">Event</th>
              <th scope="col">Result</th>
            </tr>
          </thead>
          <tbody>
            {outcomes.rows.map((outcome) => (
              <tr key={outcome.row} data-status={outcome.ok ? outcome.status : "failed"}>
                <td className="number">{outcome.row}</td>
                <td>
                  {outcome.ok ? (
                    <>
                      <Text size={200} weight="semibold" block>
                        {outcome.event.summary}
                      </Text>
                      <Text size={200}>
                        <time dateTime={outcome.event.start}>{describeWhen(outcome.event)}</time>
                      </Text>
                    </>
                  ) : (
                    "—"
                  )}
                </td>
                <td>
                  {outcome.ok ? (
                    outcome.htmlLink ? (
                      <Link href={outcome.htmlLink} target="_blank" rel="noopener noreferrer">
                        {outcome.status === "exists" ? "Already exists" : "Created"}
                      </Link>
                    ) : outcome.status === "planned" ? (
                      "Ready"
                    ) : (
                      "Created"
                    )
                  ) : (
                    <span>Failed: {outcome.message}</span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </div>
  );
}

function MappingSelect(props: {
  field: CalendarField;
  label: string;
  required: boolean;
  table: RowsTable;
  value: number | undefined;
  onChange(column: number | undefined): void;
}) {
  const { label, required, table, value } = props;
  return (
    <Field label={`${label} column`} required={required}>
      <Select
        value={value === undefined ? "" : String(value)}
        onChange={(_event, data) =>
          props.onChange(data.value === "" ? undefined : Number(data.value))
        }
      >
        <option value="">{required ? "Choose a column" : "Not used"}</option>
        {table.headers.map(({ column, name }) => (
          <option key={column} value={String(column)}>
            {name ? `${name} (${columnLetter(column)})` : `Column ${columnLetter(column)}`}
          </option>
        ))}
      </Select>
    </Field>
  );
}
