/**
 * The sample flow power-automate/flows/answer-prompts.json, run end to end: its Office Script
 * steps run the real scripts of office-scripts/ on an in-memory workbook, and its OfficeLLM steps
 * call a real backend as the custom connector does.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeWorkbook } from "../../office-scripts/test/fake-workbook.ts";
import { loadScript, scriptNames } from "../../office-scripts/test/load-script.ts";
import { ConnectorClient } from "../../server/test/connector-client.ts";
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
  const main = loadScript<Main>(name);
  const list = /^function main\(([^)]*)\)/.exec(main.toString())?.[1] ?? "";
  const parameters = list
    .split(",")
    .filter((parameter) => parameter.trim() !== "")
    .map((parameter) => {
      const match = /^\s*([A-Za-z_]\w*)\s*(=.*)?$/s.exec(parameter);
      if (!match) throw new Error(`cannot read the parameter "${parameter}" of ${name}`);
      return match[1]!;
    });
  return { main, parameters: parameters.slice(1) };
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
      const { status, json } = await connector.call(step.operationId, {
        body: step.parameters.body,
      });
      return { statusCode: status, body: json };
    },
  };
}

let server: TestServer;
let connector: ConnectorClient;

beforeAll(async () => {
  server = await startTestServer();
  connector = await ConnectorClient.open(server, (await server.token({ scopes: ["llm"] })).token);
});
afterAll(() => server.close());

const trigger = { sheetName: "Sheet1", promptColumn: "B", answerColumn: "C", instruction: "" };

describe("the answer-prompts flow", () => {
  it("answers every open prompt of the column, 100 rows a round, and touches nothing else", async () => {
    const cells: Record<string, string | number> = { A1: "Name", B1: "Question", C1: "Answer" };
    for (let row = 2; row <= 231; row++) cells[`B${row}`] = `Question ${row}`;
    cells.C10 = "answered by hand";
    cells.B20 = "";
    cells.A5 = 42;
    const workbook = new FakeWorkbook({ Sheet1: cells });
    const before = workbook.sheet("Sheet1").snapshot();
    const steps = host(workbook, connector);

    const run = await runFlow(flow, { ...trigger, instruction: "Answer in one word" }, steps);
    expect(run.status).toBe("Succeeded");

    const sheet = workbook.sheet("Sheet1");
    const after = sheet.snapshot();
    for (let row = 2; row <= 231; row++) {
      if (row === 10 || row === 20) continue;
      expect(after[`C${row}`], `C${row}`).toMatch(/^\[demo\]/);
      expect(after[`C${row}`], `C${row}`).toContain(`Question ${row}`);
    }
    expect(after.C10).toBe("answered by hand");
    expect(after.C20).toBeUndefined();
    const untouched = Object.keys(after).filter((address) => !/^C\d+$/.test(address));
    expect(Object.fromEntries(untouched.map((address) => [address, after[address]]))).toEqual(
      Object.fromEntries(Object.entries(before).filter(([address]) => !/^C\d+$/.test(address))),
    );

    // 228 open rows: rounds of 100, 100 and 28, each one batch request.
    const batches = steps.calls.filter((step) => step.operationId === "CompleteBatch");
    expect(
      batches.map((step) => (step.parameters.body as { items: unknown[] }).items.length),
    ).toEqual([100, 100, 28]);
    const firstItem = (batches[0]!.parameters.body as { items: { id: string; prompt: string }[] })
      .items[0];
    expect(firstItem).toEqual({ id: "2", prompt: "Answer in one word\n\nQuestion 2" });
    expect(run.runs.get("Read_prompts")).toBe(3);
    expect(run.variables.get("answeredInRound")).toBe(28);
  });

  it("needs no instruction: the trigger's optional field may be left out", async () => {
    const workbook = new FakeWorkbook({ Sheet1: { B2: "Question 2" } });
    const { instruction: _none, ...withoutInstruction } = trigger;
    const run = await runFlow(flow, withoutInstruction, host(workbook, connector));
    expect(run.status).toBe("Succeeded");
    expect(workbook.sheet("Sheet1").value("C2")).toMatch(/^\[demo\].*Question 2/);
  });

  it("fails the run after one round when OfficeLLM refuses the token, writing nothing", async () => {
    const revoked = await server.token({ scopes: ["llm"] });
    await server.tokens.revoke(revoked.id);
    const workbook = new FakeWorkbook({ Sheet1: { B2: "Question 2", B3: "Question 3" } });
    const steps = host(workbook, await ConnectorClient.open(server, revoked.token));

    const run = await runFlow(flow, trigger, steps);

    expect(run.status).toBe("Failed");
    expect(run.error?.code).toBe("RoundFailed");
    expect(run.actions.get("Ask_many_prompts_at_once")?.outputs?.statusCode).toBe(401);
    expect(steps.calls.map((step) => step.operationId)).toEqual(["RunScriptProd", "CompleteBatch"]);
    expect(workbook.sheet("Sheet1").value("C2")).toBe("");
  });

  it("fails the run after one round when the worksheet does not exist, calling no model", async () => {
    const workbook = new FakeWorkbook({ Sheet1: { B2: "Question 2" } });
    const steps = host(workbook, connector);

    const run = await runFlow(flow, { ...trigger, sheetName: "Sheet9" }, steps);

    expect(run.status).toBe("Failed");
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
    expect(steps.calls.map((step) => step.operationId)).toEqual(["RunScriptProd"]);
    expect(run.actions.get("Nothing_to_answer")?.status).toBe("Succeeded");
    expect(workbook.sheet("Sheet1").value("C2")).toBe("Yes");
  });

  it("stops instead of looping when a round's every prompt fails, leaving the rows empty", async () => {
    const cells: Record<string, string> = {};
    for (let row = 2; row <= 151; row++) cells[`B${row}`] = `Question ${row}`;
    const workbook = new FakeWorkbook({ Sheet1: cells });
    const steps = host(workbook, connector);
    // Longer than the demo model's context window: every item of the round fails on its own.
    const run = await runFlow(
      flow,
      { ...trigger, instruction: "Background. ".repeat(12_000) },
      steps,
    );

    expect(steps.calls.filter((step) => step.operationId === "CompleteBatch")).toHaveLength(1);
    expect(run.variables.get("answeredInRound")).toBe(0);
    const answers = Object.keys(workbook.sheet("Sheet1").snapshot()).filter((a) =>
      a.startsWith("C"),
    );
    expect(answers).toEqual([]);
  });
});
