import { Badge, Button, Text } from "@fluentui/react-components";
import { useState, type ReactNode } from "react";
import type { AdminApi } from "../api.ts";
import { useLoad } from "../load.ts";
import { Failure, formatTime, integer, LoadedView, Toolbar } from "../parts.tsx";

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

type BackupState =
  | { kind: "idle" }
  | { kind: "busy" }
  | { kind: "done"; text: string }
  | { kind: "failed"; message: string };

/**
 * Takes a backup now (kept apart from the scheduled ones), and says what it holds or why it could not. Its state is the
 * screen's, so that what it says outlives the reload that shows the new last backup.
 */
function BackUpNow(props: {
  api: AdminApi;
  enabled: boolean;
  state: BackupState;
  setState(state: BackupState): void;
  taken(): void;
}) {
  const { state, setState } = props;
  const run = async () => {
    setState({ kind: "busy" });
    try {
      const taken = await props.api.backupNow();
      setState({
        kind: "done",
        text: `Backed up at ${formatTime(taken.at)}: ${count(taken.tokens, "token")}, ${count(taken.usage, "ledger row")}, ${count(taken.auditLog, "audit log row")}.`,
      });
      props.taken();
    } catch (error) {
      setState({ kind: "failed", message: error instanceof Error ? error.message : String(error) });
    }
  };
  return (
    <>
      <Toolbar label="Backup">
        <Button disabled={!props.enabled || state.kind === "busy"} onClick={() => void run()}>
          {state.kind === "busy" ? "Backing up…" : "Back up now"}
        </Button>
        {props.enabled ? null : (
          <Text>
            Scheduled backups are off on this server: they need BACKUP_DIR, on SQLite (PostgreSQL is
            backed up with its own tools).
          </Text>
        )}
      </Toolbar>
      {state.kind === "done" ? (
        <Text as="p" role="status" data-testid="backup-taken">
          {state.text}
        </Text>
      ) : null}
      {state.kind === "failed" ? <Failure message={state.message} /> : null}
    </>
  );
}

export default function System(props: { api: AdminApi }) {
  const [backup, setBackup] = useState<BackupState>({ kind: "idle" });
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
          <BackUpNow
            api={props.api}
            enabled={system.backupsEnabled}
            state={backup}
            setState={setBackup}
            taken={reload}
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
