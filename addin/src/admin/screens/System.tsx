import { Badge, Button, Text } from "@fluentui/react-components";
import type { ReactNode } from "react";
import type { AdminApi } from "../api.ts";
import { useLoad } from "../load.ts";
import { formatTime, integer, LoadedView } from "../parts.tsx";

const bytes = (value: number) =>
  value >= 1024 * 1024
    ? `${(value / 1024 / 1024).toFixed(1)} MB`
    : value >= 1024
      ? `${(value / 1024).toFixed(1)} KB`
      : `${value} B`;

const count = (n: number, noun: string) => `${integer(n)} ${noun}${n === 1 ? "" : "s"}`;

function duration(seconds: number): string {
  const days = Math.floor(seconds / 86_400);
  const hours = Math.floor((seconds % 86_400) / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  return days > 0
    ? `${days} d ${hours} h`
    : hours > 0
      ? `${hours} h ${minutes} min`
      : `${minutes} min`;
}

const health = (status: string | null) =>
  status === null ? (
    <Badge appearance="outline">not configured</Badge>
  ) : status === "ok" ? (
    <Badge color="success">ok</Badge>
  ) : (
    <Badge color="danger">{status}</Badge>
  );

function Facts(props: { rows: [string, ReactNode][] }) {
  return (
    <dl style={{ display: "grid", gridTemplateColumns: "max-content 1fr", gap: "6px 16px" }}>
      {props.rows.map(([term, value]) => (
        <div key={term} style={{ display: "contents" }}>
          <dt style={{ fontWeight: 600 }}>{term}</dt>
          <dd style={{ margin: 0 }}>{value}</dd>
        </div>
      ))}
    </dl>
  );
}

export default function System(props: { api: AdminApi }) {
  const [loaded, reload] = useLoad(async () => {
    const [system, files] = await Promise.all([props.api.system(), props.api.files()]);
    return { system, files };
  }, "system");
  return (
    <LoadedView loaded={loaded} what="the system's status" retry={reload}>
      {({ system, files }) => (
        <>
          <Facts
            rows={[
              ["Version", system.version],
              ["Up for", duration(system.uptimeSeconds)],
              [
                "Store",
                <>
                  {system.store.dialect} {health(system.store.status)}
                </>,
              ],
              ["Redis", health(system.redis.status)],
              [
                "Response cache",
                system.cache
                  ? `${system.cache.kind === "redis" ? "Redis (shared)" : "in memory"}: ${integer(system.cache.entries)} of ${integer(system.cache.maxEntries)} answers, ${bytes(system.cache.bytes)} of ${bytes(system.cache.maxBytes)}`
                  : "cannot be read now",
              ],
              [
                "Model calls in flight",
                `${integer(system.queues.budgetReservations)} (budget holds, every instance)`,
              ],
              [
                "Uploaded files",
                `${count(files.files, "file")} from ${count(files.tokens, "token")}, ${bytes(files.bytes)}, ${integer(files.textChars)} characters of text; each kept ${integer(files.retentionHours)} h`,
              ],
              ["Default model", system.defaultModel],
              [
                "Providers",
                system.demoOnly
                  ? "the offline demo only"
                  : system.providers.map((p) => p.name).join(", "),
              ],
              [
                "Last backup",
                system.lastBackup
                  ? formatTime(system.lastBackup)
                  : "none: no scheduled backup yet, or BACKUP_DIR is not set",
              ],
            ]}
          />
          <Text as="p" size={200}>
            Metrics for monitoring are at /metrics where enabled.
          </Text>
          <Button onClick={reload}>Refresh</Button>
        </>
      )}
    </LoadedView>
  );
}
