import {
  Button,
  Checkbox,
  Field,
  Input,
  ProgressBar,
  Spinner,
  Text,
  Textarea,
} from "@fluentui/react-components";
import { useEffect, useMemo, useRef, useState } from "react";
import { columnIndex, columnLetter, formatBlock, type CellBlock } from "../../office/address.ts";
import type { CellValue, ExcelBridge, SelectionInfo } from "../../office/index.ts";
import type { ApiClient } from "../../shared/api-client.ts";
import { runBatch } from "../api.ts";
import {
  Advanced,
  ErrorNotice,
  ModelSelect,
  NeedsConnection,
  NeedsExcel,
  Notice,
  TemperatureSlider,
  useStyles,
} from "../components.tsx";
import {
  ASSUMED_OUTPUT_TOKENS,
  estimateCost,
  headerMap,
  parseColumnReferences,
  planFill,
  type FillPlan,
} from "../fill-plan.ts";
import { FillRunner, type FillSnapshot } from "../fill-runner.ts";
import { formatUsd } from "../../shared/money.ts";
import { useSession } from "../session.tsx";

/** Columns of a selection read for header names; wider selections only read what is used. */
const MAX_SELECTION_COLUMNS = 50;

/** Rows per batch request: a steady progress bar for small fills, few requests for large. */
export function chunkSizeFor(rows: number): number {
  return Math.min(25, Math.max(5, Math.ceil(rows / 20)));
}

export function FillTab() {
  const session = useSession();
  if (session.excel.kind !== "excel") return <NeedsExcel feature="Fill" />;
  if (!session.client) return <NeedsConnection />;
  return <Fill bridge={session.excel.bridge} client={session.client} />;
}

interface SheetData {
  key: string;
  columns: Map<number, CellValue[]>;
}

interface ActiveRun {
  runner: FillRunner;
  snapshot: FillSnapshot;
  sheet: string;
  outputColumn: number;
}

