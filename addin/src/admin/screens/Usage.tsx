import { Button, Field, Input, makeStyles, Select, Text } from "@fluentui/react-components";
import { useState } from "react";
import { formatUsd, usdToNano } from "../../shared/money.ts";
import { BarChart, daysBetween } from "../../taskpane/UsageChart.tsx";
import type { AdminApi, AdminUsageReport, TokenSummary } from "../api.ts";
import { HorizontalBars } from "../charts.tsx";
import { useLoad } from "../load.ts";
import {
  type Column,
  DataTable,
  Empty,
  integer,
  LoadedView,
  monthStart,
  today,
  Toolbar,
} from "../parts.tsx";

const useStyles = makeStyles({
  grid: {
    display: "grid",
    gridTemplateColumns: "repeat(auto-fit, minmax(min(100%, 340px), 1fr))",
    gap: "24px",
  },
  section: { display: "grid", gap: "8px", alignContent: "start" },
});

type Sums = Omit<AdminUsageReport["byDay"][number], "day">;
/** The columns every breakdown ends with. */
function sumColumns<T extends Sums>(): Column<T>[] {
  return [
    { title: "Calls", text: (row) => integer(row.calls), numeric: true },
    { title: "Input tokens", text: (row) => integer(row.inputTokens), numeric: true },
    { title: "Output tokens", text: (row) => integer(row.outputTokens), numeric: true },
    { title: "Cost", text: (row) => formatUsd(row.costUsd), numeric: true },
  ];
}

/** What the charts show: cost, calls or tokens (input and output). */
const measures = {
  cost: { title: "Cost", of: (row: Sums) => row.costUsd, format: formatUsd },
  calls: { title: "Calls", of: (row: Sums) => row.calls, format: integer },
  tokens: {
    title: "Tokens",
    of: (row: Sums) => row.inputTokens + row.outputTokens,
    format: integer,
  },
} as const;
type Measure = (typeof measures)[keyof typeof measures];

/** Every day of the range, those without calls at zero, so the chart's axis is time. */
function everyDay(report: AdminUsageReport, measure: Measure) {
  const byDay = new Map(report.byDay.map((entry) => [entry.day, measure.of(entry)]));
  return daysBetween(report.from, report.to).map((day) => ({
    label: day,
    value: byDay.get(day) ?? 0,
  }));
}

function Report(props: { report: AdminUsageReport; names: Map<string, string> }) {
  const styles = useStyles();
  const { report } = props;
  const [measureName, setMeasureName] = useState<keyof typeof measures>("cost");
  const measure = measures[measureName];
  const tokenName = (id: string, name: string | null) => name ?? props.names.get(id) ?? id;
  const range = `${report.from}_${report.to}`;
  if (report.totals.calls === 0)
    return (
      <Empty>
        No calls from {report.from} to {report.to}.
      </Empty>
    );
  return (
    <>
      <Text as="p" role="status">
        {integer(report.totals.calls)} calls ({integer(report.totals.cachedCalls)} from the cache,{" "}
        {integer(report.totals.failedCalls)} failed), {formatUsd(report.totals.costUsd)} from{" "}
        {report.from} to {report.to}.
      </Text>
      <Field label="Charts show" style={{ maxWidth: 240 }}>
        <Select
          value={measureName}
          onChange={(_, d) => setMeasureName(d.value as keyof typeof measures)}
        >
          {Object.entries(measures).map(([name, { title }]) => (
            <option key={name} value={name}>
              {title}
            </option>
          ))}
        </Select>
      </Field>
      <div className={styles.grid}>
        <section className={styles.section} aria-labelledby="by-day">
          <h2 id="by-day">By day</h2>
          <BarChart
            points={everyDay(report, measure)}
            format={measure.format}
            description={`${measure.title} by day from ${report.from} to ${report.to}; the numbers are in the table below.`}
          />
          <DataTable
            caption="By day"
            csvName={`usage-by-day_${range}.csv`}
            rows={report.byDay}
            rowKey={(row) => row.day}
            empty="No calls."
            columns={[{ title: "Day", text: (row) => row.day }, ...sumColumns()]}
          />
        </section>
        <section className={styles.section} aria-labelledby="by-token">
          <h2 id="by-token">Top spenders</h2>
          <HorizontalBars
            label={`${measure.title} by token, the ten costliest`}
            format={measure.format}
            entries={report.byToken.slice(0, 10).map((row) => ({
              key: row.tokenId,
              label: tokenName(row.tokenId, row.name),
              value: measure.of(row),
            }))}
          />
          <DataTable
            caption="By token"
            csvName={`usage-by-token_${range}.csv`}
            rows={report.byToken}
            rowKey={(row) => row.tokenId}
            empty="No calls."
            columns={[
              { title: "Token", text: (row) => tokenName(row.tokenId, row.name) },
              ...sumColumns(),
            ]}
          />
        </section>
        <section className={styles.section} aria-labelledby="by-model">
          <h2 id="by-model">By model</h2>
          <HorizontalBars
            label={`${measure.title} by model`}
            format={measure.format}
            entries={report.byModel.map((row) => ({
              key: `${row.provider}/${row.model}`,
              label: row.model,
              value: measure.of(row),
            }))}
          />
          <DataTable
            caption="By model"
            csvName={`usage-by-model_${range}.csv`}
            rows={report.byModel}
            rowKey={(row) => `${row.provider}/${row.model}`}
            empty="No calls."
            columns={[
              { title: "Model", text: (row) => row.model },
              { title: "Provider", text: (row) => row.provider },
              ...sumColumns(),
            ]}
          />
        </section>
      </div>
    </>
  );
}

