/** The backend calls the task pane makes, typed by the server's own schemas (server/wire.ts). */
import type {
  AppendMessage,
  BatchItem,
  BatchItemResult,
  BatchResponse,
  Completion,
  CompletionRequest,
  Conversation,
  ConversationList,
  ConversationMessage,
  ConversationWithMessages,
  CreateConversation,
  Me,
  ModelInfo,
  ModelsResponse,
  ReplyDoneEvent,
  StoredFile,
  Settings,
  SettingsChange,
  Template,
  TemplateChange,
  TemplateInput,
  TemplateList,
  UsageRange,
  UsageReport,
} from "../../../server/wire.ts";
import type { ApiClient } from "../shared/api-client.ts";
import { streamEvents } from "../shared/sse.ts";

export type {
  BatchItemResult,
  Completion,
  Conversation,
  ConversationMessage,
  Me,
  ModelInfo,
  ModelsResponse,
  StoredFile,
  Settings,
  SettingsChange,
  Template,
  TemplateInput,
  UsageReport,
};

export const getMe = (client: ApiClient, signal?: AbortSignal) =>
  client.get<Me>("/api/v1/me", signal);

export const getSettings = (client: ApiClient, signal?: AbortSignal) =>
  client.get<Settings>("/api/v1/me/settings", signal);

export const putSettings = (client: ApiClient, change: SettingsChange) =>
  client.json<Settings>("/api/v1/me/settings", { method: "PUT", body: JSON.stringify(change) });

export const getModels = (client: ApiClient, signal?: AbortSignal) =>
  client.get<ModelsResponse>("/api/v1/models", signal);

/** A completion streamed: `onDelta` gets each piece; resolves with the finished completion. */
export function streamCompletion(
  client: ApiClient,
  request: CompletionRequest,
  onDelta: (text: string) => void,
  signal?: AbortSignal,
): Promise<Completion> {
  return streamEvents<Completion>(
    client,
    "/api/v1/completions",
    { ...request, stream: true },
    { onDelta, signal },
  );
}

export async function runBatch(
  client: ApiClient,
  items: BatchItem[],
  signal?: AbortSignal,
): Promise<BatchItemResult[]> {
  const response = await client.post<BatchResponse>("/api/v1/batch", { items }, signal);
  return response.results;
}

export const listConversations = async (client: ApiClient, signal?: AbortSignal) =>
  (await client.get<ConversationList>("/api/v1/conversations", signal)).conversations;

export const getConversation = (client: ApiClient, id: string, signal?: AbortSignal) =>
  client.get<ConversationWithMessages>(`/api/v1/conversations/${encodeURIComponent(id)}`, signal);

export const createConversation = (client: ApiClient, body: CreateConversation) =>
  client.post<Conversation>("/api/v1/conversations", body);

export const deleteConversation = (client: ApiClient, id: string) =>
  client.json<void>(`/api/v1/conversations/${encodeURIComponent(id)}`, { method: "DELETE" });

/** Sends a message to a conversation, the reply streamed through `onDelta`. */
export function sendChatMessage(
  client: ApiClient,
  conversationId: string,
  body: Omit<AppendMessage, "stream">,
  onDelta: (text: string) => void,
  signal?: AbortSignal,
): Promise<ReplyDoneEvent> {
  return streamEvents(
    client,
    `/api/v1/conversations/${encodeURIComponent(conversationId)}/messages`,
    { ...body, stream: true },
    { onDelta, signal },
  );
}

export const listTemplates = async (client: ApiClient, signal?: AbortSignal) =>
  (await client.get<TemplateList>("/api/v1/templates", signal)).templates;

export const createTemplate = (client: ApiClient, body: TemplateInput) =>
  client.post<Template>("/api/v1/templates", body);

export const updateTemplate = (client: ApiClient, id: string, body: TemplateChange) =>
  client.json<Template>(`/api/v1/templates/${encodeURIComponent(id)}`, {
    method: "PATCH",
    body: JSON.stringify(body),
  });

export const deleteTemplate = (client: ApiClient, id: string) =>
  client.json<void>(`/api/v1/templates/${encodeURIComponent(id)}`, { method: "DELETE" });

export function getUsage(
  client: ApiClient,
  range: UsageRange = {},
  signal?: AbortSignal,
): Promise<UsageReport> {
  const query = new URLSearchParams();
  if (range.from) query.set("from", range.from);
  if (range.to) query.set("to", range.to);
  const search = query.toString();
  const suffix = search ? `?${search}` : "";
  return client.get<UsageReport>(`/api/v1/usage${suffix}`, signal);
}

/** Uploads a file; the answer holds the text a model will read of it. */
export function uploadFile(
  client: ApiClient,
  file: File,
  signal?: AbortSignal,
): Promise<StoredFile> {
  const form = new FormData();
  form.append("file", file, file.name);
  return client.json<StoredFile>("/api/v1/files", {
    method: "POST",
    body: form,
    signal: signal ?? null,
  });
}
