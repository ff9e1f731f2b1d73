import {
  Button,
  Field,
  Radio,
  RadioGroup,
  Select,
  Spinner,
  Text,
} from "@fluentui/react-components";
import { useCallback, useEffect, useState } from "react";
import { getUsage, type UsageReport } from "../api.ts";
import { formatUsd } from "../../shared/money.ts";
import { ErrorNotice, NeedsConnection, useStyles } from "../components.tsx";
import { BarChart, daysBetween } from "../UsageChart.tsx";
import { useSession } from "../session.tsx";

type Period = "month" | "7" | "30";
type Metric = "calls" | "cost";

const today = () => new Date().toISOString().slice(0, 10);
const daysAgo = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 10);

/** The dates to ask for; this month is the backend's default (by its own clock). */
export function rangeFor(period: Period): { from?: string; to?: string } {
  if (period === "month") return {};
  return { from: daysAgo(Number(period) - 1), to: today() };
}

export function UsageTab() {
  const session = useSession();
  if (!session.client) return <NeedsConnection />;
  return <Usage />;
}

function Usage() {
  const styles = useStyles();
  const { client: sessionClient, retryVersion } = useSession();
  const client = sessionClient!;
  const [period, setPeriod] = useState<Period>("month");
  const [metric, setMetric] = useState<Metric>("calls");
  const [report, setReport] = useState<UsageReport | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const load = useCallback(
    async (signal?: AbortSignal) => {
      setLoading(true);
      setError(null);
      try {
        setReport(await getUsage(client, rangeFor(period), signal));
      } catch (caught) {
        if (!signal?.aborted) setError(caught);
      } finally {
        setLoading(false);
      }
    },
    [client, period],
  );

  useEffect(() => {
    const abort = new AbortController();
    void load(abort.signal);
    return () => abort.abort();
  }, [load, retryVersion]);

  const byDay = new Map(report?.byDay.map((d) => [d.day, d]));
  const points = report
    ? daysBetween(report.from, report.to).map((day) => ({
        label: day.slice(5),
        value: (metric === "calls" ? byDay.get(day)?.calls : byDay.get(day)?.costUsd) ?? 0,
      }))
    : [];
  const format = metric === "calls" ? (v: number) => String(v) : formatUsd;

  return (
    <div className={styles.stack}>
      <div className={styles.row}>
        <Field label="Period">
          <Select value={period} onChange={(_e, d) => setPeriod(d.value as Period)}>
            <option value="month">This month</option>
            <option value="7">Last 7 days</option>
            <option value="30">Last 30 days</option>
          </Select>
        </Field>
        <Button onClick={() => void load()} disabled={loading}>
          Refresh
        </Button>
      </div>
      {loading && !report ? <Spinner size="tiny" label="Loading usage…" /> : null}
      <ErrorNotice error={error} />
      {report ? (
        <>
          <div className={styles.card} data-testid="usage-totals" aria-live="polite">
            <Text weight="semibold">
              {formatUsd(report.totals.costUsd)} · {report.totals.calls} call
              {report.totals.calls === 1 ? "" : "s"}
            </Text>
            <Text size={200}>
              {report.from} to {report.to} (UTC) · {report.totals.inputTokens.toLocaleString()}{" "}
              input and {report.totals.outputTokens.toLocaleString()} output tokens ·{" "}
              {report.totals.cachedCalls} from cache · {report.totals.failedCalls} failed
            </Text>
          </div>
          <RadioGroup
            layout="horizontal"
            value={metric}
            onChange={(_e, d) => setMetric(d.value as Metric)}
            aria-label="Chart shows"
          >
            <Radio value="calls" label="Calls per day" />
            <Radio value="cost" label="Cost per day" />
          </RadioGroup>
          <BarChart
            points={points}
            format={format}
            description={`${metric === "calls" ? "Calls" : "Cost"} per day from ${report.from} to ${report.to}: ${
              report.byDay.length === 0
                ? "none"
                : report.byDay
                    .map((d) => `${d.day} ${metric === "calls" ? d.calls : formatUsd(d.costUsd)}`)
                    .join(", ")
            }`}
          />
          <table className={styles.table} aria-label="Usage by model">
            <thead>
              <tr>
                <th scope="col">Model</th>
                <th scope="col" className="number">
                  Calls
                </th>
                <th scope="col" className="number">
                  Tokens
                </th>
                <th scope="col" className="number">
                  Cost
                </th>
              </tr>
            </thead>
            <tbody>
              {report.byModel.length === 0 ? (
                <tr>
                  <td colSpan={4}>No calls in this period.</td>
                </tr>
              ) : (
                report.byModel.map((m) => (
                  <tr key={`${m.provider}/${m.model}`}>
                    <td>{m.model}</td>
                    <td className="number">{m.calls}</td>
                    <td className="number">{(m.inputTokens + m.outputTokens).toLocaleString()}</td>
                    <td className="number">{formatUsd(m.costUsd)}</td>
                  </tr>
                ))
              )}
            </tbody>
          </table>
          {report.byDay.length > 0 ? (
            <details>
              <summary>
                <Text size={200}>Days as a table</Text>
              </summary>
              <table className={styles.table} aria-label="Usage by day">
                <thead>
                  <tr>
                    <th scope="col">Day</th>
                    <th scope="col" className="number">
                      Calls
                    </th>
                    <th scope="col" className="number">
                      Cost
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {report.byDay.map((d) => (
                    <tr key={d.day}>
                      <td>{d.day}</td>
                      <td className="number">{d.calls}</td>
                      <td className="number">{formatUsd(d.costUsd)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </details>
          ) : null}
        </>
      ) : null}
    </div>
  );
}
