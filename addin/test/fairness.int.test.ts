/**
 * Fairness as Excel users see it: while one user fills many cells, another user's single cell is
 * answered as soon as a provider slot frees, not after the fill. Two users' =LLM.PROMPT cells
 * through the stand-in for Excel's custom functions runtime, against the real backend with the
 * real provider adapters and the fake provider over HTTP, four provider slots.
 */
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { startRig, type Rig } from "../../server/test/llm-rig.ts";
import { saveConnection } from "../src/shared/connection.ts";
import { memoryStorage } from "../src/shared/storage.ts";
import { FakeExcel, register } from "../src/functions/test-support.ts";

let rig: Rig;

beforeAll(async () => {
  rig = await startRig({ env: { PROVIDER_CONCURRENCY: "4" } });
});
afterAll(() => rig.close());

/** One user's Excel: its own custom functions runtime, signed in with its own token. */
async function excelOf(token: string): Promise<FakeExcel> {
  const storage = memoryStorage();
  await saveConnection(storage, { baseUrl: rig.server.url, token });
  const excel = new FakeExcel().install();
  register(excel, storage);
  return excel;
}
afterEach(() => new FakeExcel().uninstall());

/** Resolves once `reached()` holds, checked every few milliseconds; fails after 30 s. */
async function until(reached: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!reached()) {
    if (Date.now() > deadline) throw new Error(`waited 30 s for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Calls of a token waiting for a provider slot so far, as the server's log tells them. */
const queuedCalls = (tokenId: string) =>
  rig.server.logs.lines.filter(
    (line) =>
      line.includes("call queued for a provider slot") && line.includes(`"tokenId":"${tokenId}"`),
  ).length;

it("answers a second user's cell at the next free slot while the first user's fill waits", async () => {
  const filler = await rig.token();
  const other = await rig.token();
  // The fill's answers are held until the test lets each go; the other user's comes at once.
  const letGo: (() => void)[] = [];
  rig.fake.setResponder((call) =>
    call.lastUserText.includes("Fill row")
      ? { text: "filled", gate: new Promise<void>((resolve) => letGo.push(resolve)) }
      : { text: "answered" },
  );

  const fillExcel = await excelOf(filler.token);
  const fill = Array.from({ length: 60 }, (_, row) =>
    fillExcel.value("PROMPT", `Fill row ${row}`, null),
  );
  // Four of the fill's calls hold the provider's four slots; the rest wait in the fill's job.
  await rig.fake.waitForRequests(4);

  // The other user recalculates one cell in their own workbook.
  const otherExcel = await excelOf(other.token);
  const cell = otherExcel.value("PROMPT", "What is the capital of France?", null);
  await until(() => queuedCalls(other.id) === 1, "the other user's call to queue");

  // One of the fill's answers comes back: the slot it frees is the other user's.
  letGo[0]!();
  expect(await cell).toBe("answered");
  const arrivals = rig.fake.calls.map((call) =>
    call.lastUserText.includes("Fill row") ? "fill" : "other",
  );
  expect(arrivals.slice(0, 5)).toEqual(["fill", "fill", "fill", "fill", "other"]);

  // The fill then completes, every cell answered.
  const release = setInterval(() => letGo.forEach((go) => go()), 5);
  try {
    expect(await Promise.all(fill)).toEqual(Array(60).fill("filled"));
  } finally {
    clearInterval(release);
  }
});
