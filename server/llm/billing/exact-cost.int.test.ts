/**
 * Costs are exact money in every response: a call's cost, and every sum of costs, is the decimal
 * amount, never a binary-floating-point neighbour of it. The calls below cost 1,350 nano-dollars
 * each (gpt-4o-mini: one input token at $0.15 and two output tokens at $0.60 per million), which
 * floating-point arithmetic makes 0.0000013499999999999998.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { parseSse, startRig, type CompletionBody, type Rig } from "../../test/llm-rig.ts";

const MODEL = "gpt-4o-mini";
/** One token, as the fake counts (three characters a token). */
const PROMPTS = ["Hi", "Yo", "Hm", "Ok", "Ah"];
/** Two tokens. */
const ANSWER = "Hello!";
const ONE_CALL_USD = 0.00000135;

let rig: Rig;

beforeAll(async () => {
  rig = await startRig();
  rig.fake.setResponder(() => ({ text: ANSWER }));
});
afterAll(() => rig.close());

async function get<T>(token: string, path: string): Promise<{ text: string; body: T }> {
  const response = await rig.server.fetch(path, { token });
  expect(response.status).toBe(200);
  const text = await response.text();
  return { text, body: JSON.parse(text) as T };
}

it("gives each call's cost and every sum of costs as the exact decimal amount", async () => {
  const { id, token } = await rig.token({ budgetUsd: 1 });
  const admin = await rig.server.token({ name: "ops", scopes: ["admin"] });
  const exactCost = { inputTokens: 1, outputTokens: 2, costUsd: ONE_CALL_USD };

  const plain = await rig.post<CompletionBody>("/api/v1/completions", token, {
    model: MODEL,
    prompt: PROMPTS[0],
  });
  expect(plain.status, plain.text).toBe(200);
  expect(plain.body.usage).toEqual(exactCost);
  expect(plain.text).toContain('"costUsd":0.00000135}');

  const streamed = await rig.post("/api/v1/completions", token, {
    model: MODEL,
    prompt: PROMPTS[1],
    stream: true,
  });
  const done = parseSse(streamed.text).find((event) => event.event === "done");
  expect((done?.data as CompletionBody).usage).toEqual(exactCost);

  const batch = await rig.post<{ results: CompletionBody[] }>("/api/v1/batch", token, {
    items: [PROMPTS[2], PROMPTS[3]].map((prompt) => ({ model: MODEL, prompt })),
  });
  expect(batch.status, batch.text).toBe(200);
  expect(batch.body.results.map((result) => result.usage)).toEqual([exactCost, exactCost]);

  const chat = await rig.post("/v1/chat/completions", token, {
    model: MODEL,
    messages: [{ role: "user", content: PROMPTS[4] }],
  });
  expect(chat.status, chat.text).toBe(200);
  const rows = await rig.server.store.usage.listForToken(id);
  expect(rows.map((row) => row.cost_nano_usd)).toEqual([1350, 1350, 1350, 1350, 1350]);

  // Five calls: 6,750 nano-dollars, summed as such.
  const me = await get<{ spend: { costUsd: number; remainingUsd: number } }>(token, "/api/v1/me");
  expect(me.body.spend).toMatchObject({ costUsd: 0.00000675, remainingUsd: 0.99999325 });
  const usage = await get<{ totals: { costUsd: number }; byModel: { costUsd: number }[] }>(
    token,
    "/api/v1/usage",
  );
  expect(usage.body.totals.costUsd).toBe(0.00000675);
  expect(usage.body.byModel.map((entry) => entry.costUsd)).toEqual([0.00000675]);
  const everyone = await get<{ byToken: { tokenId: string; costUsd: number }[] }>(
    admin.token,
    "/api/v1/admin/usage",
  );
  expect(everyone.body.byToken.find((entry) => entry.tokenId === id)?.costUsd).toBe(0.00000675);

  // Every amount in every response is written with nine decimals at most (nano-dollars).
  const amounts = [plain, streamed, batch, me, usage, everyone].flatMap(({ text }) =>
    [...text.matchAll(/"(?:costUsd|remainingUsd)":([^,}]+)/g)].map((match) => match[1]),
  );
  expect(amounts.length).toBeGreaterThan(10);
  for (const amount of amounts) expect(amount).toMatch(/^\d+(\.\d{1,9})?$/);
});