function Fill(props: { bridge: ExcelBridge; client: ApiClient }) {
  const { bridge, client } = props;
  const styles = useStyles();
  const { models } = useSession();
  const [selection, setSelection] = useState<SelectionInfo | null>(null);
  const [prompt, setPrompt] = useState("");
  const [header, setHeader] = useState(false);
  const [output, setOutput] = useState("");
  const [skipFilled, setSkipFilled] = useState(true);
  const [model, setModel] = useState("");
  const [temperature, setTemperature] = useState(0);
  const [data, setData] = useState<SheetData | null>(null);
  const [reading, setReading] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [run, setRun] = useState<ActiveRun | null>(null);
  const runRef = useRef<ActiveRun | null>(null);

  useEffect(() => () => runRef.current?.runner.cancel(), []);

  async function pickSelection() {
    setError(null);
    try {
      const picked = await bridge.readSelection();
      setSelection(picked);
      setOutput(columnLetter(Math.min(picked.block.lastColumn + 1, 16_383)));
      setData(null);
    } catch (caught) {
      setError(caught);
    }
  }

  const block = selection?.block ?? null;
  const outputColumn = columnIndex(output.trim());
  const headers = useMemo(
    () =>
      block && header && data
        ? headerMap(data.columns, block.firstColumn, block.lastColumn)
        : new Map<string, number>(),
    [block, header, data],
  );
  const references = useMemo(() => parseColumnReferences(prompt, headers), [prompt, headers]);
  const needed = useMemo(
    () => (block ? neededColumns(block, references.columns, outputColumn) : []),
    [block, references, outputColumn],
  );
  const neededKey = block ? `${formatBlock(block)}|${needed.join(",")}` : "";

  // The cells the plan needs, read again (debounced) when the selection or the columns change.
  useEffect(() => {
    if (!block || needed.length === 0) return;
    if (data && data.key === neededKey) return;
    const timer = setTimeout(() => {
      setReading(true);
      bridge
        .readColumns(block.sheet, needed, block.firstRow, block.lastRow)
        .then((columns) => setData({ key: neededKey, columns }), setError)
        .finally(() => setReading(false));
    }, 250);
    return () => clearTimeout(timer);
  }, [bridge, block, needed, neededKey, data]);

  const plan: FillPlan | null = useMemo(() => {
    if (!block || !data || outputColumn === null) return null;
    return planFill({
      prompt,
      references: references.columns,
      firstRow: block.firstRow,
      lastRow: block.lastRow,
      header,
      columns: data.columns,
      output: data.columns.get(outputColumn),
      skipFilled,
    });
  }, [block, data, outputColumn, prompt, references, header, skipFilled]);

  const modelInfo = models?.models.find((m) => m.id === (model || models.defaultModel));
  const estimate = plan ? estimateCost(plan.rows, modelInfo) : null;
  const overlapsInput =
    outputColumn !== null && [...references.columns.values()].includes(outputColumn);
  const running =
    run !== null && ["running", "pausing", "cancelling"].includes(run.snapshot.status);
  const problems = [
    !prompt.trim() ? "Write a prompt." : null,
    prompt.trim() && references.columns.size === 0
      ? "Refer to at least one column, like {{B}}."
      : null,
    references.unknown.length > 0
      ? `Unknown column${references.unknown.length > 1 ? "s" : ""}: ${references.unknown.join(", ")} (use letters like {{B}}${header ? " or header names" : ""}).`
      : null,
    output.trim() && outputColumn === null ? `"${output}" is not a column.` : null,
    overlapsInput ? "The output column is one the prompt reads: choose another." : null,
  ].filter((p): p is string => p !== null);

  async function start() {
    if (!block || outputColumn === null || problems.length > 0) return;
    setError(null);
    let fresh: Map<number, CellValue[]>;
    try {
      // Read again: the sheet may have changed since the preview.
      fresh = await bridge.readColumns(block.sheet, needed, block.firstRow, block.lastRow);
    } catch (caught) {
      setError(caught);
      return;
    }
    setData({ key: neededKey, columns: fresh });
    const freshPlan = planFill({
      prompt,
      references: references.columns,
      firstRow: block.firstRow,
      lastRow: block.lastRow,
      header,
      columns: fresh,
      output: fresh.get(outputColumn),
      skipFilled,
    });
    const sheet = block.sheet;
    const runner = new FillRunner({
      rows: freshPlan.rows,
      chunkSize: chunkSizeFor(freshPlan.rows.length),
      concurrency: 2,
      send: (rows, signal) =>
        runBatch(
          client,
          rows.map((row) => ({
            id: String(row.row),
            prompt: row.prompt,
            temperature,
            ...(model ? { model } : {}),
          })),
          signal,
        ),
      write: (cells) =>
        bridge.writeCells(
          cells.map((cell) => ({ sheet, column: outputColumn, row: cell.row, value: cell.value })),
        ),
      onChange: (snapshot) => {
        if (runRef.current?.runner !== runner) return;
        runRef.current = { ...runRef.current, snapshot };
        setRun(runRef.current);
        // The sheet changed under the preview: read it again for the next run's plan.
        if (["done", "cancelled", "paused"].includes(snapshot.status)) setData(null);
      },
    });
    runRef.current?.runner.cancel();
    runRef.current = { runner, snapshot: runner.snapshot(), sheet, outputColumn };
    setRun(runRef.current);
    runner.start();
  }

  return (
    <div className={styles.stack}>
      <Text>
        One answer per row: the prompt&apos;s <code>{"{{B}}"}</code> is replaced by that row&apos;s
        cell in column B.
      </Text>
      <div className={styles.row}>
        <Button onClick={() => void pickSelection()} disabled={running}>
          Use the selected range
        </Button>
        <Text data-testid="fill-range" aria-live="polite">
          {selection ? `Input: ${selection.address}` : "Select the input rows in the sheet first."}
        </Text>
      </div>
      <Checkbox
        checked={header}
        onChange={(_event, d) => setHeader(Boolean(d.checked))}
        label="The first row is a header (not filled; its names can be used, like {{Name}})"
      />
      <Field label="Prompt" required>
        <Textarea
          value={prompt}
          onChange={(_event, d) => setPrompt(d.value)}
          rows={3}
          resize="vertical"
          placeholder="Summarise {{B}} for {{C}} in one sentence"
        />
      </Field>
      <Field label="Output column" hint="Answers are written to this column, on the same rows.">
        <Input value={output} onChange={(_event, d) => setOutput(d.value.toUpperCase())} />
      </Field>
      <Checkbox
        checked={skipFilled}
        onChange={(_event, d) => setSkipFilled(Boolean(d.checked))}
        label="Skip rows whose output cell already has an answer"
      />
      <Advanced>
        <ModelSelect value={model} onChange={setModel} />
        <TemperatureSlider value={temperature} onChange={setTemperature} />
      </Advanced>

      {problems.length > 0 && selection ? (
        <ul aria-label="Before running" data-testid="fill-problems">
          {problems.map((p) => (
            <li key={p}>
              <Text size={200}>{p}</Text>
            </li>
          ))}
        </ul>
      ) : null}
      {reading ? <Spinner size="tiny" label="Reading the cells…" /> : null}
      {plan && estimate && problems.length === 0 ? (
        <div className={styles.card} data-testid="fill-estimate" role="status">
          <Text weight="semibold">
            {plan.rows.length} row{plan.rows.length === 1 ? "" : "s"} to fill
          </Text>
          {plan.blank.length > 0 ? (
            <Text size={200}>{plan.blank.length} with empty input skipped</Text>
          ) : null}
          {plan.filled.length > 0 ? (
            <Text size={200}>{plan.filled.length} already answered skipped</Text>
          ) : null}
          <Text size={200}>
            Estimated cost:{" "}
            {estimate.usd === null
              ? "unknown (model price not known)"
              : `about ${formatUsd(estimate.usd)}`}{" "}
            ({estimate.inputTokens.toLocaleString()} input tokens, about{" "}
            {estimate.outputTokens.toLocaleString()} output at ~{ASSUMED_OUTPUT_TOKENS} per answer
            {modelInfo ? `, ${modelInfo.id}` : ""})
          </Text>
        </div>
      ) : null}
      <ErrorNotice error={error} />
      {run ? <FailedRows run={run} /> : null}
      <div className={styles.footer}>
        {run ? <RunProgress run={run} /> : null}
        <div className={styles.row}>
          <Button
            appearance="primary"
            disabled={!plan || plan.rows.length === 0 || problems.length > 0 || running}
            onClick={() => void start()}
          >
            Run
          </Button>
        </div>
      </div>
    </div>
  );
}

