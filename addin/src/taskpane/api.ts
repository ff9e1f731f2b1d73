/**
 * The backend calls the task pane makes. Completions and batches are typed by the server's own
 * schemas (server/wire.ts); the other answers after server/routes/*.ts.
 */
import type {
  BatchItem,
  BatchItemResult,
  BatchResponse,
  Completion,
  CompletionRequest,
} from "../../../server/wire.ts";
import type { ApiClient } from "../shared/api-client.ts";
import { streamEvents } from "../shared/sse.ts";

export type { BatchItemResult, Completion };

export interface Me {
  id: string;
  name: string;
  scopes: string[];
  expiresAt: string | null;
  limits: { requestsPerMinute: number; monthlyBudgetUsd: number | null };
  spend: { month: string; costUsd: number; remainingUsd: number | null };
}

export interface ModelInfo {
  id: string;
  provider: string;
  contextWindow: number;
  maxOutputTokens: number;
  pricePerMillionTokens: { input: number; output: number };
  structuredOutput: boolean;
  default: boolean;
}

export interface ModelsResponse {
  catalogVersion: string;
  defaultModel: string;
  models: ModelInfo[];
}

export interface Conversation {
  id: string;
  title: string;
  model: string | null;
  systemPrompt: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface ChatMessage {
  id: string;
  role: "user" | "assistant";
  content: string;
  createdAt: string;
}

export interface Template {
  id: string;
  name: string;
  body: string;
  description: string | null;
  systemPrompt: string | null;
  model: string | null;
  variables: string[];
  createdAt: string;
  updatedAt: string;
}

export interface TemplateInput {
  name: string;
  body: string;
  description: string | null;
  systemPrompt: string | null;
  model: string | null;
}

interface Sums {
  calls: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
}

export interface UsageReport {
  from: string;
  to: string;
  totals: Sums & { cachedCalls: number; failedCalls: number };
  byDay: (Sums & { day: string })[];
  byModel: (Sums & { model: string; provider: string })[];
}

export const getMe = (client: ApiClient, signal?: AbortSignal) =>
  client.get<Me>("/api/v1/me", signal);

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
  (await client.get<{ conversations: Conversation[] }>("/api/v1/conversations", signal))
    .conversations;

export const getConversation = (client: ApiClient, id: string, signal?: AbortSignal) =>
  client.get<Conversation & { messages: ChatMessage[] }>(
    `/api/v1/conversations/${encodeURIComponent(id)}`,
    signal,
  );

export const createConversation = (client: ApiClient, body: { title?: string; model?: string }) =>
  client.post<Conversation>("/api/v1/conversations", body);

export const deleteConversation = (client: ApiClient, id: string) =>
  client.json<void>(`/api/v1/conversations/${encodeURIComponent(id)}`, { method: "DELETE" });

/** Sends a message to a conversation, the reply streamed through `onDelta`. */
export function sendChatMessage(
  client: ApiClient,
  conversationId: string,
  body: { content: string; model?: string },
  onDelta: (text: string) => void,
  signal?: AbortSignal,
): Promise<Completion & { message: ChatMessage }> {
  return streamEvents(
    client,
    `/api/v1/conversations/${encodeURIComponent(conversationId)}/messages`,
    { ...body, stream: true },
    { onDelta, signal },
  );
}

export const listTemplates = async (client: ApiClient, signal?: AbortSignal) =>
  (await client.get<{ templates: Template[] }>("/api/v1/templates", signal)).templates;

export const createTemplate = (client: ApiClient, body: TemplateInput) =>
  client.post<Template>("/api/v1/templates", body);

export const updateTemplate = (client: ApiClient, id: string, body: Partial<TemplateInput>) =>
  client.json<Template>(`/api/v1/templates/${encodeURIComponent(id)}`, {
    method: "PATCH",
    body: JSON.stringify(body),
  });

export const deleteTemplate = (client: ApiClient, id: string) =>
  client.json<void>(`/api/v1/templates/${encodeURIComponent(id)}`, { method: "DELETE" });

export function getUsage(
  client: ApiClient,
  range: { from?: string; to?: string } = {},
  signal?: AbortSignal,
): Promise<UsageReport> {
  const query = new URLSearchParams();
  if (range.from) query.set("from", range.from);
  if (range.to) query.set("to", range.to);
  const search = query.toString();
  const suffix = search ? `?${search}` : "";
  return client.get<UsageReport>(`/api/v1/usage${suffix}`, signal);
}
