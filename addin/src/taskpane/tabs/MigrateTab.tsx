/**
 * Migrate: finds the workbook's =COPILOT(), Cellm =PROMPT… and =LABS.GENERATIVEAI() formulas,
 * shows each change before and after, applies all, a sheet's or one, and restores the last
 * migration. Self-contained: it needs only the session's Excel bridge and models.
 */
import {
  Accordion,
  AccordionHeader,
  AccordionItem,
  AccordionPanel,
  Badge,
  Button,
  ProgressBar,
  Text,
  makeStyles,
  tokens,
} from "@fluentui/react-components";
import { useCallback, useEffect, useMemo, useState } from "react";
import type { ExcelBridge } from "../../office/index.ts";
import type { ScanProgress } from "../../office/formulas.ts";
import {
  applyFindings,
  readMigrationRecord,
  readPromptInputs,
  restoreLastMigration,
  scanWorkbook,
  type ApplyResult,
  type MigrationRecord,
  type RestoreResult,
} from "../../migrate/migration.ts";
import {
  appliesInBulk,
  estimatePrompts,
  groupBySheet,
  type Finding,
  type PromptInputs,
  type SheetGroup,
} from "../../migrate/plan.ts";
import { ErrorNotice, NeedsExcel, Notice, useStyles } from "../components.tsx";
import { formatUsd } from "../../shared/money.ts";
import { useSession } from "../session.tsx";

const useMigrateStyles = makeStyles({
  formula: {
    fontFamily: tokens.fontFamilyMonospace,
    fontSize: tokens.fontSizeBase200,
    whiteSpace: "pre-wrap",
    overflowWrap: "anywhere",
    margin: 0,
  },
  before: { color: tokens.colorNeutralForeground3, textDecorationLine: "line-through" },
  reason: { color: tokens.colorPaletteDarkOrangeForeground1 },
  item: {
    display: "flex",
    flexDirection: "column",
    gap: tokens.spacingVerticalXXS,
    paddingBottom: tokens.spacingVerticalS,
    borderBottom: `1px solid ${tokens.colorNeutralStroke2}`,
  },
  badges: { display: "flex", flexWrap: "wrap", gap: tokens.spacingHorizontalXS },
});

export function MigrateTab() {
  const session = useSession();
  if (session.excel.kind !== "excel") return <NeedsExcel feature="Migrate" />;
  return <Migrate bridge={session.excel.bridge} />;
}

type Outcome =
  | { kind: "applied"; result: ApplyResult }
  | { kind: "restored"; result: RestoreResult }
  | { kind: "nothing-to-restore" };

