import {
  Button,
  makeStyles,
  MessageBar,
  MessageBarActions,
  MessageBarBody,
  Spinner,
  Table,
  TableBody,
  TableCell,
  TableHeader,
  TableHeaderCell,
  TableRow,
  Text,
  tokens,
} from "@fluentui/react-components";
import type { ReactNode } from "react";
import { downloadCsv, toCsv } from "./csv.ts";
import type { Loaded } from "./load.ts";

const useStyles = makeStyles({
  scroll: { overflowX: "auto", maxWidth: "100%" },
  // Columns as wide as their content: in a narrow window the table scrolls, it is not crushed.
  table: { tableLayout: "auto", width: "max-content", minWidth: "100%" },
  toolbar: {
    display: "flex",
    flexWrap: "wrap",
    gap: "8px 12px",
    alignItems: "end",
    marginBottom: "12px",
  },
  empty: { padding: "16px 0", color: tokens.colorNeutralForeground2 },
  pager: { display: "flex", gap: "8px", alignItems: "center", marginTop: "8px" },
  numeric: { textAlign: "end", fontVariantNumeric: "tabular-nums" },
});

/** The three states before data: loading, failed (with Retry), and then the content. */
export function LoadedView<T>(props: {
  loaded: Loaded<T>;
  what: string;
  retry(): void;
  children(data: T): ReactNode;
}) {
  const { loaded } = props;
  if (loaded.state === "loading") return <Spinner size="small" label={`Loading ${props.what}…`} />;
  if (loaded.state === "failed") return <Failure message={loaded.message} retry={props.retry} />;
  return <>{props.children(loaded.data)}</>;
}

export function Failure(props: { message: string; retry?: () => void }) {
  return (
    <MessageBar intent="error" role="alert">
      <MessageBarBody>{props.message}</MessageBarBody>
      {props.retry ? (
        <MessageBarActions>
          <Button onClick={props.retry}>Retry</Button>
        </MessageBarActions>
      ) : null}
    </MessageBar>
  );
}

export function Empty(props: { children: ReactNode }) {
  return <Text className={useStyles().empty}>{props.children}</Text>;
}

export function Toolbar(props: { children: ReactNode; label: string }) {
  return (
    <div className={useStyles().toolbar} role="group" aria-label={props.label}>
      {props.children}
    </div>
  );
}

/** A column of a data table: its heading, each row's text, and whether it is a number. */
export interface Column<T> {
  title: string;
  text(row: T): string;
  /** What the cell shows, when more than its text (a link, a badge). */
  render?(row: T): ReactNode;
  numeric?: boolean;
}

/**
 * A table that scrolls sideways in a narrow window, with its CSV export: the file holds exactly
 * the cells shown, column by column.
 */
export function DataTable<T>(props: {
  caption: string;
  columns: Column<NoInfer<T>>[];
  rows: T[];
  rowKey(row: T): string;
  csvName?: string;
  empty: string;
}) {
  const styles = useStyles();
  const { columns, rows } = props;
  const csvName = props.csvName;
  if (rows.length === 0) return <Empty>{props.empty}</Empty>;
  return (
    <>
      {csvName ? (
        <Button
          size="small"
          onClick={() =>
            downloadCsv(
              csvName,
              toCsv(
                columns.map((column) => column.title),
                rows.map((row) => columns.map((column) => column.text(row))),
              ),
            )
          }
        >
          Export CSV: {props.caption}
        </Button>
      ) : null}
      <div className={styles.scroll} role="region" aria-label={props.caption} tabIndex={0}>
        <Table size="small" aria-label={props.caption} className={styles.table}>
          <TableHeader>
            <TableRow>
              {columns.map((column) => (
                <TableHeaderCell
                  key={column.title}
                  className={column.numeric ? styles.numeric : undefined}
                >
                  {column.title}
                </TableHeaderCell>
              ))}
            </TableRow>
          </TableHeader>
          <TableBody>
            {rows.map((row) => (
              <TableRow key={props.rowKey(row)}>
                {columns.map((column) => (
                  <TableCell
                    key={column.title}
                    className={column.numeric ? styles.numeric : undefined}
                  >
                    {column.render ? column.render(row) : column.text(row)}
                  </TableCell>
                ))}
              </TableRow>
            ))}
          </TableBody>
        </Table>
      </div>
    </>
  );
}

/** Previous / next for lists paged by the API's cursors (or by the console itself). */
export function Pager(props: {
  page: number;
  hasNext: boolean;
  previous(): void;
  next(): void;
  label: string;
}) {
  return (
    <nav className={useStyles().pager} aria-label={`${props.label} pages`}>
      <Button size="small" disabled={props.page === 0} onClick={props.previous}>
        Previous page
      </Button>
      <Text>Page {props.page + 1}</Text>
      <Button size="small" disabled={!props.hasNext} onClick={props.next}>
        Next page
      </Button>
    </nav>
  );
}

/** Today's date (UTC) as YYYY-MM-DD, and the 1st of its month. */
export function today(): string {
  return new Date().toISOString().slice(0, 10);
}
export function monthStart(): string {
  return `${today().slice(0, 8)}01`;
}

/** An ISO time as people read it, in their own zone. */
export function formatTime(iso: string | null): string {
  if (!iso) return "—";
  return new Date(iso).toLocaleString("en-GB", {
    dateStyle: "medium",
    timeStyle: "short",
  });
}

export const integer = (value: number) => value.toLocaleString("en-US");
