import { Button, Field, Input, Spinner, Text, Textarea } from "@fluentui/react-components";
import { useCallback, useEffect, useState } from "react";
import {
  createTemplate,
  deleteTemplate,
  listTemplates,
  updateTemplate,
  type Template,
  type TemplateInput,
} from "../api.ts";
import { ErrorNotice, ModelSelect, NeedsConnection, useStyles } from "../components.tsx";
import { useSession } from "../session.tsx";

export function TemplatesTab() {
  const session = useSession();
  if (!session.client) return <NeedsConnection />;
  return <Templates />;
}

const EMPTY: TemplateInput = {
  name: "",
  body: "",
  description: null,
  systemPrompt: null,
  model: null,
};

function Templates() {
  const styles = useStyles();
  const session = useSession();
  const client = session.client!;
  const [templates, setTemplates] = useState<Template[] | null>(null);
  const [editing, setEditing] = useState<{ id: string | null; input: TemplateInput } | null>(null);
  const [confirmDelete, setConfirmDelete] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [status, setStatus] = useState("");

  const reload = useCallback(async () => {
    try {
      setTemplates(await listTemplates(client));
    } catch (caught) {
      setError(caught);
    }
  }, [client]);

  useEffect(() => {
    void reload();
  }, [reload, session.templatesVersion, session.retryVersion]);

  async function save(event: React.FormEvent) {
    event.preventDefault();
    if (!editing) return;
    setError(null);
    const input: TemplateInput = {
      name: editing.input.name.trim(),
      body: editing.input.body,
      description: editing.input.description?.trim() || null,
      systemPrompt: editing.input.systemPrompt?.trim() || null,
      model: editing.input.model || null,
    };
    try {
      if (editing.id) await updateTemplate(client, editing.id, input);
      else await createTemplate(client, input);
      setStatus(`Saved "${input.name}".`);
      setEditing(null);
      session.templatesChanged();
    } catch (caught) {
      setError(caught);
    }
  }

  async function remove(template: Template) {
    setError(null);
    try {
      await deleteTemplate(client, template.id);
      setConfirmDelete(null);
      setStatus(`Deleted "${template.name}".`);
      session.templatesChanged();
    } catch (caught) {
      setError(caught);
    }
  }

  if (editing) {
    const set = (patch: Partial<TemplateInput>) =>
      setEditing({ ...editing, input: { ...editing.input, ...patch } });
    return (
      <form
        className={styles.stack}
        onSubmit={(event) => void save(event)}
        aria-label={editing.id ? "Edit template" : "New template"}
      >
        <Text weight="semibold">{editing.id ? "Edit template" : "New template"}</Text>
        <Field label="Name" required>
          <Input value={editing.input.name} onChange={(_e, d) => set({ name: d.value })} required />
        </Field>
        <Field label="Prompt" required hint="Use {{name}} for the parts filled in each time.">
          <Textarea
            value={editing.input.body}
            onChange={(_e, d) => set({ body: d.value })}
            rows={5}
            resize="vertical"
            required
          />
        </Field>
        <Field label="Description">
          <Input
            value={editing.input.description ?? ""}
            onChange={(_e, d) => set({ description: d.value })}
          />
        </Field>
        <Field label="System prompt">
          <Textarea
            value={editing.input.systemPrompt ?? ""}
            onChange={(_e, d) => set({ systemPrompt: d.value })}
            rows={2}
            resize="vertical"
          />
        </Field>
        <ModelSelect value={editing.input.model ?? ""} onChange={(model) => set({ model })} />
        <div className={styles.row}>
          <Button
            type="submit"
            appearance="primary"
            disabled={!editing.input.name.trim() || !editing.input.body.trim()}
          >
            Save
          </Button>
          <Button onClick={() => setEditing(null)}>Cancel</Button>
        </div>
        <ErrorNotice error={error} title="Could not save" />
      </form>
    );
  }

  return (
    <div className={styles.stack}>
      <div className={styles.row}>
        <Button appearance="primary" onClick={() => setEditing({ id: null, input: EMPTY })}>
          New template
        </Button>
      </div>
      <div role="status">{status ? <Text size={200}>{status}</Text> : null}</div>
      <ErrorNotice error={error} onDismiss={() => setError(null)} />
      {templates === null ? <Spinner size="tiny" label="Loading templates…" /> : null}
      {templates?.length === 0 ? (
        <Text className={styles.muted}>
          No templates yet. A template is a prompt you reuse, with {"{{placeholders}}"} to fill in.
        </Text>
      ) : null}
      <ul className={styles.list} aria-label="Templates">
        {templates?.map((t) => (
          <li key={t.id} className={styles.card}>
            <Text weight="semibold">{t.name}</Text>
            {t.description ? <Text size={200}>{t.description}</Text> : null}
            <Text size={200} className={styles.muted} style={{ whiteSpace: "pre-wrap" }}>
              {t.body.length > 200 ? `${t.body.slice(0, 199)}…` : t.body}
            </Text>
            {t.variables.length > 0 ? (
              <Text size={200}>Fill in: {t.variables.join(", ")}</Text>
            ) : null}
            {t.model ? <Text size={200}>Model: {t.model}</Text> : null}
            <div className={styles.row}>
              <Button size="small" appearance="primary" onClick={() => session.openTemplate(t.id)}>
                Use
              </Button>
              <Button
                size="small"
                onClick={() =>
                  setEditing({
                    id: t.id,
                    input: {
                      name: t.name,
                      body: t.body,
                      description: t.description,
                      systemPrompt: t.systemPrompt,
                      model: t.model,
                    },
                  })
                }
              >
                Edit
              </Button>
              {confirmDelete === t.id ? (
                <>
                  <Button
                    size="small"
                    onClick={() => void remove(t)}
                    aria-label={`Confirm deleting ${t.name}`}
                  >
                    Confirm delete
                  </Button>
                  <Button size="small" appearance="subtle" onClick={() => setConfirmDelete(null)}>
                    Keep
                  </Button>
                </>
              ) : (
                <Button size="small" appearance="subtle" onClick={() => setConfirmDelete(t.id)}>
                  Delete
                </Button>
              )}
            </div>
          </li>
        ))}
      </ul>
    </div>
  );
}
