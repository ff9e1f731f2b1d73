import { Button, Checkbox, Spinner, Text } from "@fluentui/react-components";
import { useEffect, useState } from "react";
import { columnLetter } from "../../../office/address.ts";
import type { ExcelBridge } from "../../../office/index.ts";
import type { ApiClient } from "../../../shared/api-client.ts";
import { createEvents } from "../../calendar-api.ts";
import { CalendarRowsRunner, type RowsIo, type RowsSnapshot } from "../../calendar-rows-runner.ts";
import { ErrorNotice, Notice, useStyles } from "../../components.tsx";
import type { ExcelState } from "../../session.tsx";
import { ColumnMappingFields } from "./ColumnMappingFields.tsx";
import { NotConnectedHint } from "./NotConnectedHint.tsx";
import { RowResults } from "./RowResults.tsx";

interface RowsProps {
  client: ApiClient;
  timezone: string;
  connected: boolean;
}

/** Outside Excel, "From rows" says that it needs Excel. */
export function FromRows(props: RowsProps & { excel: ExcelState }) {
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

/** The selected table → its columns mapped → preview or create, one event a row. */
function Rows(props: RowsProps & { bridge: ExcelBridge }) {
  const { client, bridge, timezone, connected } = props;
  const styles = useStyles();
  const { runner, rows } = useRowsRunner();
  const { table, occupied, overwrite, busy, ready } = rows;
  const io: RowsIo = { excel: bridge, create: (body) => createEvents(client, body) };
  const run = (dryRun: boolean) => void runner.run(io, { dryRun, timezone });

  // Results were made in the timezone they were run in.
  useEffect(() => runner.clearResults(), [runner, timezone]);

  const outputLetter = table ? columnLetter(table.output) : "";
  return (
    <div className={styles.stack}>
      <Text size={200}>
        Select a table of meetings (first row: the headers), then map its columns. Each row becomes
        one event, created once however often you run it; its link or error is written in the column
        right of the table.
      </Text>
      <div className={styles.row}>
        <Button onClick={() => void runner.pickTable(io)} disabled={busy !== null}>
          Use the selected table
        </Button>
        <Text data-testid="calendar-table" aria-live="polite">
          {table
            ? `Table: ${table.address} (${table.block.lastRow - table.block.firstRow} rows)`
            : "No table chosen yet."}
        </Text>
      </div>
      {table ? (
        <ColumnMappingFields
          table={table}
          mapping={rows.mapping}
          missing={rows.missing}
          onColumn={(field, column) => runner.setColumn(field, column)}
        />
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
          <Button disabled={!ready || busy !== null} onClick={() => run(true)}>
            {busy === "preview" ? "Checking…" : "Preview rows"}
          </Button>
          <Button
            appearance="primary"
            disabled={!ready || !connected || busy !== null || (occupied > 0 && !overwrite)}
            onClick={() => run(false)}
          >
            {busy === "create" ? "Creating…" : "Create events"}
          </Button>
          {busy === "reading" ? <Spinner size="tiny" label="Reading the table…" /> : null}
        </div>
      ) : null}
      {table ? <NotConnectedHint connected={connected} /> : null}
      <ErrorNotice error={rows.error} title="Calendar rows" />
      <RowResults outcomes={rows.outcomes} written={rows.written} />
    </div>
  );
}
