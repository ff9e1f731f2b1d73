/**
 * Files as context, against the fake provider: the text of the files a completion, a batch item
 * or a conversation message names reaches the model with the user's turn, cut with a note when it
 * does not fit the model's context window; another token's file is unknown.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startRig, type CompletionBody, type ErrorBody, type Rig } from "../test/llm-rig.ts";

let rig: Rig;
let token: string;

beforeAll(async () => {
  rig = await startRig({ env: { RATE_LIMIT_RPM: "100000" } });
  token = (await rig.token()).token;
});
afterAll(() => rig.close());
beforeEach(() => rig.fake.reset());

async function upload(name: string, text: string, as = token): Promise<string> {
  const form = new FormData();
  form.append("file", new Blob([text]), name);
  const response = await rig.server.fetch("/api/v1/files", {
    method: "POST",
    token: as,
    body: form,
  });
  expect(response.status).toBe(201);
  return ((await response.json()) as { id: string }).id;
}

const lastUserMessage = (call: unknown) =>
  (call as { messages: { role: string; content: string }[] }).messages.at(-1)!.content;

describe("files named in fileIds", () => {
  it("reach the model in front of the prompt, in the order named", async () => {
    const notes = await upload("notes.txt", "Revenue rose 4% in Q3.");
    const table = await upload("table.csv", "region,revenue\nNorth,1200\n");
    const reply = await rig.post<CompletionBody>("/api/v1/completions", token, {
      model: "claude-haiku-4-5",
      prompt: "Summarise the files",
      fileIds: [notes, table],
    });
    expect(reply.status, reply.text).toBe(200);
    expect(lastUserMessage(rig.fake.calls[0])).toBe(
      `<file name="notes.txt" id="${notes}">\nRevenue rose 4% in Q3.\n</file>\n\n` +
        `<file name="table.csv" id="${table}">\nregion,revenue\nNorth,1200\n\n</file>\n\n` +
        "Summarise the files",
    );
  });

  it("are cut to the model's context window, with a note of what was cut", async () => {
    // gpt-4o's window is 128,000 tokens, about 512,000 characters: this file cannot fit whole.
    const long = "word ".repeat(140_000);
    const id = await upload("long.txt", long);
    const reply = await rig.post<CompletionBody>("/api/v1/completions", token, {
      model: "gpt-4o",
      prompt: "What is this?",
      maxTokens: 1000,
      fileIds: [id],
    });
    expect(reply.status, reply.text).toBe(200);
    const sent = lastUserMessage(rig.fake.calls[0]);
    const included =
      /only the first (\d+) of 700000 characters of this file are included; the rest did not fit gpt-4o's context window/.exec(
        sent,
      );
    expect(included, sent.slice(-400)).not.toBeNull();
    expect(Number(included![1])).toBeLessThan(700_000);
    expect(Math.ceil(sent.length / 4) + 1000).toBeLessThanOrEqual(128_000);
    expect(sent.endsWith("What is this?")).toBe(true);
  });

  it("reach the model from a batch item and from a conversation message", async () => {
    const id = await upload("memo.md", "# Memo\nShip on Friday.");
    const batch = await rig.post<{ results: { ok: boolean }[] }>("/api/v1/batch", token, {
      items: [{ model: "claude-haiku-4-5", prompt: "When do we ship?", fileIds: [id] }],
    });
    expect(batch.status, batch.text).toBe(200);
    expect(batch.body.results[0]!.ok).toBe(true);
    expect(lastUserMessage(rig.fake.calls[0])).toContain("Ship on Friday.");

    const conversation = await rig.post<{ id: string }>("/api/v1/conversations", token, {
      model: "claude-haiku-4-5",
    });
    const reply = await rig.post(`/api/v1/conversations/${conversation.body.id}/messages`, token, {
      content: "When do we ship?",
      fileIds: [id],
    });
    expect(reply.status, reply.text).toBe(200);
    expect(lastUserMessage(rig.fake.calls[1])).toMatch(/Ship on Friday\.[\s\S]*When do we ship\?$/);
  });

  it("answer 404 for another token's file, and call no model", async () => {
    const other = (await rig.token()).token;
    const theirs = await upload("theirs.txt", "private", other);
    const reply = await rig.post<ErrorBody>("/api/v1/completions", token, {
      model: "claude-haiku-4-5",
      prompt: "Read it",
      fileIds: [theirs],
    });
    expect(reply.status).toBe(404);
    expect(reply.body.error.message).toBe(`No file with id ${theirs}`);
    expect(rig.fake.calls).toHaveLength(0);
  });
});
