/**
 * The user's defaults, kept on the backend per token: the model, temperature and system prompt
 * that Ask, Chat and templates use when they name none (see docs/excel.md, "Settings").
 */
import { Button, Field, Spinner, Text, Textarea } from "@fluentui/react-components";
import { useEffect, useState } from "react";
import {
  ErrorNotice,
  ModelSelect,
  NeedsConnection,
  TemperatureSlider,
  useStyles,
} from "../components.tsx";
import { useSession } from "../session.tsx";
import type { Settings } from "../api.ts";

export function SettingsTab() {
  const session = useSession();
  if (!session.client) return <NeedsConnection />;
  if (!session.settings) return <Spinner size="small" label="Reading your settings…" />;
  return <SettingsForm saved={session.settings} />;
}

function SettingsForm(props: { saved: Settings }) {
  const styles = useStyles();
  const { saveSettings } = useSession();
  const [model, setModel] = useState(props.saved.model ?? "");
  const [temperature, setTemperature] = useState<number | null>(props.saved.temperature);
  const [systemPrompt, setSystemPrompt] = useState(props.saved.systemPrompt ?? "");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [status, setStatus] = useState("");

  // Saved elsewhere (another pane, a retry): show what the backend has.
  useEffect(() => {
    setModel(props.saved.model ?? "");
    setTemperature(props.saved.temperature);
    setSystemPrompt(props.saved.systemPrompt ?? "");
  }, [props.saved]);

  async function save(event: React.FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    setStatus("");
    try {
      await saveSettings({
        model: model || null,
        temperature,
        systemPrompt: systemPrompt.trim() ? systemPrompt : null,
      });
      setStatus("Saved. Ask, Chat and templates use these from now on.");
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className={styles.stack} aria-label="Your defaults" onSubmit={(e) => void save(e)}>
      <Text size={200} className={styles.muted}>
        Your defaults, kept on the backend for your token. The =LLM.* functions use only the model.
      </Text>
      <ModelSelect label="Default model" value={model} onChange={setModel} serverDefault />
      {temperature === null ? (
        <Field label="Default temperature" hint="Not set: Ask and Fill start at 0 (cached).">
          <div className={styles.row}>
            <Button size="small" onClick={() => setTemperature(0)}>
              Set a default temperature
            </Button>
          </div>
        </Field>
      ) : (
        <div className={styles.stack}>
          <TemperatureSlider value={temperature} onChange={setTemperature} />
          <div className={styles.row}>
            <Button size="small" appearance="subtle" onClick={() => setTemperature(null)}>
              Clear the default temperature
            </Button>
          </div>
        </div>
      )}
      <Field
        label="System prompt"
        hint="Sent with every question that brings none of its own, such as “Answer in British English.”"
      >
        <Textarea
          value={systemPrompt}
          onChange={(_event, data) => setSystemPrompt(data.value)}
          rows={4}
          resize="vertical"
        />
      </Field>
      <ErrorNotice error={error} title="Could not save" />
      <div className={styles.footer}>
        <div className={styles.row}>
          <Button type="submit" appearance="primary" disabled={busy}>
            {busy ? "Saving…" : "Save"}
          </Button>
        </div>
        <div role="status" data-testid="settings-status">
          {status ? <Text size={200}>{status}</Text> : null}
        </div>
      </div>
    </form>
  );
}
