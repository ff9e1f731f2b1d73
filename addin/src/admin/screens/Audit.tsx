import { Field, Input } from "@fluentui/react-components";
import type { AdminApi, AuditEntry } from "../api.ts";
import { ChoiceFilter, CursorPager, FilterBar, useFilteredPages } from "../filtered-pages.tsx";
import { useLoad } from "../load.ts";
import { DataTable, formatTime, LoadedView } from "../parts.tsx";

const actions = [
  "token.created",
  "token.updated",
  "token.rotated",
  "token.revoked",
  "settings.changed",
  "calendar.connected",
  "calendar.disconnected",
  "backup.taken",
];

interface Filters {
  action: string;
  actorTokenId: string;
  subject: string;
  since: string;
  until: string;
}
const none: Filters = { action: "", actorTokenId: "", subject: "", since: "", until: "" };

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** An entry's detail in one line: a change as `budgetUsd: 5 → 10`, anything else as JSON. */
function describe(detail: Record<string, unknown>): string {
  const fields = isRecord(detail.changes) ? { ...detail, ...detail.changes } : detail;
  return Object.entries(fields)
    .filter(([key]) => !(key === "changes" && isRecord(detail.changes)))
    .map(([key, value]) =>
      isRecord(value) && "from" in value && "to" in value
        ? `${key}: ${JSON.stringify(value.from)} → ${JSON.stringify(value.to)}`
        : `${key}: ${JSON.stringify(value)}`,
    )
    .join("; ");
}

export default function Audit(props: { api: AdminApi }) {
  const { api } = props;
  const pages = useFilteredPages(none);
  const { draft, edit, filters } = pages;
  const [loadedTokens] = useLoad(() => api.tokens(), "tokens");
  const [loaded, reload] = useLoad(
    () =>
      api.audit({
        ...filters,
        since: filters.since ? `${filters.since}T00:00:00.000Z` : undefined,
        until: filters.until
          ? new Date(Date.parse(`${filters.until}T00:00:00.000Z`) + 86_400_000).toISOString()
          : undefined,
        limit: 50,
        cursor: pages.cursor,
      }),
    pages.key,
  );
  const tokens = loadedTokens.state === "ready" ? loadedTokens.data.tokens : [];
  const names = new Map(tokens.map((t) => [t.id, t.name]));
  const name = (id: string | null) => (id === null ? "the command line" : (names.get(id) ?? id));
  return (
    <>
      <FilterBar label="Audit filters" submit="Filter" pages={pages}>
        <ChoiceFilter
          label="Action"
          value={draft.action}
          choices={actions}
          onChange={(action) => edit({ action })}
        />
        <ChoiceFilter
          label="By"
          any="Anyone"
          value={draft.actorTokenId}
          choices={tokens.map((t) => ({ value: t.id, label: t.name }))}
          onChange={(actorTokenId) => edit({ actorTokenId })}
        />
        <Field label="Subject (token id)">
          <Input value={draft.subject} onChange={(_, d) => edit({ subject: d.value })} />
        </Field>
        <Field label="From (UTC day)">
          <Input type="date" value={draft.since} onChange={(_, d) => edit({ since: d.value })} />
        </Field>
        <Field label="To (UTC day)">
          <Input type="date" value={draft.until} onChange={(_, d) => edit({ until: d.value })} />
        </Field>
      </FilterBar>
      <LoadedView loaded={loaded} what="the audit log" retry={reload}>
        {(page) => (
          <>
            <DataTable<AuditEntry>
              caption="Audit log"
              csvName="audit.csv"
              rows={page.entries}
              rowKey={(entry) => entry.id}
              empty="No audit entries match these filters."
              columns={[
                { title: "When", text: (entry) => formatTime(entry.createdAt) },
                { title: "Who", text: (entry) => name(entry.actorTokenId) },
                { title: "What", text: (entry) => entry.action },
                {
                  title: "Subject",
                  text: (entry) => (entry.subject === null ? "—" : name(entry.subject)),
                },
                { title: "Detail", text: (entry) => describe(entry.detail) },
              ]}
            />
            <CursorPager label="Audit log" pages={pages} nextCursor={page.nextCursor} />
          </>
        )}
      </LoadedView>
    </>
  );
}
