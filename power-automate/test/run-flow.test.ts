import { describe, expect, it } from "vitest";
import { runFlow, type ConnectorStep, type FlowDefinition } from "./run-flow.ts";

/** A host whose connector actions answer with the status their operationId names ("ok", "fail"). */
function host() {
  const calls: ConnectorStep[] = [];
  return {
    calls,
    call: (step: ConnectorStep) => {
      calls.push(step);
      return Promise.resolve({
        statusCode: step.operationId === "fail" ? 500 : 200,
        body: { echoed: step.parameters },
      });
    },
  };
}

const step = (operationId: string, runAfter: Record<string, string[]> = {}, parameters = {}) => ({
  type: "OpenApiConnection",
  inputs: { host: { connectionName: "c", operationId }, parameters },
  runAfter,
});

function flow(actions: Record<string, unknown>): FlowDefinition {
  return {
    triggers: { manual: { type: "Request", kind: "Button" } },
    actions,
  } as FlowDefinition;
}

describe("runFlow", () => {
  it("sends a failed action's request again as its retryPolicy says, and only then", async () => {
    const steps = host();
    const key = "@concat(workflow()?['run']?['name'], '-', string(2))";
    const run = await runFlow(
      flow({
        Retried: {
          ...step("fail", {}, { key }),
          inputs: {
            ...step("fail").inputs,
            parameters: { key },
            retryPolicy: { type: "fixed", count: 3, interval: "PT5S" },
          },
        },
        Once: step("fail", { Retried: ["Failed"] }),
      }),
      {},
      steps,
      "run-7",
    );
    expect(run.runs.get("Retried")).toBe(1);
    // 1 + 3 tries of the same request, as evaluated once; the action without a policy: 1.
    expect(steps.calls.map((call) => call.parameters.key)).toEqual([
      ...Array<string>(4).fill("run-7-2"),
      undefined,
    ]);
    expect(run.actions.get("Once")?.status).toBe("Failed");
  });

  it("skips an action whose runAfter is not met, and runs one set to run after a failure", async () => {
    const run = await runFlow(
      flow({
        X: step("fail"),
        Y: step("ok", { X: ["Succeeded"] }),
        Z: step("ok", { X: ["Failed"] }),
      }),
      {},
      host(),
    );
    expect(run.actions.get("Y")?.status).toBe("Skipped");
    expect(run.actions.get("Z")?.status).toBe("Succeeded");
    // Y's branch ends skipped after X failed: the run takes X's status.
    expect(run.status).toBe("Failed");
  });

  it("succeeds when the only branch handles the failure", async () => {
    const run = await runFlow(
      flow({ X: step("fail"), Z: step("ok", { X: ["Failed"] }) }),
      {},
      host(),
    );
    expect(run.status).toBe("Succeeded");
  });

  it("goes on with a Do until after a failed round, and marks it Failed for its last round", async () => {
    const steps = host();
    const run = await runFlow(
      flow({
        Count: {
          type: "InitializeVariable",
          inputs: { variables: [{ name: "n", type: "integer", value: 0 }] },
        },
        Loop: {
          type: "Until",
          expression: "@equals(variables('n'), 3)",
          limit: { count: 10 },
          actions: {
            Add: { type: "IncrementVariable", inputs: { name: "n", value: 1 } },
            Call: step("fail", { Add: ["Succeeded"] }),
          },
          runAfter: { Count: ["Succeeded"] },
        },
        After: step("ok", { Loop: ["Succeeded"] }),
      }),
      {},
      steps,
    );
    expect(run.runs.get("Call")).toBe(3);
    expect(run.actions.get("Loop")?.status).toBe("Failed");
    expect(run.actions.get("After")?.status).toBe("Skipped");
  });

  it("ends a Do until at its count limit as it ends at its condition", async () => {
    const run = await runFlow(
      flow({
        Loop: {
          type: "Until",
          expression: "@equals(1, 2)",
          limit: { count: 4 },
          actions: { Call: step("ok") },
        },
      }),
      {},
      host(),
    );
    expect(run.runs.get("Call")).toBe(4);
    expect(run.status).toBe("Succeeded");
  });

  it("ends the run at a Terminate, with its status and error", async () => {
    const steps = host();
    const run = await runFlow(
      flow({
        Stop: {
          type: "If",
          expression: { and: [{ greater: ["@length(triggerBody()?['rows'])", 1] }] },
          actions: {
            End: {
              type: "Terminate",
              inputs: { runStatus: "Failed", runError: { code: "TooMany", message: "No" } },
            },
          },
        },
        After: step("ok", { Stop: ["Succeeded"] }),
      }),
      { rows: [1, 2] },
      steps,
    );
    expect(run.status).toBe("Failed");
    expect(run.error).toEqual({ code: "TooMany", message: "No" });
    expect(steps.calls).toHaveLength(0);
  });

  it("gives null for ?[] on a missing property, and fails a plain [] on one", async () => {
    const steps = host();
    await runFlow(
      flow({ Call: step("ok", {}, { value: "@coalesce(triggerBody()?['missing'], 'none')" }) }),
      {},
      steps,
    );
    expect(steps.calls[0]?.parameters).toEqual({ value: "none" });
    await expect(
      runFlow(flow({ Call: step("ok", {}, { value: "@triggerBody()['missing']" }) }), {}, host()),
    ).rejects.toThrow(/missing/);
  });

  it("keeps each variable to the type it was created with", async () => {
    const actions = {
      Make: {
        type: "InitializeVariable",
        inputs: { variables: [{ name: "n", type: "integer", value: 1 }] },
      },
      Set: {
        type: "SetVariable",
        inputs: { name: "n", value: null },
        runAfter: { Make: ["Succeeded"] },
      },
    };
    await expect(runFlow(flow(actions), {}, host())).rejects.toThrow(/variable n is integer/);
  });

  it("refuses what it does not model, rather than skipping it", async () => {
    await expect(runFlow(flow({ Wait: { type: "Wait", inputs: {} } }), {}, host())).rejects.toThrow(
      /not supported/,
    );
    await expect(
      runFlow(flow({ Call: { ...step("ok"), retryPolicy: { type: "none" } } }), {}, host()),
    ).rejects.toThrow(/unsupported keys retryPolicy/);
    await expect(
      runFlow(flow({ Call: step("ok", {}, { value: "@{triggerBody()}" }) }), {}, host()),
    ).rejects.toThrow(/interpolation/);
  });
});
