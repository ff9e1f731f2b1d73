import {
  Button,
  Dialog,
  DialogActions,
  DialogBody,
  DialogContent,
  DialogSurface,
  DialogTitle,
  Field,
  Select,
  Text,
  Textarea,
  makeStyles,
  mergeClasses,
  tokens,
} from "@fluentui/react-components";
import { Suspense, lazy, useCallback, useEffect, useRef, useState } from "react";
import {
  createConversation,
  deleteConversation,
  getConversation,
  listConversations,
  sendChatMessage,
  type Conversation,
  type ConversationMessage,
  type StoredFile,
} from "../api.ts";
import { FileAttachments } from "../FileAttachments.tsx";
import {
  Advanced,
  ErrorNotice,
  ModelSelect,
  NeedsConnection,
  SEND_KEY_HINT,
  sendOnEnter,
  useStyles,
} from "../components.tsx";
import { isAbort } from "../errors.ts";
import { useSession } from "../session.tsx";

// The Markdown renderer (react-markdown, micromark) is a fifth of the pane's JavaScript: it is
// fetched when the first answer is drawn, not on the pane's first load.
const Markdown = lazy(() => import("../Markdown.tsx"));

const useChatStyles = makeStyles({
  log: {
    display: "flex",
    flexDirection: "column",
    gap: tokens.spacingVerticalS,
    maxHeight: "50vh",
    overflowY: "auto",
    padding: tokens.spacingHorizontalXS,
  },
  message: {
    overflowWrap: "anywhere",
    padding: `${tokens.spacingVerticalS} ${tokens.spacingHorizontalM}`,
    borderRadius: tokens.borderRadiusLarge,
    maxWidth: "92%",
  },
  user: {
    whiteSpace: "pre-wrap",
    alignSelf: "flex-end",
    backgroundColor: tokens.colorBrandBackground2,
    color: tokens.colorNeutralForeground1,
  },
  assistant: {
    alignSelf: "flex-start",
    backgroundColor: tokens.colorNeutralBackground3,
    color: tokens.colorNeutralForeground1,
  },
});

export function ChatTab() {
  const session = useSession();
  if (!session.client) return <NeedsConnection />;
  return <Chat />;
}

