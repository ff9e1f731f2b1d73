import { Button, Field, Text, Textarea } from "@fluentui/react-components";
import { useEffect, useState } from "react";
import type { ApiClient } from "../../../shared/api-client.ts";
import {
  createEvents,
  parseEventText,
  type CreateResult,
  type ParseResponse,
} from "../../calendar-api.ts";
import { SEND_KEY_HINT, sendOnEnter, ErrorNotice, useStyles } from "../../components.tsx";
import { countsText } from "./event-text.ts";
import { NotConnectedHint } from "./NotConnectedHint.tsx";
import { ParsedEvents } from "./ParsedEvents.tsx";
import { useAction } from "./use-action.ts";

/** Text → preview of the parsed events → create them. */
export function FromText(props: { client: ApiClient; timezone: string; connected: boolean }) {
  const { client, timezone, connected } = props;
  const styles = useStyles();
  const [text, setText] = useState("");
  const [preview, setPreview] = useState<ParseResponse | null>(null);
  const [results, setResults] = useState<CreateResult[] | null>(null);
  const { busy, error, act } = useAction<"preview" | "create">();

  // What was previewed is what gets created: changing the text or zone asks for a new preview.
  useEffect(() => {
    setPreview(null);
    setResults(null);
  }, [text, timezone]);

  async function runPreview() {
    if (!text.trim() || !timezone) return;
    await act("preview", async () => {
      setResults(null);
      setPreview(await parseEventText(client, { text, timezone }));
    });
  }

  async function create() {
    const events = preview?.events;
    if (!events?.length) return;
    await act("create", async () => {
      setResults((await createEvents(client, { events, timezone })).results);
    });
  }

  const count = preview?.events.length ?? 0;
  return (
    <form
      className={styles.stack}
      aria-labelledby="calendar-text-heading"
      onSubmit={(event) => {
        event.preventDefault();
        void runPreview();
      }}
    >
      <Text as="h2" weight="semibold" size={400} id="calendar-text-heading">
        From text
      </Text>
      <Field label="Describe the event">
        <Textarea
          value={text}
          onChange={(_event, data) => setText(data.value)}
          onKeyDown={sendOnEnter(() => void runPreview())}
          rows={3}
          resize="vertical"
          placeholder={`lunch with Sam next Tuesday at 1pm for 90 minutes. ${SEND_KEY_HINT}`}
        />
      </Field>
      <div className={styles.row}>
        <Button type="submit" disabled={!text.trim() || !timezone || busy !== null}>
          {busy === "preview" ? "Reading…" : "Preview"}
        </Button>
        <Button
          appearance="primary"
          disabled={!count || !connected || busy !== null}
          onClick={() => void create()}
        >
          {busy === "create" ? "Creating…" : count > 1 ? `Create ${count} events` : "Create"}
        </Button>
      </div>
      {preview ? <NotConnectedHint connected={connected} /> : null}
      <ErrorNotice error={error} title="Calendar" />
      <div aria-live="polite" className={styles.stack} data-testid="calendar-text-preview">
        {preview ? <ParsedEvents preview={preview} results={results} /> : null}
      </div>
      <div role="status" data-testid="calendar-text-result">
        {results ? <Text>{countsText(results)}</Text> : null}
      </div>
    </form>
  );
}
