/**
 * The Office Scripts against a real OfficeLLM server (the real app on a real SQLite file, with
 * the offline demo model, whose answers start with "[demo]" and quote the prompt). The sample
 * flow's whole loop is run end to end by power-automate/test/answer-prompts.int.test.ts; here:
 * - the flow scripts around one batch call, made as the custom connector makes it
 *   (ConnectorClient, which holds the request and the answer to the connector's schemas): an item
 *   the model cannot take leaves its row empty, and read-prompts asks that row again;
 * - fill-with-answers run by hand, with Node's real fetch: chunks of 100, requests kept under
 *   the server's body limit, a revoked token, and an item the model cannot take.
 * Excel itself is the in-memory workbook of fake-workbook.ts.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { ConnectorClient } from "../../server/test/connector-client.ts";
import { startTestServer, type TestServer } from "../../server/test/harness.ts";
import { FakeWorkbook } from "./fake-workbook.ts";
import { consoleCapture, loadScript } from "./load-script.ts";
import type { BatchResult, FillWithAnswers, ReadPrompts, WriteAnswers } from "./mains.ts";

const readPrompts = loadScript<ReadPrompts>("read-prompts.ts");
const writeAnswers = loadScript<WriteAnswers>("write-answers.ts");

let server: TestServer;
let token: string;
let connector: ConnectorClient;

beforeAll(async () => {
  // The connector definition is served only for an https address that is not loopback.
  server = await startTestServer({ env: { PUBLIC_URL: "https://officellm.example.com" } });
  token = (await server.token({ scopes: ["llm"] })).token;
  connector = await ConnectorClient.open(server, token);
});
afterAll(() => server.close());

/** The batch requests the server has logged, with their status. */
function batchRequests(on: TestServer): number[] {
  return on.logs
    .records()
    .filter((record) => record.msg === "request" && record.path === "/api/v1/batch")
    .map((record) => Number(record.status));
}

/** How the demo model quotes a prompt: whitespace collapsed, the first 119 characters. */
const quoted = (prompt: string) => prompt.replace(/\s+/g, " ").trim().slice(0, 119);

/** An instruction and a prompt that, together, overflow the demo model's context window. */
const longInstruction = "Please read carefully. ".repeat(4348).trim();
const oversizedPrompt = "A very long question. ".repeat(1454).trim();

describe("the flow scripts around the connector's batch call", () => {
  it("leaves a failed row empty, reports it, and asks it again on the next run", async () => {
    const book = new FakeWorkbook({
      Sheet1: { A2: "A short question", A3: oversizedPrompt, A4: "Another short one" },
    });
    const out = readPrompts(book, "Sheet1", "A", "B", 2, longInstruction);
    expect(out.batch.items.map((item) => item.id)).toEqual(["2", "3", "4"]);
    expect(out.more).toBe(false);

    const { status, json } = await connector.call("CompleteBatch", { body: out.batch });
    expect(status).toBe(200);
    const summary = writeAnswers(book, "Sheet1", "B", json.results as BatchResult[]);

    expect(summary.written).toBe(2);
    expect(summary.failed).toEqual([
      { id: "3", row: 3, code: "invalid_request", message: expect.stringContaining("context") },
    ]);
    expect(book.sheet("Sheet1").value("B3")).toBe("");
    expect(String(book.sheet("Sheet1").value("B2"))).toMatch(/^\[demo\] /);
    const again = readPrompts(book, "Sheet1", "A", "B", 2, longInstruction);
    expect(again).toEqual({
      batch: { items: [expect.objectContaining({ id: "3" })] },
      more: false,
    });
  });
});

