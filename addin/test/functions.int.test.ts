/**
 * The =LLM.* functions against the real backend (its offline, deterministic demo provider),
 * through the stand-in for Excel's custom functions runtime.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../../server/test/harness.ts";
import { saveConnection } from "../src/shared/connection.ts";
import { memoryStorage, type KeyValueStorage } from "../src/shared/storage.ts";
import { FakeExcel, register } from "../src/functions/test-support.ts";

let server: TestServer;
let token: string;
const excel = new FakeExcel();

/** Counts the requests the functions make. */
function countingFetch() {
  const calls: string[] = [];
  const counted: typeof fetch = (input, init) => {
    const path = new URL(String(input)).pathname.replace(/job_[\w-]+/, ":id");
    calls.push(`${init?.method ?? "GET"} ${path}`);
    return fetch(input, init);
  };
  return { calls, fetch: counted };
}

async function storageFor(secret: string): Promise<KeyValueStorage> {
  const storage = memoryStorage();
  await saveConnection(storage, { baseUrl: server.url, token: secret });
  return storage;
}

beforeAll(async () => {
  server = await startTestServer();
  token = (await server.token()).token;
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => excel.install());
afterEach(() => excel.uninstall());

describe("the functions against the real backend", () => {
  it("answers 120 calls of one recalculation as one job, identical calls once", async () => {
    const counter = countingFetch();
    register(excel, await storageFor(token), { fetch: counter.fetch });
    const prompts = Array.from({ length: 120 }, (_, i) => `Question ${i % 110}`);
    const values = await Promise.all(prompts.map((p) => excel.value("PROMPT", p, null)));
    expect(values[7]).toMatch(/^\[demo\] You asked: "Question 7"/);
    expect(values[117]).toBe(values[7]);
    expect(counter.calls).toEqual(["POST /api/v1/jobs", "GET /api/v1/jobs/:id/events"]);
  });

  it("spills LIST, TABLE and EXTRACT, and CLASSIFY gives a label", async () => {
    register(excel, await storageFor(token));
    const list = (await excel.value("LIST", "Three fruits", null)) as unknown[][];
    expect(list.length).toBeGreaterThanOrEqual(1);
    for (const row of list) expect(row).toHaveLength(1);

    const table = (await excel.value("TABLE", "Two countries", [
      [["with capitals"]],
    ])) as unknown[][];
    expect(table.length).toBeGreaterThanOrEqual(1);
    for (const row of table) expect(row).toHaveLength(table[0]!.length);

    const extracted = await excel.value(
      "EXTRACT",
      "Ann Lee, ann@example.com",
      [["name", "email"]],
      null,
    );
    expect(extracted).toEqual([[expect.anything(), expect.anything()]]);

    const labels = [["urgent", "routine"]];
    expect(["urgent", "routine"]).toContain(
      await excel.value("CLASSIFY", "Server down!", labels, null),
    );
    expect(await excel.value("TRANSLATE", "Hello", "French", null)).toMatch(/^\[demo\]/);
    expect(
      await excel.value(
        "SUMMARIZE",
        [
          ["Region", "Sales"],
          ["North", 1],
        ],
        10,
        null,
      ),
    ).toMatch(/^\[demo\]/);
  });

  it("spills PROMPT.TOROW right and PROMPT.TOCOLUMN down from one request, as Cellm's did", async () => {
    const counter = countingFetch();
    register(excel, await storageFor(token), { fetch: counter.fetch });
    const row = (await excel.value("PROMPT.TOROW", "Three fruits", null)) as unknown[][];
    const column = (await excel.value("PROMPT.TOCOLUMN", "Three fruits", null)) as unknown[][];
    expect(row).toHaveLength(1);
    expect(row[0]!.length).toBeGreaterThanOrEqual(1);
    expect(column).toEqual(row[0]!.map((item) => [item]));
    expect(counter.calls).toEqual(["POST /api/v1/jobs", "GET /api/v1/jobs/:id/events"]);
  });

  it("ranks candidates by meaning with SIMILAR and CLOSEST, in one embeddings request", async () => {
    const counter = countingFetch();
    register(excel, await storageFor(token), { fetch: counter.fetch });
    const candidates = [["Acme Corporation"], ["Lisbon weather"], ["Globex Inc"]];
    const [ranked, best] = await Promise.all([
      excel.value("SIMILAR", "ACME Corp", candidates, 2, null),
      excel.value("CLOSEST", "Globex Incorporated", candidates, null),
    ]);
    expect((ranked as [string, number][]).map(([candidate]) => candidate)[0]).toBe(
      "Acme Corporation",
    );
    expect(ranked).toHaveLength(2);
    expect(best).toBe("Globex Inc");
    expect(counter.calls).toEqual(["POST /api/v1/embeddings"]);
  });

  it("asks nothing again when the workbook is reopened", async () => {
    const storage = await storageFor(token);
    const first = countingFetch();
    const engine = register(excel, storage, { fetch: first.fetch });
    const before = await Promise.all([
      excel.value("PROMPT", "Reopen me", null),
      excel.value("LIST", "Reopen list", null),
    ]);
    await engine.idle();
    expect(first.calls).toEqual(["POST /api/v1/jobs", "GET /api/v1/jobs/:id/events"]);

    excel.uninstall();
    excel.install();
    const second = countingFetch();
    register(excel, storage, { fetch: second.fetch });
    const after = await Promise.all([
      excel.value("PROMPT", "Reopen me", null),
      excel.value("LIST", "Reopen list", null),
    ]);
    expect(after).toEqual(before);
    expect(second.calls).toEqual([]);
  });

  it("shows a rejected token as #N/A with what to do", async () => {
    register(excel, await storageFor("ollm_not_a_real_token"));
    const error = await excel.error("PROMPT", "Hi", null);
    expect(error.code).toBe("#N/A");
    expect(error.message).toMatch(/OfficeLLM rejected your token .*reconnect/);
  });

  it("shows a rate limit as #N/A with when to try again", async () => {
    // A job takes two requests: its start and its event stream.
    const limited = (await server.token({ rpm: 2 })).token;
    register(excel, await storageFor(limited), { settings: { maxRateLimitWaitMs: 0 } });
    expect(await excel.value("PROMPT", "First", null)).toMatch(/^\[demo\]/);
    const error = await excel.error("PROMPT", "Second", null);
    expect(error.code).toBe("#N/A");
    expect(error.message).toMatch(/Rate limited.*Try again in \d+ (seconds|minutes)/);
  });
});