function Migrate(props: { bridge: ExcelBridge }) {
  const { bridge } = props;
  const styles = useStyles();
  const { models } = useSession();
  const [findings, setFindings] = useState<Finding[] | null>(null);
  const [inputs, setInputs] = useState<PromptInputs | undefined>(undefined);
  const [progress, setProgress] = useState<ScanProgress | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [record, setRecord] = useState<MigrationRecord | null>(null);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const [error, setError] = useState<unknown>(null);

  const refreshRecord = useCallback(
    () => readMigrationRecord(bridge).then(setRecord, setError),
    [bridge],
  );
  useEffect(() => void refreshRecord(), [refreshRecord]);

  async function task(label: string, work: () => Promise<void>) {
    setBusy(label);
    setError(null);
    try {
      await work();
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(null);
      setProgress(null);
    }
  }

  const scan = () =>
    task("Scanning…", async () => {
      setOutcome(null);
      const found = await scanWorkbook(bridge, {
        ...(models ? { models: models.models } : {}),
        onProgress: setProgress,
      });
      setInputs(
        await readPromptInputs(
          bridge,
          found.filter((finding) => finding.writable),
        ),
      );
      setFindings(found);
    });

  const apply = (chosen: Finding[]) =>
    task(`Converting ${chosen.length} formula${chosen.length === 1 ? "" : "s"}…`, async () => {
      const result = await applyFindings(bridge, chosen);
      const done = new Set(result.written.map((finding) => finding.id));
      setFindings((all) => all?.filter((finding) => !done.has(finding.id)) ?? null);
      setOutcome({ kind: "applied", result });
      await refreshRecord();
    });

  const restore = () =>
    task("Restoring…", async () => {
      const result = await restoreLastMigration(bridge);
      setOutcome(result ? { kind: "restored", result } : { kind: "nothing-to-restore" });
      setFindings(null);
      await refreshRecord();
    });

  const groups = useMemo(() => (findings ? groupBySheet(findings) : []), [findings]);
  const bulk = useMemo(() => findings?.filter(appliesInBulk) ?? [], [findings]);
  const model = models?.models.find((m) => m.id === models.defaultModel);
  const estimate = useMemo(
    () => (bulk.length > 0 ? estimatePrompts(bulk, models ?? undefined, inputs) : null),
    [bulk, models, inputs],
  );

  return (
    <div className={styles.stack} data-testid="migrate">
      <Text>
        Finds the formulas that call the retired <code>=COPILOT()</code>, Cellm&apos;s{" "}
        <code>=PROMPT…</code> and Excel Labs&apos; <code>=LABS.GENERATIVEAI()</code> on every sheet,
        and converts them to <code>=LLM.*</code> after you review each change. Restore puts the
        originals back.
      </Text>
      <div className={styles.row}>
        <Button appearance="primary" disabled={busy !== null} onClick={() => void scan()}>
          {findings ? "Scan again" : "Scan the workbook"}
        </Button>
      </div>

      {record ? (
        <div className={styles.card} data-testid="migrate-record">
          <Text weight="semibold">Last migration</Text>
          <Text>
            {record.changes.length} formula{record.changes.length === 1 ? "" : "s"} converted (
            {new Date(record.at).toLocaleString()}). The originals are kept in this workbook.
          </Text>
          <div className={styles.row}>
            <Button disabled={busy !== null} onClick={() => void restore()}>
              Restore the originals
            </Button>
          </div>
        </div>
      ) : null}

      <div role="status" data-testid="migrate-status">
        {busy ? <Text>{busy}</Text> : null}
        {progress ? (
          <>
            <Text size={200}>
              {progress.sheet}: {progress.rowsRead} of {progress.rows} rows (sheet{" "}
              {progress.sheetIndex + 1} of {progress.sheets})
            </Text>
            <ProgressBar
              value={(progress.sheetIndex + progress.rowsRead / progress.rows) / progress.sheets}
              aria-label="Scan progress"
            />
          </>
        ) : null}
        {outcome ? <OutcomeText outcome={outcome} /> : null}
      </div>
      <ErrorNotice error={error} title="Could not migrate" />

      {findings && !busy ? (
        findings.length === 0 ? (
          <Notice intent="success">
            No COPILOT(), Cellm or Excel Labs formulas left in this workbook.
          </Notice>
        ) : (
          <Findings
            findings={findings}
            groups={groups}
            bulk={bulk}
            estimate={estimate}
            modelName={model?.id}
            disabled={busy !== null}
            onApply={(chosen) => void apply(chosen)}
          />
        )
      ) : null}
    </div>
  );
}

function OutcomeText(props: { outcome: Outcome }) {
  const { outcome } = props;
  if (outcome.kind === "nothing-to-restore")
    return <Text>There is no migration to restore in this workbook.</Text>;
  const [done, changed, failed] =
    outcome.kind === "applied"
      ? [outcome.result.written.length, outcome.result.changed.length, outcome.result.failed]
      : [outcome.result.restored.length, outcome.result.changed.length, outcome.result.failed];
  const verb = outcome.kind === "applied" ? "Converted" : "Restored";
  return (
    <Text>
      {verb} {done} formula{done === 1 ? "" : "s"}.
      {outcome.kind === "applied" && done > 0
        ? " Excel computes them as they are written (at the next recalculation when calculation is manual)."
        : ""}
      {changed > 0 ? ` ${changed} changed since and were left as they are.` : ""}
      {failed.length > 0 ? ` ${failed.length} could not be written: ${failed[0]!.message}` : ""}
    </Text>
  );
}

