/**
 * fill-with-answers.ts without a server: its input errors, the selections that need no request
 * (loaded without `fetch`, so any request would fail the test), and, with a stand-in for the
 * server's batch endpoint, how it splits the prompts into requests and how much of the sheet it
 * reads. Its calls to a real OfficeLLM server are in with-server.int.test.ts.
 */
import { describe, expect, it } from "vitest";
import { FakeWorkbook } from "./fake-workbook.ts";
import { consoleCapture, loadScript } from "./load-script.ts";
import type { FillWithAnswers, PromptItem } from "./mains.ts";

const url = "https://officellm.example.com";
const token = "ollm_not_a_real_token";

/**
 * A stand-in for POST /api/v1/batch that answers every item with `answer(prompt)`, unless
 * `refuse` gives the response to its nth request (from 1) instead.
 */
function batchEndpoint(
  answer: (prompt: string) => string = (prompt) => `Answer: ${prompt}`,
  refuse: (request: number) => Response | undefined = () => undefined,
) {
  const requests: PromptItem[][] = [];
  const keys: (string | null)[] = [];
  const fetch = async (_url: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const { items } = JSON.parse(String(init?.body)) as { items: PromptItem[] };
    requests.push(items);
    keys.push(new Headers(init?.headers).get("idempotency-key"));
    const refused = refuse(requests.length);
    if (refused) return refused;
    const results = items.map((item) => ({ id: item.id, ok: true, text: answer(item.prompt) }));
    return Response.json({ results });
  };
  return { fetch: fetch as typeof globalThis.fetch, requests, keys };
}

/** OfficeLLM's refusal, with a Retry-After when `retryAfter` is given. */
function refusal(status: 429 | 503, retryAfter?: string): Response {
  const code = status === 429 ? "rate_limited" : "unavailable";
  const headers: Record<string, string> =
    retryAfter === undefined ? {} : { "Retry-After": retryAfter };
  const error = { code, message: "Try again later", requestId: "req-1" };
  return Response.json({ error }, { status, headers });
}

/** A clock for the script's setTimeout: it notes each wait and ends it at once. */
function fakeClock() {
  const waits: number[] = [];
  const setTimeout = (handler: () => void, ms: number): void => {
    waits.push(ms);
    queueMicrotask(handler);
  };
  return { setTimeout, waits };
}

function numbered(rows: number): Record<string, string> {
  const cells: Record<string, string> = {};
  for (let row = 1; row <= rows; row++) cells[`A${row}`] = `Question ${row}`;
  return cells;
}

function selected(cells: Record<string, string>, address: string): FakeWorkbook {
  const book = new FakeWorkbook({ Sheet1: cells });
  book.select("Sheet1", address);
  return book;
}

