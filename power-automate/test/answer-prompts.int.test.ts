/**
 * The sample flow power-automate/flows/answer-prompts.json, run end to end: its Office Script
 * steps run the real scripts of office-scripts/ on an in-memory workbook, and its OfficeLLM steps
 * call a real backend as the custom connector does; the backend asks OpenAI through the official
 * SDK, answered by the fake provider (it echoes the prompt, or fails where a test says so).
 */
import { readFileSync } from "node:fs";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { FakeWorkbook } from "../../office-scripts/test/fake-workbook.ts";
import { loadScript, mainParameters, scriptNames } from "../../office-scripts/test/load-script.ts";
import { ConnectorClient } from "../../server/test/connector-client.ts";
import { startFakeProvider, type FakeProvider } from "../../server/test/fake-provider.ts";
import { startTestServer, type TestServer } from "../../server/test/harness.ts";
import { runFlow, type ConnectorStep, type FlowDefinition, type FlowHost } from "./run-flow.ts";

const flow = JSON.parse(
  readFileSync(new URL("../flows/answer-prompts.json", import.meta.url), "utf8"),
) as FlowDefinition;

type Main = (...args: unknown[]) => unknown;

/** A script's main and the names of its parameters after the workbook, in order. */
function scriptFor(scriptId: string): { main: Main; parameters: string[] } {
  const name = scriptNames().find((file) => scriptId.includes(file.replace(/\.ts$/, "")));
  if (!name) throw new Error(`no script in office-scripts/ matches ${scriptId}`);
  return { main: loadScript<Main>(name), parameters: mainParameters(name) };
}

/** Excel Online (Business)'s "Run script" on `workbook`, and OfficeLLM through its connector. */
function host(
  workbook: FakeWorkbook,
  connector: ConnectorClient,
): FlowHost & { calls: ConnectorStep[] } {
  const calls: ConnectorStep[] = [];
  return {
    calls,
    async call(step) {
      calls.push(step);
      if (step.connectionName === "shared_excelonlinebusiness") {
        expect(step.operationId).toBe("RunScriptProd");
        const { main, parameters } = scriptFor(String(step.parameters.scriptId));
        const given = Object.keys(step.parameters)
          .filter((key) => key.startsWith("ScriptParameters/"))
          .map((key) => key.slice("ScriptParameters/".length));
        for (const name of given)
          expect(parameters, `${String(step.parameters.scriptId)}`).toContain(name);
        // Parameters the action does not set are left out, so their defaults apply.
        const args = parameters.map((name) => step.parameters[`ScriptParameters/${name}`]);
        try {
          return { statusCode: 200, body: { result: await main(workbook, ...args), logs: [] } };
        } catch (error) {
          // The action fails with the script's error, as Run script does.
          return { statusCode: 400, body: { message: (error as Error).message } };
        }
      }
      expect(step.connectionName).toBe("shared_officellm");
      const { status, json } = await connector.callAction(step.operationId, step.parameters);
      return { statusCode: status, body: json };
    },
  };
}

let fake: FakeProvider;
let server: TestServer;
let connector: ConnectorClient;

beforeAll(async () => {
  fake = await startFakeProvider();
  server = await startTestServer({
    env: {
      PUBLIC_URL: "https://officellm.example.com",
      OPENAI_API_KEY: "sk-upstream-flow-test",
      OPENAI_BASE_URL: fake.openaiBaseUrl,
      DEFAULT_MODEL: "gpt-4.1-mini",
    },
  });
  connector = await ConnectorClient.open(server, (await server.token({ scopes: ["llm"] })).token);
});
afterEach(() => fake.reset());
afterAll(async () => {
  await server.close();
  await fake.close();
});

const trigger = { sheetName: "Sheet1", promptColumn: "B", answerColumn: "C", instruction: "" };

/** Row 1 holds headers; rows `from` to `to` a question each ("Question 7" in B7). */
function questions(from: number, to: number): Record<string, string | number> {
  const cells: Record<string, string | number> = { B1: "Question", C1: "Answer" };
  for (let row = from; row <= to; row++) cells[`B${row}`] = `Question ${row}`;
  return cells;
}

const batchSizes = (steps: { calls: ConnectorStep[] }) =>
  steps.calls
    .filter((step) => step.operationId === "StartJob")
    .map((step) => (step.parameters.body as { items: unknown[] }).items.length);

