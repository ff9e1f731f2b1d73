import { Badge, Field, Select, Text } from "@fluentui/react-components";
import { useState } from "react";
import type { AdminApi, ModelHealth } from "../api.ts";
import { useLoad } from "../load.ts";
import { DataTable, integer, LoadedView, Toolbar } from "../parts.tsx";

type CatalogEntry = ModelHealth["models"][number];
type HealthEntry = ModelHealth["health"][number];

const price = (usdPerMillion: number) => `$${usdPerMillion} / M`;
const milliseconds = (value: number | null) =>
  value === null ? "—" : `${integer(Math.round(value))} ms`;

export default function Models(props: { api: AdminApi }) {
  const [hours, setHours] = useState("24");
  const [loaded, reload] = useLoad(async () => {
    const [models, system] = await Promise.all([
      props.api.models(Number(hours)),
      props.api.system(),
    ]);
    return { models, system };
  }, hours);
  return (
    <LoadedView loaded={loaded} what="providers and models" retry={reload}>
      {({ models, system }) => (
        <>
          <section aria-labelledby="providers">
            <h2 id="providers">Providers configured</h2>
            {system.demoOnly ? (
              <Text as="p">
                No provider is configured: the offline demo answers. Set a provider&apos;s key on
                the server to offer its models.
              </Text>
            ) : null}
            <DataTable
              caption="Providers"
              rows={system.providers}
              rowKey={(p) => p.name}
              empty="No provider."
              columns={[
                { title: "Provider", text: (p) => p.name },
                { title: "Models offered", text: (p) => integer(p.models), numeric: true },
              ]}
            />
          </section>
          <section aria-labelledby="catalog">
            <h2 id="catalog">Catalog (version {models.catalogVersion})</h2>
            <DataTable<CatalogEntry>
              caption="Catalog"
              csvName="models.csv"
              rows={models.models}
              rowKey={(m) => `${m.provider}/${m.id}`}
              empty="No model is offered."
              columns={[
                {
                  title: "Model",
                  text: (m) => m.id,
                  render: (m) => (
                    <>
                      {m.id} {m.default ? <Badge appearance="outline">default</Badge> : null}
                    </>
                  ),
                },
                { title: "Provider", text: (m) => m.provider },
                { title: "Context", text: (m) => integer(m.contextWindow), numeric: true },
                { title: "Max output", text: (m) => integer(m.maxOutputTokens), numeric: true },
                { title: "Input price", text: (m) => price(m.pricePerMillionTokens.input) },
                { title: "Output price", text: (m) => price(m.pricePerMillionTokens.output) },
                { title: "Structured output", text: (m) => (m.structuredOutput ? "yes" : "no") },
              ]}
            />
          </section>
          <section aria-labelledby="health">
            <h2 id="health">Recent errors and latency</h2>
            <Toolbar label="Window">
              <Field label="Over the last">
                <Select value={hours} onChange={(_, d) => setHours(d.value)}>
                  <option value="1">hour</option>
                  <option value="24">24 hours</option>
                  <option value="168">7 days</option>
                  <option value="720">30 days</option>
                </Select>
              </Field>
            </Toolbar>
            <DataTable<HealthEntry>
              caption="Model health"
              csvName={`model-health_${hours}h.csv`}
              rows={models.health}
              rowKey={(m) => `${m.provider}/${m.model}`}
              empty="No calls in this window."
              columns={[
                { title: "Model", text: (m) => m.model },
                { title: "Provider", text: (m) => m.provider },
                { title: "Calls", text: (m) => integer(m.calls), numeric: true },
                { title: "Failed", text: (m) => integer(m.failedCalls), numeric: true },
                {
                  title: "Error rate",
                  text: (m) => `${(m.errorRate * 100).toFixed(1)}%`,
                  numeric: true,
                },
                { title: "Cached", text: (m) => integer(m.cachedCalls), numeric: true },
                {
                  title: "Average latency",
                  text: (m) => milliseconds(m.averageLatencyMs),
                  numeric: true,
                },
                { title: "Slowest", text: (m) => milliseconds(m.maxLatencyMs), numeric: true },
              ]}
            />
          </section>
        </>
      )}
    </LoadedView>
  );
}
