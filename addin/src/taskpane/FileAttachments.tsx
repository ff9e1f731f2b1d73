/**
 * Attach files to a question or a chat message: a picker, or drop files on the box. Each file is
 * uploaded at once (POST /api/v1/files) and listed with what the model will read of it, so the
 * user sees the extracted text before asking. Self-contained: a tab keeps the list and sends
 * `files.map((file) => file.id)` as `fileIds`.
 */
import { Button, Caption1, Spinner, Text, makeStyles, tokens } from "@fluentui/react-components";
import { useRef, useState } from "react";
import { uploadFile, type StoredFile } from "./api.ts";
import { ErrorNotice } from "./components.tsx";
import type { ApiClient } from "../shared/api-client.ts";

/** The kinds the backend reads (server/files/file-kinds.ts). */
const ACCEPT = ".csv,.xlsx,.pdf,.docx,.txt,.md,.markdown";
/** Characters of a file's text shown in the preview; the model reads all of it that fits. */
const PREVIEW_CHARS = 4000;
/** Files one request may name (fileIds). */
export const MAX_ATTACHMENTS = 10;

const useAttachmentStyles = makeStyles({
  drop: {
    display: "flex",
    flexDirection: "column",
    gap: tokens.spacingVerticalS,
    padding: tokens.spacingHorizontalM,
    border: `1px dashed ${tokens.colorNeutralStroke1}`,
    borderRadius: tokens.borderRadiusMedium,
  },
  over: {
    border: `1px dashed ${tokens.colorBrandStroke1}`,
    backgroundColor: tokens.colorBrandBackground2,
  },
  preview: {
    maxHeight: "12rem",
    overflow: "auto",
    whiteSpace: "pre-wrap",
    overflowWrap: "anywhere",
    fontFamily: tokens.fontFamilyMonospace,
    fontSize: tokens.fontSizeBase200,
    margin: 0,
  },
});

export function FileAttachments(props: {
  client: ApiClient;
  files: StoredFile[];
  onChange(files: StoredFile[]): void;
  disabled?: boolean;
}) {
  const styles = useAttachmentStyles();
  const picker = useRef<HTMLInputElement>(null);
  const [uploading, setUploading] = useState(0);
  const [over, setOver] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const { files, onChange } = props;
  const full = files.length + uploading >= MAX_ATTACHMENTS;

  async function attach(chosen: File[]) {
    setError(null);
    const room = chosen.slice(0, MAX_ATTACHMENTS - files.length - uploading);
    setUploading((count) => count + room.length);
    let added = files;
    for (const file of room) {
      try {
        added = [...added, await uploadFile(props.client, file)];
        onChange(added);
      } catch (caught) {
        setError(caught);
      } finally {
        setUploading((count) => count - 1);
      }
    }
  }

  return (
    <div
      className={`${styles.drop} ${over ? styles.over : ""}`}
      aria-label="Attached files"
      role="group"
      onDragOver={(event) => {
        event.preventDefault();
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={(event) => {
        event.preventDefault();
        setOver(false);
        if (!props.disabled) void attach([...event.dataTransfer.files]);
      }}
    >
      <div>
        <Button
          size="small"
          disabled={props.disabled || full}
          onClick={() => picker.current?.click()}
        >
          Attach a file
        </Button>{" "}
        <Caption1>or drop one here: CSV, XLSX, PDF, DOCX, TXT or Markdown</Caption1>
        <input
          ref={picker}
          type="file"
          accept={ACCEPT}
          multiple
          hidden
          data-testid="file-picker"
          onChange={(event) => {
            const chosen = [...(event.target.files ?? [])];
            event.target.value = "";
            void attach(chosen);
          }}
        />
      </div>
      {uploading > 0 ? <Spinner size="tiny" label="Reading the file…" /> : null}
      <ErrorNotice
        error={error}
        title="The file was not attached"
        onDismiss={() => setError(null)}
      />
      {files.map((file) => (
        <details key={file.id}>
          <summary>
            <Text weight="semibold">{file.name}</Text>{" "}
            <Caption1>
              {file.detail ?? file.kind}, {file.textChars.toLocaleString()} characters — what the
              model reads
            </Caption1>{" "}
            <Button
              size="small"
              appearance="transparent"
              aria-label={`Remove ${file.name}`}
              onClick={() => onChange(files.filter((other) => other.id !== file.id))}
            >
              Remove
            </Button>
          </summary>
          <pre className={styles.preview}>
            {file.text.slice(0, PREVIEW_CHARS)}
            {file.text.length > PREVIEW_CHARS
              ? `\n… (${(file.text.length - PREVIEW_CHARS).toLocaleString()} more characters)`
              : ""}
          </pre>
          {file.text.length === 0 ? (
            <Caption1>No text was found in this file (a scanned PDF holds only images).</Caption1>
          ) : null}
        </details>
      ))}
      {files.length > 0 ? (
        <Caption1>
          A model whose context window is too small for everything reads the start of each file, and
          is told what was left out.
        </Caption1>
      ) : null}
    </div>
  );
}
