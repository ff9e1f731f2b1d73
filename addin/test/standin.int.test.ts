/**
 * The stand-in for a real sheet: 1,000 =LLM.PROMPT cells over 500 distinct prompts, the
 * custom functions in the stand-in CustomFunctions runtime, the real backend over real HTTP, and
 * the fake provider behind the official SDK, with the default provider slots and token turns.
 * The provider's answers wait for the test (their latency is a gate, not a clock), so the test
 * counts what matters whatever the machine's speed: every distinct prompt reaches the provider
 * exactly once, through a client that goes away mid-fill, an Excel reopened and recalculating
 * with every event stream cut by the request limit, and a flow's round sent again. The timing
 * figures (wall time against the bound, a second user's wait) are bench/excel/standin.ts's.
 */
import { afterAll, beforeAll, beforeEach, afterEach, expect, it } from "vitest";
import { startRig, type Rig } from "../../server/test/llm-rig.ts";
import { connectedStorage, FakeExcel, register } from "../src/functions/test-support.ts";

const CELLS = 1_000;
const DISTINCT = 500;

const excel = new FakeExcel();
let rig: Rig;

beforeAll(async () => {
  rig = await startRig();
});
afterAll(() => rig.close());
beforeEach(() => excel.install());
afterEach(() => excel.uninstall());

const prompt = (cell: number) => `Standin question ${cell % DISTINCT}`;

it("asks the provider once per distinct prompt through a disconnect, a reopen with cut streams and a resubmitted flow round", async () => {
  const { token } = await rig.token();
  const storage = await connectedStorage(rig.server.url, token);
  let open = () => {};
  const opened = new Promise<void>((resolve) => (open = resolve));
  rig.fake.setResponder((call) =>
    rig.fake.calls.length <= 100 ? undefined : { text: `echo: ${call.lastUserText}`, gate: opened },
  );

  // Excel fills the sheet; the first 100 answers come at once, the rest are held upstream.
  const first = register(excel, storage);
  const cells = Array.from({ length: CELLS }, (_, cell) =>
    excel.call("PROMPT", [prompt(cell), null]),
  );
  await rig.fake.waitForRequests(101);
  // The workbook is closed mid-fill: Excel cancels every call still waiting.
  for (const { invocation } of cells) invocation.cancel();
  await Promise.all(cells.map(({ result }) => result));
  await first.idle();

  // Reopened, with every event stream cut after 50 ms (a request limit far shorter than the
  // work), while the held answers come in.
  excel.uninstall();
  excel.install();
  register(excel, storage, { settings: { requestTimeoutMs: 50 } });
  open();
  const values = await Promise.all(
    Array.from({ length: CELLS }, (_, cell) => excel.value("PROMPT", prompt(cell), null)),
  );
  expect(values.map(String).every((value, cell) => value.endsWith(prompt(cell)))).toBe(true);

  // A flow's round of 500 prompts, whose first POST the platform gives up on mid-way (its
  // timeout), then sends again under the same key; then a new run of the flow sends it again.
  const round = {
    items: Array.from({ length: DISTINCT }, (_, i) => ({
      id: String(i),
      prompt: `Flow question ${i}`,
      temperature: 0,
    })),
  };
  const post = (key: string, signal?: AbortSignal) =>
    rig.server.fetch("/api/v1/batch", {
      method: "POST",
      token,
      headers: { "content-type": "application/json", "idempotency-key": key },
      body: JSON.stringify(round),
      ...(signal ? { signal } : {}),
    });
  const timedOut = new AbortController();
  const firstTry = post("run-1-round-1", timedOut.signal);
  await rig.fake.waitForRequests(rig.fake.requests.length + 1);
  timedOut.abort();
  await expect(firstTry).rejects.toThrow();
  for (const key of ["run-1-round-1", "run-2-round-1"]) {
    const reply = await post(key);
    const { results } = (await reply.json()) as { results: { ok: boolean }[] };
    expect(results.every((result) => result.ok)).toBe(true);
  }

  const asked = new Map<string, number>();
  for (const call of rig.fake.calls) {
    const text = call.lastUserText;
    asked.set(text, (asked.get(text) ?? 0) + 1);
  }
  expect(asked.size).toBe(2 * DISTINCT);
  expect([...asked.values()].filter((times) => times !== 1)).toEqual([]);
  expect(rig.fake.aborted).toBe(0);
});
