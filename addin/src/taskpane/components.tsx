/** Small pieces the tabs share. */
import {
  Accordion,
  AccordionHeader,
  AccordionItem,
  AccordionPanel,
  Button,
  Field,
  MessageBar,
  MessageBarBody,
  MessageBarTitle,
  Select,
  Slider,
  Spinner,
  makeStyles,
  tokens,
} from "@fluentui/react-components";
import { useId, useState } from "react";
import { describeError } from "./errors.ts";
import { useSession } from "./session.tsx";

export const useStyles = makeStyles({
  stack: { display: "flex", flexDirection: "column", gap: tokens.spacingVerticalM },
  row: {
    display: "flex",
    flexWrap: "wrap",
    gap: tokens.spacingHorizontalS,
    alignItems: "center",
  },
  answer: {
    whiteSpace: "pre-wrap",
    overflowWrap: "anywhere",
    padding: tokens.spacingHorizontalM,
    borderRadius: tokens.borderRadiusMedium,
    backgroundColor: tokens.colorNeutralBackground3,
    color: tokens.colorNeutralForeground1,
    minHeight: "3em",
    maxHeight: "40vh",
    overflowY: "auto",
    scrollMarginTop: "2.5em",
  },
  muted: { color: tokens.colorNeutralForeground3 },
  fieldset: { border: "none", margin: 0, padding: 0, minWidth: 0 },
  /** The main action and its progress, kept in view at the bottom of a short pane. */
  footer: {
    position: "sticky",
    bottom: 0,
    zIndex: 1,
    display: "flex",
    flexDirection: "column",
    gap: tokens.spacingVerticalS,
    padding: `${tokens.spacingVerticalS} 0`,
    backgroundColor: tokens.colorNeutralBackground2,
    borderTop: `1px solid ${tokens.colorNeutralStroke2}`,
  },
  card: {
    display: "flex",
    flexDirection: "column",
    gap: tokens.spacingVerticalXS,
    padding: tokens.spacingHorizontalM,
    borderRadius: tokens.borderRadiusMedium,
    border: `1px solid ${tokens.colorNeutralStroke2}`,
    backgroundColor: tokens.colorNeutralBackground1,
  },
  list: {
    listStyle: "none",
    margin: 0,
    padding: 0,
    display: "flex",
    flexDirection: "column",
    gap: tokens.spacingVerticalS,
  },
  table: {
    borderCollapse: "collapse",
    width: "100%",
    fontSize: tokens.fontSizeBase200,
    "& th, & td": {
      textAlign: "left",
      padding: `${tokens.spacingVerticalXXS} ${tokens.spacingHorizontalXS}`,
      borderBottom: `1px solid ${tokens.colorNeutralStroke2}`,
    },
    "& td.number, & th.number": { textAlign: "right", fontVariantNumeric: "tabular-nums" },
  },
  visuallyHidden: {
    position: "absolute",
    width: "1px",
    height: "1px",
    margin: "-1px",
    overflow: "hidden",
    clip: "rect(0 0 0 0)",
    whiteSpace: "nowrap",
  },
});

/** A failure, readable, announced to screen readers as it appears. */
export function ErrorNotice(props: { error: unknown; title?: string; onDismiss?: () => void }) {
  if (props.error === null || props.error === undefined) return null;
  return (
    <div role="alert" data-testid="error">
      <MessageBar intent="error" layout="multiline">
        <MessageBarBody>
          {props.title ? <MessageBarTitle>{props.title}</MessageBarTitle> : null}
          {describeError(props.error)}
        </MessageBarBody>
        {props.onDismiss ? (
          <Button size="small" appearance="transparent" onClick={props.onDismiss}>
            Dismiss
          </Button>
        ) : null}
      </MessageBar>
    </div>
  );
}

export function Notice(props: {
  intent: "info" | "success" | "warning";
  title?: string;
  children: React.ReactNode;
  onDismiss?: () => void;
}) {
  return (
    <MessageBar intent={props.intent} layout="multiline">
      <MessageBarBody>
        {props.title ? <MessageBarTitle>{props.title}</MessageBarTitle> : null}
        {props.children}
      </MessageBarBody>
      {props.onDismiss ? (
        <Button size="small" appearance="transparent" onClick={props.onDismiss}>
          Dismiss
        </Button>
      ) : null}
    </MessageBar>
  );
}

