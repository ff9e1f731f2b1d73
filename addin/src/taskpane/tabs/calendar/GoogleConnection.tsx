import { Button, Link, Spinner, Text } from "@fluentui/react-components";
import { useCallback, useEffect } from "react";
import type { ApiClient } from "../../../shared/api-client.ts";
import { disconnectCalendar, getCalendarStatus, type CalendarStatus } from "../../calendar-api.ts";
import { ErrorNotice, useStyles } from "../../components.tsx";
import { useSession } from "../../session.tsx";
import { useAction } from "./use-action.ts";
import { useGoogleConsent, type ConsentWait } from "./use-google-consent.ts";

function statusLine(status: CalendarStatus | null, error: unknown): string {
  if (!status) return error ? "Google Calendar: status unknown." : "Checking Google Calendar…";
  if (!status.configured) return "Google Calendar is not set up on this OfficeLLM server.";
  if (status.needsReconnect)
    return "Google Calendar needs reconnecting: Google no longer accepts the stored permission (revoked or expired).";
  if (status.connected)
    return `Google Calendar: connected as ${status.email ?? "your Google account"}${status.timeZone ? ` (calendar timezone ${status.timeZone})` : ""}.`;
  return "Google Calendar is not connected.";
}

/** The status line, Connect (consent in a dialog or window, then polling) and Disconnect. */
export function GoogleConnection(props: {
  client: ApiClient;
  status: CalendarStatus | null;
  onStatus(status: CalendarStatus): void;
}) {
  const { client, status, onStatus } = props;
  const styles = useStyles();
  const { busy, error, setError, act } = useAction<"connect" | "disconnect">();
  const consent = useGoogleConsent(client, { onStatus, onError: setError });
  const { retryVersion } = useSession();

  const refresh = useCallback(
    async (signal?: AbortSignal) => {
      try {
        const next = await getCalendarStatus(client, signal);
        if (signal?.aborted) return;
        onStatus(next);
        setError(null);
      } catch (caught) {
        if (!signal?.aborted) setError(caught);
      }
    },
    [client, onStatus, setError],
  );

  useEffect(() => {
    const controller = new AbortController();
    void refresh(controller.signal);
    return () => controller.abort();
  }, [refresh, retryVersion]);

  const connect = () => act("connect", consent.open);
  const disconnect = () =>
    act("disconnect", async () => {
      await disconnectCalendar(client);
      await refresh();
    });
  const canConnect = status?.configured === true && !status.connected;

  return (
    <div className={styles.card}>
      <Text weight="semibold" as="h2" size={400}>
        Google Calendar
      </Text>
      <Text role="status" aria-live="polite" data-testid="calendar-status">
        {statusLine(status, error)}
      </Text>
      {status?.configured === false ? (
        <Text size={200}>
          Its administrator can turn it on;{" "}
          <Link
            href={`${client.connection.baseUrl}/#google-calendar`}
            target="_blank"
            rel="noopener noreferrer"
          >
            what they need to do
          </Link>
          .
        </Text>
      ) : null}
      <div className={styles.row}>
        {canConnect ? (
          <Button appearance="primary" onClick={() => void connect()} disabled={busy !== null}>
            {status.needsReconnect ? "Reconnect Google Calendar" : "Connect Google Calendar"}
          </Button>
        ) : null}
        {status?.connected || status?.needsReconnect ? (
          <Button onClick={() => void disconnect()} disabled={busy !== null}>
            Disconnect
          </Button>
        ) : null}
        {consent.waiting ? (
          <Button appearance="subtle" onClick={consent.stop}>
            Stop waiting
          </Button>
        ) : null}
      </div>
      {consent.waiting ? <Waiting wait={consent.waiting} /> : null}
      {consent.timedOut ? (
        <Text size={200}>Stopped waiting after 5 minutes. Press Connect again to start over.</Text>
      ) : null}
      <ErrorNotice error={error} title="Google Calendar" />
    </div>
  );
}

/** While consent is open: where, or a link to open it when the browser blocked the window. */
function Waiting(props: { wait: ConsentWait }) {
  const styles = useStyles();
  const { kind, url } = props.wait;
  return (
    <div className={styles.row} data-testid="calendar-waiting">
      <Spinner size="tiny" />
      <Text size={200}>
        {kind === "blocked" ? (
          <>
            The browser blocked the consent window.{" "}
            <Link href={url} target="_blank" rel="noopener noreferrer">
              Open Google&apos;s consent page
            </Link>
            ; this pane notices when you are done.
          </>
        ) : (
          `Waiting for you to allow access in the ${kind === "dialog" ? "dialog" : "new window"}…`
        )}
      </Text>
    </div>
  );
}