describe("the answer-prompts flow", () => {
  it("answers every open prompt of the column, 50 rows a round, and touches nothing else", async () => {
    const cells = { ...questions(2, 231), A1: "Name", A5: 42, C10: "answered by hand", B20: "" };
    const workbook = new FakeWorkbook({ Sheet1: cells });
    const before = workbook.sheet("Sheet1").snapshot();
    const steps = host(workbook, connector);

    const run = await runFlow(flow, { ...trigger, instruction: "Answer in one word" }, steps);

    expect(run.status).toBe("Succeeded");
    const after = workbook.sheet("Sheet1").snapshot();
    for (let row = 2; row <= 231; row++) {
      if (row === 10 || row === 20) continue;
      expect(after[`C${row}`], `C${row}`).toBe(`echo: Answer in one word\n\nQuestion ${row}`);
    }
    expect(after.C10).toBe("answered by hand");
    expect(after.C20).toBeUndefined();
    const others = (cells: Record<string, unknown>) =>
      Object.fromEntries(Object.entries(cells).filter(([address]) => !/^C\d+$/.test(address)));
    expect(others(after)).toEqual(others(before));

    // 228 open rows: rounds of 50 and one of 28, each one job, each row asked once, at
    // temperature 0.
    expect(batchSizes(steps)).toEqual([50, 50, 50, 50, 28]);
    expect(fake.calls).toHaveLength(228);
    const temperatures = fake.calls.map(
      (call) => (call.request.body as { temperature?: number }).temperature,
    );
    expect(new Set(temperatures)).toEqual(new Set([0]));
    expect(run.runs.get("Read_prompts")).toBe(5);
    expect(run.variables.get("nextRow")).toBe(232);
  });

  it("retries a round the platform timed out under the same key: joined, never paid twice", async () => {
    const workbook = new FakeWorkbook({ Sheet1: questions(2, 121) });
    const steps = host(workbook, connector);
    // The platform gives up on the first request of each OfficeLLM action after OfficeLLM took
    // it (its 120 s limit, a lost connection): the action fails with 504 and its retry policy
    // sends the same request again.
    const call = steps.call.bind(steps);
    const timedOut = new Set<string>();
    steps.call = async (step) => {
      const outputs = await call(step);
      if (step.connectionName !== "shared_officellm" || timedOut.has(step.operationId))
        return outputs;
      timedOut.add(step.operationId);
      return { statusCode: 504, body: { message: "The request timed out" } };
    };

    const run = await runFlow(flow, { ...trigger, instruction: "Timed out" }, steps);

    expect(run.status).toBe("Succeeded");
    expect(workbook.sheet("Sheet1").value("C121")).toBe("echo: Timed out\n\nQuestion 121");
    // Rounds of 50, 50 and 20; the first StartJob was sent twice, under one key.
    const starts = steps.calls.filter((step) => step.operationId === "StartJob");
    expect(
      starts.map((step) => (step.parameters.body as { items: unknown[] }).items.length),
    ).toEqual([50, 50, 50, 20]);
    expect(starts[1]!.parameters["Idempotency-Key"]).toBe(starts[0]!.parameters["Idempotency-Key"]);
    expect(new Set(starts.map((step) => step.parameters["Idempotency-Key"])).size).toBe(3);
    expect(fake.calls).toHaveLength(120);
    expect(new Set(fake.calls.map((c) => c.lastUserText)).size).toBe(120);
  });

  it("asks no prompt again when a failed run is resubmitted: its answers come from the cache", async () => {
    const workbook = new FakeWorkbook({ Sheet1: questions(2, 61) });
    const steps = host(workbook, connector);
    // The first run cannot write its first round's answers (the workbook is locked, say).
    const call = steps.call.bind(steps);
    steps.call = async (step) =>
      String(step.parameters.scriptId).includes("write-answers")
        ? { statusCode: 400, body: { message: "The workbook is locked" } }
        : call(step);
    const resubmit = { ...trigger, instruction: "Resubmitted" };
    const failed = await runFlow(flow, resubmit, steps, "run-1");
    expect(failed.error?.code).toBe("RoundFailed");
    expect(fake.calls).toHaveLength(50);

    const resubmitted = await runFlow(flow, resubmit, host(workbook, connector), "run-2");

    expect(resubmitted.status).toBe("Succeeded");
    expect(workbook.sheet("Sheet1").value("C2")).toBe("echo: Resubmitted\n\nQuestion 2");
    expect(workbook.sheet("Sheet1").value("C61")).toBe("echo: Resubmitted\n\nQuestion 61");
    // The 50 prompts of the first run's round were not asked again; the 10 left were.
    expect(fake.calls).toHaveLength(60);
  });

  it("needs no instruction: the trigger's optional field may be left out", async () => {
    const workbook = new FakeWorkbook({ Sheet1: questions(2, 2) });
    const { instruction: _none, ...withoutInstruction } = trigger;
    const steps = host(workbook, connector);
    const run = await runFlow(flow, withoutInstruction, steps);
    expect(run.status).toBe("Succeeded");
    // The flow gives the script "" rather than the trigger's null.
    expect(steps.calls[0]?.parameters["ScriptParameters/instruction"]).toBe("");
    expect(workbook.sheet("Sheet1").value("C2")).toBe("echo: Question 2");
  });

  it("asks each row once a run: failed rows stay empty, the rest are answered, the run fails", async () => {
    // Prompts of this test's own: the backend's cache holds other tests' answers (temperature 0).
    const onceARun = { ...trigger, instruction: "Once a run" };
    fake.setResponder((call) =>
      /Question (2|3|150)$/.test(call.lastUserText)
        ? { status: 400, message: "This prompt is refused" }
        : undefined,
    );
    const workbook = new FakeWorkbook({ Sheet1: questions(2, 250) });
    const steps = host(workbook, connector);

    const run = await runFlow(flow, onceARun, steps);

    expect(run.status).toBe("Failed");
    expect(run.error?.code).toBe("RowsFailed");
    expect(run.variables.get("failedRows")).toBe(3);
    expect(batchSizes(steps)).toEqual([50, 50, 50, 50, 49]);
    const sheet = workbook.sheet("Sheet1");
    for (const row of [2, 3, 150]) expect(sheet.value(`C${row}`), `C${row}`).toBe("");
    for (const row of [4, 149, 151, 250])
      expect(sheet.value(`C${row}`), `C${row}`).toBe(`echo: Once a run\n\nQuestion ${row}`);

    // The next run asks only the rows that failed.
    fake.setResponder(undefined);
    const again = host(workbook, connector);
    expect((await runFlow(flow, onceARun, again)).status).toBe("Succeeded");
    expect(batchSizes(again)).toEqual([3]);
    expect(sheet.value("C150")).toBe("echo: Once a run\n\nQuestion 150");
  });

  it("fails the run after one round when OfficeLLM refuses the token, writing nothing", async () => {
    const revoked = await server.token({ scopes: ["llm"] });
    await server.tokens.revoke(revoked.id);
    const workbook = new FakeWorkbook({ Sheet1: questions(2, 250) });
    const steps = host(workbook, await ConnectorClient.open(server, revoked.token));

    const run = await runFlow(flow, trigger, steps);

    expect(run.status).toBe("Failed");
    expect(run.error?.code).toBe("RoundFailed");
    expect(run.actions.get("Start_answering")?.outputs?.statusCode).toBe(401);
    expect(steps.calls.map((step) => step.operationId)).toEqual(["RunScriptProd", "StartJob"]);
    expect(workbook.sheet("Sheet1").value("C2")).toBe("");
  });

  it("keeps the answers of earlier rounds when a later round fails", async () => {
    const token = await server.token({ scopes: ["llm"] });
    const workbook = new FakeWorkbook({ Sheet1: questions(2, 250) });
    const steps = host(workbook, await ConnectorClient.open(server, token.token));
    // The token is revoked once the second round's answers are in: a refusal no retry helps.
    const call = steps.call.bind(steps);
    let answered = 0;
    steps.call = async (step) => {
      const outputs = await call(step);
      const done = (outputs.body as { status?: string }).status === "done";
      if (step.operationId === "GetJob" && done && ++answered === 2)
        await server.tokens.revoke(token.id);
      return outputs;
    };

    const run = await runFlow(flow, trigger, steps);

    expect(run.status).toBe("Failed");
    expect(run.error?.code).toBe("RoundFailed");
    expect(run.actions.get("Start_answering")?.outputs?.statusCode).toBe(401);
    expect(batchSizes(steps)).toEqual([50, 50, 50]);
    const sheet = workbook.sheet("Sheet1");
    expect(sheet.value("C101")).toBe("echo: Question 101");
    expect(sheet.value("C102")).toBe("");
  });

  it("ends as failed with RowsLeft when the loop reaches its limit with rows still waiting", async () => {
    // 60 rounds of 50 rows, and 5 rows more; 60 requests a minute is the default rate limit.
    // 3,000 model calls through the real stack take tens of seconds on a loaded machine.
    const token = await server.token({ scopes: ["llm"], rpm: 1000 });
    const workbook = new FakeWorkbook({ Sheet1: questions(2, 3006) });
    const steps = host(workbook, await ConnectorClient.open(server, token.token));

    const run = await runFlow(flow, trigger, steps);

    expect(run.status).toBe("Failed");
    expect(run.error?.code).toBe("RowsLeft");
    expect(run.runs.get("Read_prompts")).toBe(60);
    const sheet = workbook.sheet("Sheet1");
    expect(sheet.value("C3001")).toBe("echo: Question 3001");
    expect(sheet.value("C3002")).toBe("");
  }, 180_000);

  it("fails the run after one round when the worksheet does not exist, calling no model", async () => {
    const workbook = new FakeWorkbook({ Sheet1: questions(2, 2) });
    const steps = host(workbook, connector);

    const run = await runFlow(flow, { ...trigger, sheetName: "Sheet9" }, steps);

    expect(run.status).toBe("Failed");
    expect(run.error?.code).toBe("RoundFailed");
    expect(run.runs.get("Read_prompts")).toBe(1);
    expect(run.actions.get("Read_prompts")?.outputs?.body).toMatchObject({
      message: expect.stringContaining("Sheet9"),
    });
    expect(steps.calls.map((step) => step.operationId)).toEqual(["RunScriptProd"]);
  });

  it("ends at once when there is nothing to answer", async () => {
    const workbook = new FakeWorkbook({ Sheet1: { B1: "Question", B2: "Done", C2: "Yes" } });
    const steps = host(workbook, connector);
    const run = await runFlow(flow, trigger, steps);
    expect(run.status).toBe("Succeeded");
    expect(steps.calls.map((step) => step.operationId)).toEqual(["RunScriptProd"]);
    expect(workbook.sheet("Sheet1").value("C2")).toBe("Yes");
  });
});
