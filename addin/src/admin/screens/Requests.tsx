import { Badge, Field, Input } from "@fluentui/react-components";
import { formatUsd } from "../../shared/money.ts";
import type { AdminApi, LedgerRow } from "../api.ts";
import {
  ChoiceFilter,
  CursorPager,
  FilterBar,
  useFilteredPages,
  type Choice,
} from "../filtered-pages.tsx";
import { useLoad } from "../load.ts";
import { DataTable, formatTime, integer, LoadedView } from "../parts.tsx";

interface Filters {
  requestId: string;
  tokenId: string;
  model: string;
  status: string;
  cached: string;
  /** datetime-local values, in the admin's own zone. */
  since: string;
  until: string;
}
const none: Filters = {
  requestId: "",
  tokenId: "",
  model: "",
  status: "",
  cached: "",
  since: "",
  until: "",
};
const statuses: Choice[] = [
  { value: "ok", label: "ok" },
  { value: "error", label: "error" },
];
const cachedChoices: Choice[] = [
  { value: "true", label: "From the cache" },
  { value: "false", label: "From the provider" },
];
const iso = (local: string) => (local ? new Date(local).toISOString() : undefined);

export default function Requests(props: { api: AdminApi }) {
  const { api } = props;
  const pages = useFilteredPages(none);
  const { draft, edit, filters } = pages;
  const [options] = useLoad(async () => {
    const [tokens, models] = await Promise.all([api.tokens(), api.models(24 * 31)]);
    // The models offered, and those called of late that are offered no more.
    const ids = new Set([...models.models.map((m) => m.id), ...models.health.map((m) => m.model)]);
    return { tokens: tokens.tokens, models: [...ids].sort() };
  }, "options");
  const [loaded, reload] = useLoad(
    () =>
      api.requests({
        requestId: filters.requestId.trim(),
        tokenId: filters.tokenId,
        model: filters.model,
        status: filters.status,
        cached: filters.cached,
        since: iso(filters.since),
        until: iso(filters.until),
        limit: 50,
        cursor: pages.cursor,
      }),
    pages.key,
  );
  const tokens = options.state === "ready" ? options.data.tokens : [];
  const models = options.state === "ready" ? options.data.models : [];
  return (
    <>
      <FilterBar label="Request filters" submit="Search" pages={pages} clearable>
        <Field label="Request id">
          <Input
            value={draft.requestId}
            placeholder="req_…"
            onChange={(_, d) => edit({ requestId: d.value })}
          />
        </Field>
        <ChoiceFilter
          label="Token"
          value={draft.tokenId}
          choices={tokens.map((t) => ({ value: t.id, label: t.name }))}
          onChange={(tokenId) => edit({ tokenId })}
        />
        <ChoiceFilter
          label="Model"
          value={draft.model}
          choices={models}
          onChange={(model) => edit({ model })}
        />
        <ChoiceFilter
          label="Status"
          value={draft.status}
          choices={statuses}
          onChange={(status) => edit({ status })}
        />
        <ChoiceFilter
          label="Cached"
          value={draft.cached}
          choices={cachedChoices}
          onChange={(cached) => edit({ cached })}
        />
        <Field label="From">
          <Input
            type="datetime-local"
            value={draft.since}
            onChange={(_, d) => edit({ since: d.value })}
          />
        </Field>
        <Field label="Until">
          <Input
            type="datetime-local"
            value={draft.until}
            onChange={(_, d) => edit({ until: d.value })}
          />
        </Field>
      </FilterBar>
      <LoadedView loaded={loaded} what="requests" retry={reload}>
        {(page) => (
          <>
            <DataTable<LedgerRow>
              caption="Requests"
              csvName="requests.csv"
              rows={page.rows}
              rowKey={(row) => row.id}
              empty={
                filters.requestId
                  ? `No call with request id ${filters.requestId.trim()}.`
                  : "No calls match these filters."
              }
              columns={[
                { title: "Time", text: (row) => formatTime(row.createdAt) },
                { title: "Request id", text: (row) => row.requestId },
                { title: "Token", text: (row) => row.tokenName ?? row.tokenId },
                { title: "Model", text: (row) => row.model },
                {
                  title: "Status",
                  text: (row) => (row.errorCode ? `error: ${row.errorCode}` : row.status),
                  render: (row) =>
                    row.errorCode ? (
                      <Badge color="danger">{row.errorCode}</Badge>
                    ) : (
                      <Badge color="success">ok</Badge>
                    ),
                },
                { title: "Cached", text: (row) => (row.cached ? "yes" : "no") },
                { title: "Input", text: (row) => integer(row.inputTokens), numeric: true },
                { title: "Output", text: (row) => integer(row.outputTokens), numeric: true },
                { title: "Cost", text: (row) => formatUsd(row.costUsd), numeric: true },
                { title: "Latency", text: (row) => `${integer(row.latencyMs)} ms`, numeric: true },
              ]}
            />
            <CursorPager label="Requests" pages={pages} nextCursor={page.nextCursor} />
          </>
        )}
      </LoadedView>
    </>
  );
}