function Findings(props: {
  findings: Finding[];
  groups: SheetGroup[];
  bulk: Finding[];
  estimate: ReturnType<typeof estimatePrompts> | null;
  modelName: string | undefined;
  disabled: boolean;
  onApply(findings: Finding[]): void;
}) {
  const styles = useStyles();
  const { findings, groups, bulk, estimate } = props;
  const nameErrors = findings.filter((finding) => finding.nameError).length;
  const manual = findings.length - bulk.length;
  return (
    <>
      <div className={styles.card} data-testid="migrate-summary">
        <Text weight="semibold">
          {findings.length} formula{findings.length === 1 ? "" : "s"} on {groups.length} sheet
          {groups.length === 1 ? "" : "s"}
        </Text>
        <Text>
          {bulk.length} convert exactly
          {manual > 0
            ? `; ${manual} need${manual === 1 ? "s" : ""} you (see the reasons below)`
            : ""}
          .{nameErrors > 0 ? ` ${nameErrors} show #NAME? now.` : ""}
        </Text>
        {estimate ? (
          <Text data-testid="migrate-estimate">
            Converted, they send {estimate.unread > 0 ? "up to " : ""}
            {estimate.distinct} distinct prompt{estimate.distinct === 1 ? "" : "s"} (
            {estimate.calls} calls; calls that ask the same are asked once). Estimated cost:{" "}
            {estimate.usd === null ? "unknown" : `about ${formatUsd(estimate.usd)}`}
            {props.modelName ? ` with ${props.modelName} where a formula names no model` : ""}
            {estimate.unread > 0 ? ", more for the cells they read" : ""}.
          </Text>
        ) : null}
        {props.modelName === undefined ? (
          <Text size={200}>
            Connect (on the Connect tab) to have the models the formulas name checked against your
            backend&apos;s, and to see an estimated cost.
          </Text>
        ) : null}
        <div className={styles.row}>
          <Button
            appearance="primary"
            disabled={props.disabled || bulk.length === 0}
            onClick={() => props.onApply(bulk)}
          >
            Convert all ({bulk.length})
          </Button>
        </div>
      </div>
      <Accordion multiple collapsible>
        {groups.map((group) => (
          <SheetFindings
            key={group.sheet}
            group={group}
            disabled={props.disabled}
            onApply={props.onApply}
          />
        ))}
      </Accordion>
    </>
  );
}

/** A sheet's findings; long lists show their first items until asked for the rest. */
const SHOWN_AT_FIRST = 25;

function SheetFindings(props: {
  group: SheetGroup;
  disabled: boolean;
  onApply(findings: Finding[]): void;
}) {
  const styles = useStyles();
  const local = useMigrateStyles();
  const { group } = props;
  const [all, setAll] = useState(false);
  const bulk = group.findings.filter(appliesInBulk);
  const shown = all ? group.findings : group.findings.slice(0, SHOWN_AT_FIRST);
  return (
    <AccordionItem value={group.sheet}>
      <AccordionHeader size="small">
        {group.sheet}: {group.formulas} formula{group.formulas === 1 ? "" : "s"}
      </AccordionHeader>
      <AccordionPanel>
        <div className={styles.stack} data-testid={`migrate-sheet-${group.sheet}`}>
          <div className={local.badges}>
            {group.patterns.map((pattern) => (
              <Badge key={pattern.source} appearance="tint" color="informative">
                {pattern.source} × {pattern.count}
              </Badge>
            ))}
            {group.nameErrors > 0 ? (
              <Badge appearance="tint" color="warning">
                #NAME? × {group.nameErrors}
              </Badge>
            ) : null}
          </div>
          <div className={styles.row}>
            <Button
              size="small"
              disabled={props.disabled || bulk.length === 0}
              onClick={() => props.onApply(bulk)}
            >
              Convert this sheet ({bulk.length})
            </Button>
          </div>
          <ul className={styles.list} aria-label={`Formulas on ${group.sheet}`}>
            {shown.map((finding) => (
              <li key={finding.id} className={local.item}>
                <Text weight="semibold" size={200}>
                  {finding.id}
                  {finding.nameError ? " (#NAME?)" : ""}
                </Text>
                <pre className={`${local.formula} ${local.before}`} aria-label="Before">
                  {finding.before}
                </pre>
                {finding.after !== undefined ? (
                  <pre className={local.formula} aria-label="After">
                    {finding.after}
                  </pre>
                ) : null}
                {finding.reasons.map((reason) => (
                  <Text key={reason} size={200} className={local.reason}>
                    {reason}
                  </Text>
                ))}
                {finding.writable ? (
                  <div className={styles.row}>
                    <Button
                      size="small"
                      appearance={appliesInBulk(finding) ? "secondary" : "outline"}
                      disabled={props.disabled}
                      onClick={() => props.onApply([finding])}
                      aria-label={`Convert ${finding.id}`}
                    >
                      {appliesInBulk(finding) ? "Convert" : "Convert anyway"}
                    </Button>
                  </div>
                ) : null}
              </li>
            ))}
          </ul>
          {group.findings.length > shown.length ? (
            <Button size="small" appearance="transparent" onClick={() => setAll(true)}>
              Show all {group.findings.length}
            </Button>
          ) : null}
        </div>
      </AccordionPanel>
    </AccordionItem>
  );
}
