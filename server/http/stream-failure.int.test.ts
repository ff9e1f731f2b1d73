/**
 * A failure of ours after a stream has begun (here: the conversation's reply cannot be stored):
 * the client gets an `error` event with the `internal` envelope, never a silently cut stream,
 * and the log gets the error with its stack.
 */
import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConversationRepository } from "../store/conversation-repository.ts";
import { openStore, type Store } from "../store/store.ts";
import { parseSse } from "../test/llm-rig.ts";
import { startTestServer, tempSqliteUrl, type TestServer } from "../test/harness.ts";

const leak = "disk on fire at /secret/path";
let server: TestServer;
let real: Store;
let dir: string;

beforeAll(async () => {
  const sqlite = tempSqliteUrl();
  dir = sqlite.dir;
  real = await openStore(sqlite.url);
  // Stores the user's turn, then fails to store the model's reply.
  class FailingReplies extends ConversationRepository {
    override async append(...args: Parameters<ConversationRepository["append"]>) {
      if (args[1].some((message) => message.role === "assistant")) throw new Error(leak);
      return super.append(...args);
    }
  }
  server = await startTestServer({
    store: { ...real, conversations: new FailingReplies(real.db) },
  });
});
afterAll(async () => {
  await server.close();
  await real.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("a failure of ours in the middle of a stream", () => {
  it("ends the stream with an internal error event and logs the error with its stack", async () => {
    const { token } = await server.token();
    const created = await server.fetch("/api/v1/conversations", {
      method: "POST",
      token,
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    const { id } = (await created.json()) as { id: string };

    const response = await server.fetch(`/api/v1/conversations/${id}/messages`, {
      method: "POST",
      token,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ content: "hello", stream: true }),
    });
    expect(response.status).toBe(200);
    const text = await response.text();
    const events = parseSse(text);
    const last = events.at(-1)!;
    expect(last.event).toBe("error");
    expect(last.data).toMatchObject({ error: { code: "internal" } });
    expect(text).not.toContain("/secret/path");

    const logged = server.logs.records().find((line) => line.msg === "unexpected error");
    expect(logged, server.logs.text).toBeDefined();
    expect(JSON.stringify(logged)).toContain(leak);
    expect((logged!.err as { stack?: string }).stack).toMatch(/at /);
  });
});