function Chat() {
  const styles = useStyles();
  const chat = useChatStyles();
  const { client: sessionClient, retryVersion } = useSession();
  const client = sessionClient!;
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [conversations, setConversations] = useState<Conversation[]>([]);
  const [selected, setSelected] = useState("");
  const [messages, setMessages] = useState<ConversationMessage[]>([]);
  const [draft, setDraft] = useState("");
  const [files, setFiles] = useState<StoredFile[]>([]);
  const [model, setModel] = useState("");
  const [pending, setPending] = useState<{ question: string; reply: string } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const controller = useRef<AbortController | null>(null);
  const logRef = useRef<HTMLDivElement>(null);

  const reloadList = useCallback(async () => {
    try {
      setConversations(await listConversations(client));
    } catch (caught) {
      setError(caught);
    }
  }, [client]);

  useEffect(() => {
    void reloadList();
  }, [reloadList, retryVersion]);

  useEffect(() => {
    setMessages([]);
    if (!selected) return;
    const abort = new AbortController();
    getConversation(client, selected, abort.signal).then(
      (conversation) => setMessages(conversation.messages),
      (caught: unknown) => {
        if (!abort.signal.aborted) setError(caught);
      },
    );
    return () => abort.abort();
  }, [client, selected, retryVersion]);

  useEffect(() => () => controller.current?.abort(), []);
  useEffect(() => {
    logRef.current?.scrollTo?.({ top: logRef.current.scrollHeight });
  }, [messages, pending]);

  async function send() {
    const content = draft.trim();
    if (!content || pending) return;
    setError(null);
    const abort = new AbortController();
    controller.current = abort;
    setPending({ question: content, reply: "" });
    setDraft("");
    let conversationId = selected;
    try {
      if (!conversationId) {
        const created = await createConversation(client, model ? { model } : {});
        conversationId = created.id;
      }
      const done = await sendChatMessage(
        client,
        conversationId,
        {
          content,
          ...(model ? { model } : {}),
          ...(files.length > 0 ? { fileIds: files.map((file) => file.id) } : {}),
        },
        (text) => setPending((p) => (p ? { ...p, reply: p.reply + text } : p)),
        abort.signal,
      );
      // Files go with the message they were attached to, not with later ones.
      setFiles([]);
      const now = new Date().toISOString();
      setMessages((list) => [
        ...list,
        { id: `local-${now}`, role: "user", content, createdAt: now },
        done.message,
      ]);
    } catch (caught) {
      if (!isAbort(caught)) setError(caught);
      // Not answered: the message goes back in the box to send again (unless more was typed).
      setDraft((typed) => (typed.trim() ? typed : content));
      if (conversationId) {
        // The question was stored even though the answer failed: show what the server has.
        getConversation(client, conversationId).then(
          (c) => setMessages(c.messages),
          () => {},
        );
      }
    } finally {
      setPending(null);
      if (conversationId !== selected) setSelected(conversationId);
      void reloadList();
    }
  }

  async function remove() {
    setConfirmDelete(false);
    if (!selected) return;
    try {
      await deleteConversation(client, selected);
      setSelected("");
      await reloadList();
    } catch (caught) {
      setError(caught);
    }
  }

  return (
    <div className={styles.stack}>
      <div className={styles.row} style={{ alignItems: "flex-end" }}>
        <Field label="Conversation" style={{ flexGrow: 1 }}>
          <Select
            value={selected}
            onChange={(_event, d) => setSelected(d.value)}
            disabled={!!pending}
          >
            <option value="">New conversation</option>
            {conversations.map((c) => (
              <option key={c.id} value={c.id}>
                {c.title}
              </option>
            ))}
          </Select>
        </Field>
        {selected ? (
          <Button appearance="subtle" onClick={() => setConfirmDelete(true)} disabled={!!pending}>
            Delete
          </Button>
        ) : null}
      </div>
      <div
        ref={logRef}
        className={chat.log}
        role="log"
        aria-live="polite"
        aria-label="Messages"
        aria-busy={!!pending}
        data-testid="chat-log"
        tabIndex={0}
      >
        {messages.length === 0 && !pending ? (
          <Text className={styles.muted}>
            No messages yet. The conversation is kept on the server.
          </Text>
        ) : null}
        {/* A tool turn (a function's result, sent through the API) is no chat bubble. */}
        {messages.flatMap((m) =>
          m.role === "tool"
            ? []
            : [<Bubble key={m.id} role={m.role} content={m.content} className={chat} />],
        )}
        {pending ? (
          <>
            <Bubble role="user" content={pending.question} className={chat} />
            <Bubble role="assistant" content={pending.reply || "…"} className={chat} />
          </>
        ) : null}
      </div>
      <Advanced>
        <ModelSelect value={model} onChange={setModel} />
      </Advanced>
      <ErrorNotice error={error} onDismiss={() => setError(null)} />
      <div className={styles.footer}>
        <Field label="Message">
          <Textarea
            value={draft}
            onChange={(_event, d) => setDraft(d.value)}
            onKeyDown={sendOnEnter(() => void send())}
            rows={2}
            resize="vertical"
            placeholder={`Your message. ${SEND_KEY_HINT}`}
          />
        </Field>
        <FileAttachments client={client} files={files} onChange={setFiles} disabled={!!pending} />
        <div className={styles.row}>
          <Button
            appearance="primary"
            onClick={() => void send()}
            disabled={!draft.trim() || !!pending}
          >
            Send
          </Button>
          {pending ? <Button onClick={() => controller.current?.abort()}>Stop</Button> : null}
        </div>
      </div>
      <Dialog open={confirmDelete} onOpenChange={(_event, data) => setConfirmDelete(data.open)}>
        <DialogSurface>
          <DialogBody>
            <DialogTitle>Delete this conversation?</DialogTitle>
            <DialogContent>
              “{conversations.find((c) => c.id === selected)?.title ?? "This conversation"}” and all
              its messages are deleted from the server. This cannot be undone.
            </DialogContent>
            <DialogActions>
              <Button appearance="primary" onClick={() => void remove()}>
                Delete
              </Button>
              <Button onClick={() => setConfirmDelete(false)}>Keep it</Button>
            </DialogActions>
          </DialogBody>
        </DialogSurface>
      </Dialog>
    </div>
  );
}

function Bubble(props: {
  role: "user" | "assistant";
  content: string;
  className: ReturnType<typeof useChatStyles>;
}) {
  const { className: chat } = props;
  return (
    <div className={mergeClasses(chat.message, props.role === "user" ? chat.user : chat.assistant)}>
      <Text size={100} weight="semibold" block>
        {props.role === "user" ? "You" : "OfficeLLM"}
      </Text>
      {props.role === "user" ? (
        <Text>{props.content}</Text>
      ) : (
        <Suspense fallback={<Text>{props.content}</Text>}>
          <Markdown>{props.content}</Markdown>
        </Suspense>
      )}
    </div>
  );
}