/**
 * A budget's month: what is left after each day, against the budget. The month's spend comes
 * from the ledger in nano-dollars, so the running total carries no float error.
 */
function BurnDown(props: { api: AdminApi; budgeted: TokenSummary[] }) {
  const [tokenId, setTokenId] = useState(props.budgeted[0]?.id ?? "");
  const token = props.budgeted.find((t) => t.id === tokenId);
  const [loaded, reload] = useLoad(
    () => props.api.usage({ from: monthStart(), to: today(), tokenId }),
    `burn-${tokenId}`,
  );
  if (!token) return <Empty>No token has a monthly budget.</Empty>;
  const budget = usdToNano(token.limits.monthlyBudgetUsd ?? 0);
  return (
    <>
      <Field label="Token">
        <Select value={tokenId} onChange={(_, d) => setTokenId(d.value)}>
          {props.budgeted.map((t) => (
            <option key={t.id} value={t.id}>
              {t.name}
            </option>
          ))}
        </Select>
      </Field>
      <LoadedView loaded={loaded} what="the budget's month" retry={reload}>
        {(report) => {
          const byDay = new Map(report.byDay.map((entry) => [entry.day, usdToNano(entry.costUsd)]));
          let spent = 0;
          const points = daysBetween(report.from, report.to).map((day) => {
            spent += byDay.get(day) ?? 0;
            return { label: day, value: Math.max(budget - spent, 0) / 1e9 };
          });
          return (
            <>
              <Text as="p" role="status" data-testid="burn-down-summary">
                {token.name}: {formatUsd(spent / 1e9)} of {formatUsd(budget / 1e9)} spent this
                month, {formatUsd(Math.max(budget - spent, 0) / 1e9)} left.
              </Text>
              <BarChart
                points={points}
                format={formatUsd}
                description={`Budget left after each day this month for ${token.name}.`}
              />
            </>
          );
        }}
      </LoadedView>
    </>
  );
}

export default function Usage(props: { api: AdminApi }) {
  const { api } = props;
  const styles = useStyles();
  const [from, setFrom] = useState(monthStart);
  const [to, setTo] = useState(today);
  const [asked, setAsked] = useState({ from, to });
  const [loaded, reload] = useLoad(async () => {
    const [report, list] = await Promise.all([api.usage(asked), api.tokens()]);
    return { report, tokens: list.tokens };
  }, `${asked.from}/${asked.to}`);
  return (
    <>
      <Toolbar label="Range">
        <Field label="From">
          <Input type="date" value={from} max={to} onChange={(_, d) => setFrom(d.value)} />
        </Field>
        <Field label="To">
          <Input type="date" value={to} min={from} onChange={(_, d) => setTo(d.value)} />
        </Field>
        <Button appearance="primary" onClick={() => setAsked({ from, to })}>
          Show
        </Button>
      </Toolbar>
      <LoadedView loaded={loaded} what="usage" retry={reload}>
        {({ report, tokens }) => (
          <>
            <Report report={report} names={new Map(tokens.map((t) => [t.id, t.name]))} />
            <section className={styles.section} aria-labelledby="burn-down">
              <h2 id="burn-down">Budget burn-down this month</h2>
              <BurnDown
                api={api}
                budgeted={tokens.filter((t) => !t.revokedAt && t.limits.monthlyBudgetUsd !== null)}
              />
            </section>
          </>
        )}
      </LoadedView>
    </>
  );
}