function neededColumns(
  block: CellBlock,
  references: ReadonlyMap<string, number>,
  output: number | null,
): number[] {
  const columns = new Set<number>();
  const last = Math.min(block.lastColumn, block.firstColumn + MAX_SELECTION_COLUMNS - 1);
  for (let c = block.firstColumn; c <= last; c++) columns.add(c);
  for (const c of references.values()) columns.add(c);
  if (output !== null) columns.add(output);
  return [...columns].sort((a, b) => a - b);
}

function RunProgress(props: { run: ActiveRun }) {
  const styles = useStyles();
  const { runner, snapshot, outputColumn } = props.run;
  const { status, total, done, failed, pending, notice } = snapshot;
  const finished = done + failed.length;
  const letter = columnLetter(outputColumn);
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (!snapshot.resumeAt) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [snapshot.resumeAt]);

  const summary =
    status === "done"
      ? `Done: ${done} of ${total} rows filled in column ${letter}${failed.length ? `, ${failed.length} failed` : ""}.`
      : status === "cancelled"
        ? `Cancelled: ${done} of ${total} rows filled; ${pending} not run.`
        : status === "paused"
          ? `Paused: ${done} of ${total} rows filled; ${pending} to go.`
          : status === "cancelling"
            ? "Cancelling…"
            : status === "pausing"
              ? `Pausing after the rows in progress… ${done} of ${total} filled.`
              : `${done} of ${total} rows filled${failed.length ? `, ${failed.length} failed` : ""}…`;

  return (
    <div className={styles.stack} data-testid="fill-run" data-status={status}>
      <Field label="Progress" validationState={failed.length > 0 ? "warning" : "none"}>
        <ProgressBar
          value={total === 0 ? 1 : finished / total}
          max={1}
          thickness="large"
          color={failed.length > 0 ? "warning" : status === "done" ? "success" : "brand"}
          aria-valuetext={`${finished} of ${total} rows`}
        />
      </Field>
      <Text aria-live="polite" role="status" data-testid="fill-status">
        {summary}
      </Text>
      {notice ? (
        <Notice intent="warning" title="Paused">
          {notice}
          {snapshot.resumeAt
            ? ` Resuming by itself in ${Math.max(0, Math.ceil((snapshot.resumeAt - now) / 1000))} s.`
            : ""}
        </Notice>
      ) : null}
      <div className={styles.row}>
        {status === "running" ? <Button onClick={() => runner.pause()}>Pause</Button> : null}
        {status === "paused" || status === "pausing" ? (
          <Button appearance="primary" onClick={() => runner.resume()}>
            Resume
          </Button>
        ) : null}
        {["running", "pausing", "paused"].includes(status) ? (
          <Button onClick={() => runner.cancel()}>Cancel</Button>
        ) : null}
        {failed.length > 0 && status !== "cancelling" ? (
          <Button onClick={() => runner.retry()}>Retry {failed.length} failed</Button>
        ) : null}
      </div>
    </div>
  );
}

/** The rows that failed, each with its own Retry (above the footer: the list can be long). */
function FailedRows(props: { run: ActiveRun }) {
  const styles = useStyles();
  const { runner, snapshot, sheet, outputColumn } = props.run;
  const { status, failed } = snapshot;
  const letter = columnLetter(outputColumn);
  if (failed.length === 0) return null;
  return (
    <div className={styles.stack}>
      <Text weight="semibold" id="fill-failed-label">
        Failed rows (marked in column {letter})
      </Text>
      <ul className={styles.list} aria-labelledby="fill-failed-label" data-testid="fill-failed">
        {failed.slice(0, 50).map((f) => (
          <li key={f.row} className={styles.row}>
            <Text size={200}>
              {sheet}!{letter}
              {f.row}: {f.message}
            </Text>
            <Button
              size="small"
              onClick={() => runner.retry([f.row])}
              disabled={status === "cancelling"}
              aria-label={`Retry row ${f.row}`}
            >
              Retry
            </Button>
          </li>
        ))}
      </ul>
      {failed.length > 50 ? <Text size={200}>…and {failed.length - 50} more.</Text> : null}
    </div>
  );
}