/** When the backend cannot be reached at all: one message, on every tab, with a way back. */
export function BackendDown() {
  const { connection, retry } = useSession();
  const [busy, setBusy] = useState(false);
  return (
    <div role="alert" data-testid="backend-down">
      <MessageBar intent="error" layout="multiline">
        <MessageBarBody>
          <MessageBarTitle>The OfficeLLM backend cannot be reached</MessageBarTitle>
          Nothing answered at {connection?.baseUrl ?? "the backend"}: it may be down or restarting,
          or your network is offline. Your drafts stay here.
        </MessageBarBody>
        <Button
          size="small"
          appearance="primary"
          disabled={busy}
          onClick={() => {
            setBusy(true);
            // A failure keeps the message up (the session's fetch saw it); nothing else to show.
            void retry()
              .catch(() => {})
              .finally(() => setBusy(false));
          }}
        >
          {busy ? "Retrying…" : "Retry"}
        </Button>
      </MessageBar>
    </div>
  );
}

/** Rarely changed settings (model, temperature), folded away until wanted. */
export function Advanced(props: { children: React.ReactNode }) {
  return (
    <Accordion collapsible>
      <AccordionItem value="advanced">
        <AccordionHeader size="small">Advanced</AccordionHeader>
        <AccordionPanel>{props.children}</AccordionPanel>
      </AccordionItem>
    </Accordion>
  );
}

/** Shown by tabs that need a connection when there is none. */
export function NeedsConnection() {
  const { setTab } = useSession();
  return (
    <Notice intent="info" title="Not connected">
      Connect to your OfficeLLM backend first.{" "}
      <Button size="small" appearance="primary" onClick={() => setTab("connect")}>
        Go to Connect
      </Button>
    </Notice>
  );
}

/** Shown by tabs that need Excel, outside Excel (or while the host is still answering). */
export function NeedsExcel(props: { feature: string }) {
  const { excel } = useSession();
  if (excel.kind === "detecting") return <Spinner size="tiny" label="Looking for Excel…" />;
  return (
    <Notice intent="warning" title="Needs Excel">
      {props.feature} works on the cells of a workbook, so it needs the add-in open in Excel (on the
      web, Windows or Mac). Ask, Chat, Templates and Usage work here.
    </Notice>
  );
}

/** The pane's one send-key convention (Ask, Chat), said in each box's placeholder. */
export const SEND_KEY_HINT = "Enter sends; Shift+Enter adds a line.";

/** Enter sends, Shift+Enter is a new line (and Enter while an IME composes is the IME's). */
export function sendOnEnter(send: () => void) {
  return (event: React.KeyboardEvent) => {
    if (event.key !== "Enter" || event.shiftKey || event.nativeEvent.isComposing) return;
    event.preventDefault();
    send();
  };
}

/** The model picker: the backend's models, "default" first. */
export function ModelSelect(props: {
  value: string;
  onChange(value: string): void;
  label?: string;
  allowDefault?: boolean;
  /** "Default" is the server's, not the user's (on the Settings tab, which sets the user's). */
  serverDefault?: boolean;
}) {
  const { models, modelsError, settings } = useSession();
  const fallback = (!props.serverDefault && settings?.model) || models?.defaultModel;
  const defaultLabel = fallback ? `Default (${fallback})` : "Default";
  return (
    <Field
      label={props.label ?? "Model"}
      validationState={modelsError ? "error" : "none"}
      validationMessage={modelsError ? describeError(modelsError) : undefined}
    >
      <Select value={props.value} onChange={(_event, data) => props.onChange(data.value)}>
        {props.allowDefault === false ? null : <option value="">{defaultLabel}</option>}
        {/* Every picker chooses a model to answer: embedding models make vectors only. */}
        {models?.models
          .filter((model) => model.kind !== "embedding")
          .map((model) => (
            <option key={model.id} value={model.id}>
              {model.id} ({model.provider})
            </option>
          ))}
      </Select>
    </Field>
  );
}

export function TemperatureSlider(props: { value: number; onChange(value: number): void }) {
  const id = useId();
  return (
    <Field
      label={{ children: `Temperature: ${props.value.toFixed(1)}`, htmlFor: id }}
      hint="0 gives the same answer each time (and is cached); higher is more varied."
    >
      {/* Tenths as whole steps: a `step` of 0.1 would draw twenty tick marks on the rail. */}
      <Slider
        id={id}
        min={0}
        max={20}
        value={Math.round(props.value * 10)}
        onChange={(_event, data) => props.onChange(data.value / 10)}
        aria-valuetext={props.value.toFixed(1)}
      />
    </Field>
  );
}
