/**
 * The Calendar tab: the Google connection, the timezone that times without one are read in,
 * and two ways to create events: from a sentence, and from the rows of a table in the sheet.
 */
import { Text, mergeClasses } from "@fluentui/react-components";
import { useState } from "react";
import type { ApiClient } from "../../../shared/api-client.ts";
import type { CalendarStatus } from "../../calendar-api.ts";
import { NeedsConnection, useStyles } from "../../components.tsx";
import { useSession, type ExcelState } from "../../session.tsx";
import { defaultTimezone } from "./event-text.ts";
import { FromRows } from "./FromRows.tsx";
import { FromText } from "./FromText.tsx";
import { GoogleConnection } from "./GoogleConnection.tsx";
import { TimezoneField } from "./TimezoneField.tsx";

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
  const zone = timezone.trim();
  const connected = status?.connected === true;
  // Without Google on the server nothing here can create an event: the forms stay, greyed out.
  const unavailable = status?.configured === false;

  return (
    <div className={styles.stack}>
      <GoogleConnection client={client} status={status} onStatus={setStatus} />
      <fieldset
        disabled={unavailable}
        aria-describedby={unavailable ? "calendar-unavailable" : undefined}
        className={mergeClasses(styles.stack, styles.fieldset)}
        data-testid="calendar-forms"
      >
        {unavailable ? (
          <Text id="calendar-unavailable" weight="semibold">
            Unavailable: Google Calendar is not set up on this OfficeLLM server.
          </Text>
        ) : null}
        <TimezoneField value={timezone} onChange={setTimezone} />
        <FromText client={client} timezone={zone} connected={connected} />
        <FromRows client={client} timezone={zone} connected={connected} excel={excel} />
      </fieldset>
    </div>
  );
}
