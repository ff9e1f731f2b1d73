import { Link, Text } from "@fluentui/react-components";
import type { RowOutcome, RowsSnapshot } from "../../calendar-rows-runner.ts";
import { useStyles } from "../../components.tsx";
import { countsText, describeWhen, tally } from "./event-text.ts";

/** The counts of the last preview or creation, and a line for each row. */
export function RowResults(props: Pick<RowsSnapshot, "outcomes" | "written">) {
  const { outcomes, written } = props;
  const styles = useStyles();
  const { planned, failed } = tally(outcomes?.rows ?? []);
  return (
    <>
      <div role="status" aria-live="polite" data-testid="calendar-rows-status">
        {outcomes ? (
          <Text>
            {outcomes.dryRun
              ? `${planned} row${planned === 1 ? "" : "s"} ready to create${failed ? `, ${failed} with problems` : ""}.`
              : countsText(outcomes.rows)}
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
              <RowLine key={outcome.row} outcome={outcome} />
            ))}
          </tbody>
        </table>
      ) : null}
    </>
  );
}

function RowLine(props: { outcome: RowOutcome }) {
  const { outcome } = props;
  return (
    <tr data-status={outcome.ok ? outcome.status : "failed"}>
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
  );
}