describe("fill-with-answers, run by hand with fetch", () => {
  it("answers a selection of hundreds of rows, 100 prompts to a request", async () => {
    const cells: Record<string, string> = { A1: "Question", B1: "Answer" };
    const asked: number[] = [];
    const kept: number[] = [];
    for (let row = 2; row <= 251; row++) {
      if (row % 40 === 0) continue; // no prompt: passed over
      cells[`A${row}`] = `Question ${row}: what comes after ${row}?`;
      if (row % 25 === 0) {
        cells[`B${row}`] = "answered by hand";
        kept.push(row);
      } else {
        asked.push(row);
      }
    }
    const book = new FakeWorkbook({ Quiz: cells });
    book.select("Quiz", "A2:A5000");
    const before = book.sheet("Quiz").snapshot();
    const output = consoleCapture();
    const fill = loadScript<FillWithAnswers>("fill-with-answers.ts", { fetch, console: output });
    const requestsBefore = batchRequests(server).length;

    const summary = await fill(book, `${server.url}/`, token);

    expect(summary).toEqual({ answered: asked.length, failed: 0, skipped: kept.length });
    await vi.waitFor(
      () =>
        expect(batchRequests(server).slice(requestsBefore)).toEqual(
          Array.from({ length: Math.ceil(asked.length / 100) }, () => 200),
        ),
      { timeout: 20_000 },
    );
    const after = book.sheet("Quiz").snapshot();
    const answers = Object.fromEntries(asked.map((row) => [`B${row}`, after[`B${row}`]]));
    expect(after).toEqual({ ...before, ...answers });
    for (const row of asked) {
      expect(String(after[`B${row}`])).toMatch(/^\[demo\] /);
      expect(after[`B${row}`]).toContain(`Question ${row}: what comes after ${row}?`);
    }
    expect(output.lines).toEqual([
      `OfficeLLM: ${asked.length} answered, 0 failed, ${kept.length} skipped (already answered).`,
    ]);

    // A second run finds nothing left to ask.
    const requestsNow = batchRequests(server).length;
    expect(await fill(book, server.url, token)).toEqual({
      answered: 0,
      failed: 0,
      skipped: asked.length + kept.length,
    });
    expect(batchRequests(server)).toHaveLength(requestsNow);
  });

  it("puts answers answerOffset columns away, after the instruction, either side", async () => {
    const book = new FakeWorkbook({ S: { C2: "Bonjour", C3: "Merci", E3: "kept", A2: "kept" } });
    const fill = loadScript<FillWithAnswers>("fill-with-answers.ts", { fetch });
    book.select("S", "C2:D3");
    expect(await fill(book, server.url, token, "Translate to English.", 2)).toEqual({
      answered: 1,
      failed: 0,
      skipped: 1,
    });
    expect(book.sheet("S").value("E2")).toContain(quoted("Translate to English.\n\nBonjour"));
    expect(book.sheet("S").value("E3")).toBe("kept");
    expect(await fill(book, server.url, token, "", -2)).toEqual({
      answered: 1,
      failed: 0,
      skipped: 1,
    });
    expect(book.sheet("S").value("A3")).toContain('You asked: "Merci"');
    expect(book.sheet("S").value("A2")).toBe("kept");
  });

  it("keeps an answer cell someone filled while the request was out", async () => {
    const book = new FakeWorkbook({ S: { A1: "First", A2: "Second", A3: "Third" } });
    book.select("S", "A1:A3");
    // The user types into B2 while OfficeLLM is answering.
    const typing: typeof fetch = async (...args) => {
      const response = await fetch(...args);
      book.sheet("S").put({ B2: "typed meanwhile" });
      return response;
    };
    const fill = loadScript<FillWithAnswers>("fill-with-answers.ts", { fetch: typing });
    expect(await fill(book, server.url, token)).toEqual({ answered: 2, failed: 0, skipped: 1 });
    expect(book.sheet("S").value("B2")).toBe("typed meanwhile");
    expect(book.sheet("S").value("B3")).toContain('You asked: "Third"');
  });

  it("stops on a refused token with the server's message, never the token", async () => {
    const revoked = await server.token({ scopes: ["llm"] });
    await server.tokens.revoke(revoked.id);
    const book = new FakeWorkbook({ Sheet1: { A1: "Will this be answered?" } });
    book.select("Sheet1", "A1");
    const fill = loadScript<FillWithAnswers>("fill-with-answers.ts", { fetch });

    const error = await fill(book, server.url, revoked.token).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    // An error of the script's own realm (load-script.ts): an Error by name, not by instanceof.
    expect(error).toMatchObject({ name: "Error" });
    expect((error as Error).message).toMatch(
      /^OfficeLLM refused the request \(401 unauthorized\): The token has been revoked \(request id [\w-]+\)\. Row 1 is left as it was: run the script again to answer it\.$/,
    );
    expect((error as Error).message).not.toContain(revoked.token);
    expect(book.sheet("Sheet1").snapshot()).toEqual({ A1: "Will this be answered?" });
  });

  it("says how many answers it wrote before a request was refused, and which rows are left", async () => {
    const limited = await server.token({ scopes: ["llm"], rpm: 1 });
    const cells: Record<string, string> = {};
    for (let row = 1; row <= 150; row++) cells[`A${row}`] = `Limited question ${row}`;
    const book = new FakeWorkbook({ Sheet1: cells });
    book.select("Sheet1", "A1:A150");
    // The server asks for the rest of its minute, longer than the script waits: no wait at all.
    const waits: number[] = [];
    const setTimeout = (handler: () => void, ms: number) => {
      waits.push(ms);
      queueMicrotask(handler);
    };
    const fill = loadScript<FillWithAnswers>("fill-with-answers.ts", { fetch, setTimeout });
    await expect(fill(book, server.url, limited.token)).rejects.toThrow(
      /^OfficeLLM refused the request \(429 rate_limited\): .* It asks to wait \d+ s\. \(100 answers were written before this\.\) Rows 101 to 150 are left as they were: run the script again to answer them\.$/,
    );
    expect(waits).toEqual([]);
    const written = Object.keys(book.sheet("Sheet1").snapshot()).filter((a) => a.startsWith("B"));
    expect(written).toHaveLength(100);
  });

  it("says which server it could not reach", async () => {
    const gone = await startTestServer();
    await gone.close();
    const book = new FakeWorkbook({ Sheet1: { A1: "Anyone there?" } });
    book.select("Sheet1", "A1");
    const fill = loadScript<FillWithAnswers>("fill-with-answers.ts", { fetch });
    await expect(fill(book, gone.url, token)).rejects.toThrow(
      `Could not reach OfficeLLM at ${gone.url}/api/v1/batch: TypeError: fetch failed.`,
    );
  });

  it("counts an item the model cannot take as failed and leaves its cell empty", async () => {
    const book = new FakeWorkbook({
      Sheet1: { A2: "A short question", A3: oversizedPrompt, A4: "Another short one" },
    });
    book.select("Sheet1", "A2:A4");
    const output = consoleCapture();
    const fill = loadScript<FillWithAnswers>("fill-with-answers.ts", { fetch, console: output });
    expect(await fill(book, server.url, token, longInstruction)).toEqual({
      answered: 2,
      failed: 1,
      skipped: 0,
    });
    expect(book.sheet("Sheet1").value("B3")).toBe("");
    expect(String(book.sheet("Sheet1").value("B4"))).toMatch(/^\[demo\] /);
    expect(output.lines[0]).toMatch(
      /^OfficeLLM: 2 answered, 1 failed, 0 skipped \(already answered\)\. First failure, row 3: invalid_request: The prompt .* context window/,
    );
  });

  it("keeps each request under the server's body limit", async () => {
    const small = await startTestServer({ env: { BODY_LIMIT: "16kb" } });
    try {
      const smallToken = (await small.token({ scopes: ["llm"] })).token;
      const cells: Record<string, string> = {};
      for (let row = 1; row <= 40; row++) cells[`A${row}`] = `${row} `.padEnd(1000, "·");
      const fill = loadScript<FillWithAnswers>("fill-with-answers.ts", { fetch });

      // Sized for the default limit of 1 MiB, the first request is refused as too large.
      const tooBig = new FakeWorkbook({ Sheet1: cells });
      tooBig.select("Sheet1", "A1:A40");
      await expect(fill(tooBig, small.url, smallToken)).rejects.toThrow(
        /^OfficeLLM refused the request \(413 payload_too_large\)/,
      );

      const book = new FakeWorkbook({ Sheet1: cells });
      book.select("Sheet1", "A1:A40");
      const limit = 16 * 1024;
      expect(await fill(book, small.url, smallToken, "", 1, limit)).toEqual({
        answered: 40,
        failed: 0,
        skipped: 0,
      });
      // "·" takes two bytes: 40 prompts of about 1,990 bytes need at least five requests.
      const bytes = Buffer.byteLength(Object.values(cells).join(""));
      await vi.waitFor(
        () => {
          const statuses = batchRequests(small);
          expect(statuses.slice(1).length).toBeGreaterThanOrEqual(Math.ceil(bytes / limit));
          expect(statuses).toEqual([413, ...statuses.slice(1).map(() => 200)]);
        },
        { timeout: 20_000 },
      );
    } finally {
      await small.close();
    }
  });
});
