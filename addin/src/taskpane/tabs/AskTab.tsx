import { Button, Field, Input, Select, Text, Textarea } from "@fluentui/react-components";
import { useEffect, useRef, useState } from "react";
import {
  listTemplates,
  streamCompletion,
  type Completion,
  type StoredFile,
  type Template,
} from "../api.ts";
import { FileAttachments } from "../FileAttachments.tsx";
import {
  Advanced,
  ErrorNotice,
  ModelSelect,
  NeedsConnection,
  Notice,
  SEND_KEY_HINT,
  TemperatureSlider,
  sendOnEnter,
  useStyles,
} from "../components.tsx";
import { describeError, isAbort } from "../errors.ts";
import { formatUsd } from "../../shared/money.ts";
import { useSession } from "../session.tsx";
import { answerLines, previewTemplate } from "../text.ts";

type InsertState =
  | { kind: "idle" }
  | { kind: "busy" }
  | { kind: "done"; message: string }
  | { kind: "confirm"; address: string; occupied: number; lines: string[] }
  | { kind: "error"; error: unknown };

export function AskTab() {
  const session = useSession();
  if (!session.client) return <NeedsConnection />;
  return <Ask />;
}

function Ask() {
  const styles = useStyles();
  const session = useSession();
  const client = session.client!;
  const [prompt, setPrompt] = useState("");
  const [model, setModel] = useState("");
  // Unchanged, it is the user's default, else 0: the temperature of Fill and the =LLM.*
  // functions, so the same question asked here and in a cell is one cached answer.
  const [chosenTemperature, setTemperature] = useState<number | null>(null);
  const temperature = chosenTemperature ?? session.settings?.temperature ?? 0;
  const [templates, setTemplates] = useState<Template[]>([]);
  const [templateId, setTemplateId] = useState("");
  const [variables, setVariables] = useState<Record<string, string>>({});
  const [answer, setAnswer] = useState("");
  const [completion, setCompletion] = useState<Completion | null>(null);
  const [streaming, setStreaming] = useState(false);
  const [stopped, setStopped] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [insert, setInsert] = useState<InsertState>({ kind: "idle" });
  const [files, setFiles] = useState<StoredFile[]>([]);
  const controller = useRef<AbortController | null>(null);
  const answerRef = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const abort = new AbortController();
    listTemplates(client, abort.signal).then(setTemplates, () => setTemplates([]));
    return () => abort.abort();
  }, [client, session.templatesVersion]);

  // "Use" on the Templates tab opens the template here.
  const { askTemplateId, openTemplate } = session;
  useEffect(() => {
    if (!askTemplateId) return;
    setTemplateId(askTemplateId);
    setVariables({});
    openTemplate(null);
  }, [askTemplateId, openTemplate]);

  useEffect(() => () => controller.current?.abort(), []);

  // At a short pane's height the answer would start below the fold: bring it up as it starts.
  useEffect(() => {
    if (streaming) answerRef.current?.scrollIntoView?.({ block: "start", behavior: "auto" });
  }, [streaming]);

  const template = templates.find((t) => t.id === templateId);
  const ready = template
    ? template.variables.every((name) => (variables[name] ?? "").trim() !== "")
    : prompt.trim() !== "";

  async function ask() {
    if (!ready || streaming) return;
    controller.current?.abort();
    const abort = new AbortController();
    controller.current = abort;
    setAnswer("");
    setCompletion(null);
    setError(null);
    setStopped(false);
    setInsert({ kind: "idle" });
    setStreaming(true);
    try {
      const done = await streamCompletion(
        client,
        {
          ...(template ? { templateId: template.id, variables } : { prompt }),
          ...(model ? { model } : {}),
          ...(files.length > 0 ? { fileIds: files.map((file) => file.id) } : {}),
          temperature,
        },
        (text) => setAnswer((previous) => previous + text),
        abort.signal,
      );
      setAnswer(done.text);
      setCompletion(done);
    } catch (caught) {
      if (isAbort(caught) || abort.signal.aborted) setStopped(true);
      else setError(caught);
    } finally {
      setStreaming(false);
    }
  }

  async function insertIntoCell() {
    if (session.excel.kind !== "excel") return;
    setInsert({ kind: "busy" });
    try {
      const address = await session.excel.bridge.writeToActiveCell(answer.trim());
      setInsert({ kind: "done", message: `Inserted into ${address}.` });
    } catch (caught) {
      setInsert({ kind: "error", error: caught });
    }
  }

  async function insertRows(overwrite: boolean, lines = answerLines(answer)) {
    if (session.excel.kind !== "excel") return;
    setInsert({ kind: "busy" });
    try {
      const result = await session.excel.bridge.writeRowsFromActiveCell(lines, { overwrite });
      setInsert(
        result.written
          ? {
              kind: "done",
              message: `Inserted ${lines.length} row${lines.length === 1 ? "" : "s"} into ${result.address}.`,
            }
          : { kind: "confirm", address: result.address, occupied: result.occupied, lines },
      );
    } catch (caught) {
      setInsert({ kind: "error", error: caught });
    }
  }

  const finished = !streaming && answer.trim() !== "";
  const inExcel = session.excel.kind === "excel";

  return (
    <form
      className={styles.stack}
      aria-label="Ask a question"
      onSubmit={(event) => {
        event.preventDefault();
        void ask();
      }}
    >
      <Field label="Template">
        <Select
          value={templateId}
          onChange={(_event, data) => {
            setTemplateId(data.value);
            setVariables({});
          }}
        >
          <option value="">None: write a prompt</option>
          {templates.map((t) => (
            <option key={t.id} value={t.id}>
              {t.name}
            </option>
          ))}
        </Select>
      </Field>
      {template ? (
        <div className={styles.card} data-testid="template-form">
          <Text size={200} className={styles.muted} style={{ whiteSpace: "pre-wrap" }}>
            {previewTemplate(template.body, variables)}
          </Text>
          {template.variables.map((name) => (
            <Field key={name} label={name} required>
              <Input
                value={variables[name] ?? ""}
                onChange={(_event, data) =>
                  setVariables((previous) => ({ ...previous, [name]: data.value }))
                }
              />
            </Field>
          ))}
        </div>
      ) : (
        <Field label="Prompt">
          <Textarea
            value={prompt}
            onChange={(_event, data) => setPrompt(data.value)}
            onKeyDown={sendOnEnter(() => void ask())}
            resize="vertical"
            rows={4}
            placeholder={`Write a short product description for a steel water bottle. ${SEND_KEY_HINT}`}
          />
        </Field>
      )}
      <FileAttachments client={client} files={files} onChange={setFiles} disabled={streaming} />
      <Advanced>
        <ModelSelect value={model || (template?.model ?? "")} onChange={setModel} />
        <TemperatureSlider value={temperature} onChange={setTemperature} />
      </Advanced>
      <ErrorNotice error={error} title="The question failed" />
      {answer || streaming ? (
        <div className={styles.stack}>
          <Text weight="semibold" id="ask-answer-label">
            Answer
          </Text>
          <div
            ref={answerRef}
            className={styles.answer}
            aria-labelledby="ask-answer-label"
            aria-live="polite"
            aria-busy={streaming}
            data-testid="answer"
            tabIndex={0}
          >
            {answer || "…"}
          </div>
          {completion ? (
            <Text size={200} className={styles.muted} data-testid="answer-meta">
              {completion.model} · {completion.usage.inputTokens} in /{" "}
              {completion.usage.outputTokens} out tokens · {formatUsd(completion.usage.costUsd)}
              {completion.cached ? " · from cache" : ""}
            </Text>
          ) : null}
          {stopped ? <Text size={200}>Stopped.</Text> : null}
        </div>
      ) : null}
      {finished ? (
        <div className={styles.row}>
          {inExcel ? (
            <>
              <Button onClick={() => void insertIntoCell()} disabled={insert.kind === "busy"}>
                Insert into active cell
              </Button>
              <Button onClick={() => void insertRows(false)} disabled={insert.kind === "busy"}>
                Insert below as rows
              </Button>
            </>
          ) : null}
          <Button
            appearance="subtle"
            onClick={() => {
              void navigator.clipboard?.writeText(answer).then(
                () => setInsert({ kind: "done", message: "Copied." }),
                (caught: unknown) => setInsert({ kind: "error", error: caught }),
              );
            }}
          >
            Copy
          </Button>
        </div>
      ) : null}
      {finished && !inExcel ? (
        <Text size={200} className={styles.muted}>
          Inserting into cells needs the add-in open in Excel.
        </Text>
      ) : null}
      <div role="status" data-testid="insert-status">
        {insert.kind === "done" ? <Text size={200}>{insert.message}</Text> : null}
      </div>
      {insert.kind === "confirm" ? (
        <Notice intent="warning" title="Cells below hold data">
          {insert.occupied} of the cells in {insert.address} already hold something.{" "}
          <Button size="small" onClick={() => void insertRows(true, insert.lines)}>
            Overwrite them
          </Button>{" "}
          <Button size="small" appearance="subtle" onClick={() => setInsert({ kind: "idle" })}>
            Keep them
          </Button>
        </Notice>
      ) : null}
      {insert.kind === "error" ? (
        <div role="alert">
          <Notice intent="warning" title="Could not insert">
            {describeError(insert.error)}
          </Notice>
        </div>
      ) : null}
      <div className={styles.footer}>
        <div className={styles.row}>
          <Button type="submit" appearance="primary" disabled={!ready || streaming}>
            {streaming ? "Answering…" : "Ask"}
          </Button>
          {streaming ? <Button onClick={() => controller.current?.abort()}>Stop</Button> : null}
        </div>
      </div>
    </form>
  );
}