describe("fill-with-answers", () => {
  it.each([
    [["officellm.example.com", token], /serverUrl must be your OfficeLLM server.*got "officellm/],
    [["", token], /serverUrl must be your OfficeLLM server/],
    [["https://", token], /serverUrl must be your OfficeLLM server/],
    [[url, "  "], /token is empty/],
    [[url, token, "", 0], /answerOffset must be a whole number other than 0; got 0/],
    [[url, token, "", 1.5], /answerOffset must be a whole number other than 0; got 1.5/],
    [[url, token, "", -1], /answerOffset -1 puts the answers outside the sheet/],
    [[url, token, "", 1, 0], /maxRequestBytes must be a whole number of at least 1; got 0/],
    [[url, token, "", 1, 1000, 0], /maxItems must be a whole number of at least 1; got 0/],
    [[url, token, "", 1, 1000, 2.5], /maxItems must be a whole number of at least 1; got 2.5/],
  ] as const)("refuses %j before any request", async (args, message) => {
    const fill = loadScript<FillWithAnswers>("fill-with-answers.ts");
    const call = fill as (workbook: FakeWorkbook, ...rest: unknown[]) => Promise<unknown>;
    await expect(call(selected({ A1: "a prompt" }, "A1:A3"), ...args)).rejects.toThrow(message);
  });

  it("asks nothing when no selected row has an unanswered prompt", async () => {
    const output = consoleCapture();
    const fill = loadScript<FillWithAnswers>("fill-with-answers.ts", { console: output });
    const cells = { A1: "answered", B1: "yes", A2: "  ", A3: "also answered", B3: "0", D20: "" };
    const book = selected(cells, "A1:A1000");
    const before = book.sheet("Sheet1").snapshot();
    expect(await fill(book, url, token)).toEqual({ answered: 0, failed: 0, skipped: 2 });
    expect(book.sheet("Sheet1").snapshot()).toEqual(before);
    expect(output.lines).toEqual([
      "OfficeLLM: 0 answered, 0 failed, 2 skipped (already answered).",
    ]);
  });

  it("asks nothing below the sheet's used range, however much is selected", async () => {
    const fill = loadScript<FillWithAnswers>("fill-with-answers.ts");
    const book = selected({}, "C1:C1048576");
    expect(await fill(book, url, token)).toEqual({ answered: 0, failed: 0, skipped: 0 });
    expect(book.sheet("Sheet1").reads).toBe(0);
  });

  it("sends at most maxItems prompts to a request", async () => {
    const cells: Record<string, string> = {};
    for (let row = 1; row <= 25; row++) cells[`A${row}`] = `Question ${row}`;
    const book = selected(cells, "A1:A25");
    const server = batchEndpoint();
    const fill = loadScript<FillWithAnswers>("fill-with-answers.ts", { fetch: server.fetch });
    expect(await fill(book, url, token, "", 1, 1000000, 10)).toEqual({
      answered: 25,
      failed: 0,
      skipped: 0,
    });
    expect(server.requests.map((items) => items.length)).toEqual([10, 10, 5]);
    expect(book.sheet("Sheet1").value("B25")).toBe("Answer: Question 25");
    // 100 by default.
    const again = batchEndpoint();
    const cellsAgain: Record<string, string> = {};
    for (let row = 1; row <= 150; row++) cellsAgain[`A${row}`] = `Question ${row}`;
    const fillAgain = loadScript<FillWithAnswers>("fill-with-answers.ts", { fetch: again.fetch });
    await fillAgain(selected(cellsAgain, "A1:A150"), url, token);
    expect(again.requests.map((items) => items.length)).toEqual([100, 50]);
  });

  it("takes null for an optional parameter as its default", async () => {
    const server = batchEndpoint();
    const fill = loadScript<FillWithAnswers>("fill-with-answers.ts", { fetch: server.fetch });
    const call = fill as (workbook: FakeWorkbook, ...rest: unknown[]) => Promise<unknown>;
    const book = selected({ A1: "First", A2: "Second" }, "A1:A2");
    expect(await call(book, url, token, null, null, null, null)).toEqual({
      answered: 2,
      failed: 0,
      skipped: 0,
    });
    expect(server.requests).toEqual([
      [
        { id: "1", prompt: "First" },
        { id: "2", prompt: "Second" },
      ],
    ]);
    expect(book.sheet("Sheet1").snapshot()).toEqual({
      A1: "First",
      A2: "Second",
      B1: "Answer: First",
      B2: "Answer: Second",
    });
  });

  it("enters every answer as text but a number written as it prints", async () => {
    const answers = ["3/4", "=1+1", "TRUE", "50%", "42", "02134", "12345678901234567890", "-0.5"];
    const server = batchEndpoint((prompt) => answers[Number(prompt.slice("Answer ".length))]!);
    const fill = loadScript<FillWithAnswers>("fill-with-answers.ts", { fetch: server.fetch });
    const cells = Object.fromEntries(
      answers.map((_, index) => [`A${index + 1}`, `Answer ${index}`]),
    );
    const book = selected(cells, `A1:A${answers.length}`);
    await fill(book, url, token);
    const sheet = book.sheet("Sheet1");
    expect(answers.map((_, index) => sheet.value(`B${index + 1}`))).toEqual([
      "3/4",
      "=1+1",
      "TRUE",
      "50%",
      42,
      "02134",
      "12345678901234567890",
      -0.5,
    ]);
  });

  it("sends a request's long answers to Excel about 1 MB at a time", async () => {
    // 32,767 three-byte characters: 98 KB of JSON each, 9.8 MB for 100 answers.
    const text = "€".repeat(32_767);
    const size = Buffer.byteLength(JSON.stringify(`'${text}`));
    const cells: Record<string, string> = {};
    for (let row = 1; row <= 100; row++) cells[`A${row}`] = `Question ${row}`;
    const book = selected(cells, "A1:A100");
    const server = batchEndpoint(() => text);
    const fill = loadScript<FillWithAnswers>("fill-with-answers.ts", { fetch: server.fetch });
    expect(await fill(book, url, token)).toEqual({ answered: 100, failed: 0, skipped: 0 });
    expect(server.requests.map((items) => items.length)).toEqual([100]);
    expect(book.sheet("Sheet1").value("B100")).toBe(text);
    // Eleven answers (1.08 MB) to an exchange, each sent by a read of the last one's type; the
    // last answer too, before the script goes on.
    const sent = book.exchanges.filter((exchange) => exchange.written > 0);
    expect(sent.map((exchange) => exchange.written)).toEqual([
      ...Array.from({ length: 9 }, () => 11 * size),
      size,
    ]);
    expect(sent.map((exchange) => exchange.what)).toEqual(
      [11, 22, 33, 44, 55, 66, 77, 88, 99, 100].map((row) => `getValueTypes of B${row}:B${row}`),
    );
  });

  it("sends a request's answers before it reads more prompts of the longest text", async () => {
    // 32,767 control characters, six bytes each in JSON ("\u0001"): 25 such prompts are read
    // at a time, 4.9 MB, with no room left for answers waiting to be written.
    const prompt = "\u0001".repeat(32_767);
    const answer = "€".repeat(32_767);
    const cells: Record<string, string> = {};
    for (let row = 1; row <= 150; row++) cells[`A${row}`] = prompt;
    const book = selected(cells, "A1:A150");
    const server = batchEndpoint(() => answer);
    const fill = loadScript<FillWithAnswers>("fill-with-answers.ts", { fetch: server.fetch });
    expect(await fill(book, url, token, "", 1, 100_000_000)).toEqual({
      answered: 150,
      failed: 0,
      skipped: 0,
    });
    expect(server.requests.map((items) => items.length)).toEqual([100, 50]);
    expect(server.requests[0]![0]).toEqual({ id: "1", prompt });
    const sheet = book.sheet("Sheet1");
    expect(sheet.value("B150")).toBe(answer);
    const texts = sheet.readLog.filter((read) => read.kind === "getTexts");
    expect(texts.map((read) => read.rows)).toEqual([25, 25, 25, 25, 25, 25]);
    // The texts' reads carry no answers: those of the first request went before.
    const reads = book.exchanges.filter((exchange) => exchange.what.startsWith("getTexts"));
    expect(reads.map((exchange) => exchange.written)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(Math.max(...book.exchanges.map((exchange) => exchange.written + exchange.read))).toBe(
      25 * (6 * 32_767 + 4) + 24 + 2,
    );
  });

  it("reads a whole column of thousands of long answers a little at a time", async () => {
    const cells: Record<string, string> = {};
    for (let row = 1; row <= 3000; row++) {
      cells[`A${row}`] = `Question ${row}`;
      cells[`B${row}`] = `Answer ${row} `.padEnd(2048, "x");
    }
    // 150 new prompts, every other row: a request of 100 spans 199 rows.
    for (let row = 3001; row <= 3299; row += 2) cells[`A${row}`] = `New question ${row}`;
    const book = selected(cells, "A1:A1048576");
    const sheet = book.sheet("Sheet1");
    // The answer column in one read is more than Excel hands over at once.
    expect(() => sheet.getRange("B1:B3000").getValues()).toThrow(/Office Scripts allow 5 MB/);
    sheet.readLog.length = 0;
    const server = batchEndpoint();
    const fill = loadScript<FillWithAnswers>("fill-with-answers.ts", { fetch: server.fetch });

    expect(await fill(book, url, token)).toEqual({ answered: 150, failed: 0, skipped: 3000 });

    expect(server.requests.map((items) => items.length)).toEqual([100, 50]);
    expect(sheet.value("B3299")).toBe("Answer: New question 3299");
    const reads = sheet.readLog;
    expect(reads.filter((read) => read.kind === "getValues")).toEqual([]);
    const texts = reads.filter((read) => read.kind === "getTexts");
    expect(texts.every((read) => read.address.startsWith("A") && read.rows <= 25)).toBe(true);
    // The answer cells' types: 1,000 rows at a time to find the empty ones, then again before
    // writing each request's answers, at most 100 rows at a time, and the last answer's cell
    // after writing them, which sends them to Excel.
    const answerTypes = reads.filter((read) => read.address.startsWith("B"));
    expect(answerTypes.map((read) => [read.kind, read.address])).toEqual(
      ["B1:B1000", "B1001:B2000", "B2001:B3000", "B3001:B3299"]
        .concat(["B3001:B3099", "B3101:B3199", "B3199:B3199", "B3201:B3299", "B3299:B3299"])
        .map((address) => ["getValueTypes", address]),
    );
  });

  describe("when the server asks it to wait (429 or 503)", () => {
    it("waits as Retry-After says and asks again, filling every row", async () => {
      const server = batchEndpoint(undefined, (request) =>
        request === 1 ? refusal(429, "7") : undefined,
      );
      const clock = fakeClock();
      const output = consoleCapture();
      const fill = loadScript<FillWithAnswers>("fill-with-answers.ts", {
        ...clock,
        ...server,
        console: output,
      });
      const book = selected(numbered(3), "A1:A3");
      expect(await fill(book, url, token)).toEqual({ answered: 3, failed: 0, skipped: 0 });
      expect(clock.waits).toEqual([7000]);
      expect(server.requests.map((items) => items.map((item) => item.id))).toEqual([
        ["1", "2", "3"],
        ["1", "2", "3"],
      ]);
      expect(book.sheet("Sheet1").value("B3")).toBe("Answer: Question 3");
      expect(output.lines).toEqual([
        "OfficeLLM: 3 answered, 0 failed, 0 skipped (already answered). Waited 7 s in all for the server to take more.",
      ]);
    });

    it("sends a request's tries under one Idempotency-Key, and each request under its own", async () => {
      const server = batchEndpoint(undefined, (request) =>
        request === 1 ? refusal(503, "1") : undefined,
      );
      const fill = loadScript<FillWithAnswers>("fill-with-answers.ts", {
        ...fakeClock(),
        ...server,
        console: consoleCapture(),
      });
      const book = selected(numbered(5), "A1:A5");
      expect(await fill(book, url, token, "", 1, 1000000, 3)).toMatchObject({ answered: 5 });
      const [first, retry, second] = server.keys;
      expect(server.keys).toHaveLength(3);
      expect(first).toMatch(/^fill-[a-z0-9]+-[a-z0-9]+-row-1$/);
      // The server computes a request once: sent again after a 503, it is joined, not repaid.
      expect(retry).toBe(first);
      expect(second).toBe(first!.replace(/row-1$/, "row-4"));
    });

    it("takes a Retry-After date, and a date gone by as no wait", async () => {
      const past = new Date(Date.now() - 60_000).toUTCString();
      const server = batchEndpoint(undefined, (request) =>
        request === 1 ? refusal(503, past) : undefined,
      );
      const clock = fakeClock();
      const fill = loadScript<FillWithAnswers>("fill-with-answers.ts", { ...clock, ...server });
      expect(await fill(selected(numbered(1), "A1"), url, token)).toEqual({
        answered: 1,
        failed: 0,
        skipped: 0,
      });
      expect(clock.waits).toEqual([0]);
    });

    it("tries a request 3 times, then stops, naming the rows left and keeping those filled", async () => {
      // The first request is answered; from the second on, the server is busy, with no
      // Retry-After: the script waits 5 s.
      const server = batchEndpoint(undefined, (request) =>
        request > 1 ? refusal(503) : undefined,
      );
      const clock = fakeClock();
      const fill = loadScript<FillWithAnswers>("fill-with-answers.ts", { ...clock, ...server });
      const book = selected({ ...numbered(5), B4: "typed by hand" }, "A1:A5");
      await expect(fill(book, url, token, "", 1, 1000000, 2)).rejects.toThrow(
        "OfficeLLM refused the request (503 unavailable): Try again later (request id req-1). " +
          "Tried 3 times. (2 answers were written before this.) " +
          "Rows 3 to 5 are left as they were: run the script again to answer them.",
      );
      expect(clock.waits).toEqual([5000, 5000]);
      expect(server.requests.map((items) => items.map((item) => item.id))).toEqual([
        ["1", "2"],
        ["3", "5"],
        ["3", "5"],
        ["3", "5"],
      ]);
      expect(book.sheet("Sheet1").snapshot()).toEqual({
        ...numbered(5),
        B1: "Answer: Question 1",
        B2: "Answer: Question 2",
        B4: "typed by hand",
      });
    });

    it("does not ask sooner than a Retry-After longer than 30 s: it stops at once", async () => {
      const server = batchEndpoint(undefined, () => refusal(429, "45"));
      const clock = fakeClock();
      const fill = loadScript<FillWithAnswers>("fill-with-answers.ts", { ...clock, ...server });
      await expect(fill(selected(numbered(1), "A1"), url, token)).rejects.toThrow(
        "OfficeLLM refused the request (429 rate_limited): Try again later (request id req-1). " +
          "It asks to wait 45 s. Row 1 is left as it was: run the script again to answer it.",
      );
      expect(clock.waits).toEqual([]);
      expect(server.requests).toHaveLength(1);
    });

    it("waits at most 60 s in a run", async () => {
      // One prompt a request; each request is first refused for 25 s.
      let refused = 0;
      const server = batchEndpoint(undefined, (request) => {
        if (request % 2 === 0) return undefined;
        refused++;
        return refusal(429, "25");
      });
      const clock = fakeClock();
      const fill = loadScript<FillWithAnswers>("fill-with-answers.ts", { ...clock, ...server });
      const book = selected(numbered(4), "A1:A4");
      await expect(fill(book, url, token, "", 1, 1000000, 1)).rejects.toThrow(
        /\(429 rate_limited\).*\(2 answers were written before this\.\) Rows 3 to 4 are left as they were/,
      );
      expect(clock.waits).toEqual([25000, 25000]);
      expect(refused).toBe(3);
      expect(book.sheet("Sheet1").value("B2")).toBe("Answer: Question 2");
      expect(book.sheet("Sheet1").value("B3")).toBe("");
    });

    it("never asks again without waiting: with no timer, it stops at the first 429", async () => {
      const server = batchEndpoint(undefined, () => refusal(429, "1"));
      const fill = loadScript<FillWithAnswers>("fill-with-answers.ts", server);
      await expect(fill(selected(numbered(2), "A1:A2"), url, token)).rejects.toThrow(
        "OfficeLLM refused the request (429 rate_limited): Try again later (request id req-1). " +
          "Rows 1 to 2 are left as they were: run the script again to answer them.",
      );
      expect(server.requests).toHaveLength(1);
    });
  });
});
