import { http, HttpResponse } from "msw";
import { describe, expect, it } from "vitest";
import { memoryStorage } from "../shared/storage.ts";
import { setCurrentEngine } from "./current.ts";
import { PREVIEW_PLACEHOLDER, pickLabel } from "./llm-functions.ts";
import { registerCustomFunctions } from "./register.ts";
import {
  BASE_URL,
  connectedStorage,
  echoAnswer,
  FakeCustomFunctionsError,
  fakeBackend,
  register,
  type BatchItem,
  type BatchResult,
  useBackendAndExcel,
} from "./test-support.ts";

const { server, excel } = useBackendAndExcel();

/** A backend answering each item with `json` (as its parsed JSON and its text). */
function answeringJson(json: (item: BatchItem) => unknown) {
  return fakeBackend(server, {
    answer: (item): BatchResult => {
      const value = json(item);
      return { id: item.id, ok: true, text: JSON.stringify(value), json: value };
    },
  });
}

describe("registration", () => {
  it("associates every function with its id when the runtime is present", async () => {
    register(excel, await connectedStorage());
    expect([...excel.functions.keys()].sort()).toEqual([
      "CLASSIFY",
      "CLOSEST",
      "EXTRACT",
      "LIST",
      "PROMPT",
      "PROMPT.TOCOLUMN",
      "PROMPT.TOROW",
      "SIMILAR",
      "SUMMARIZE",
      "TABLE",
      "TRANSLATE",
    ]);
  });

  it("does nothing with the runtime absent (a plain browser), and does not throw", () => {
    excel.uninstall();
    expect(() => registerCustomFunctions({ storage: memoryStorage() })).not.toThrow();
    expect(excel.functions.size).toBe(0);
  });

  it("answers #N/A until it is registered", async () => {
    register(excel, await connectedStorage());
    setCurrentEngine(undefined);
    const error = await excel.error("PROMPT", "Too early", null);
    expect(error.code).toBe("#N/A");
    expect(error.message).toMatch(/starting/);
  });
});

describe("PROMPT", () => {
  it("sends text and ranges interleaved, ranges as labelled tables", async () => {
    const backend = fakeBackend(server);
    register(excel, await connectedStorage());
    await excel.value("PROMPT", "Summarise", [
      [
        ["Region", "Sales"],
        ["North", 10],
        ["", ""],
      ],
      [["in the style of"]],
      [["Shakespeare"]],
    ]);
    expect(backend.batches[0]![0]!.prompt).toBe(
      "Summarise\n\nTable 1 (1 row × 2 columns):\n| Region | Sales |\n| --- | --- |\n| North | 10 |\n\nin the style of Shakespeare",
    );
  });

  it("sends a list of labels as a list and error cells as their codes", async () => {
    const backend = fakeBackend(server);
    register(excel, await connectedStorage());
    const notAvailable = new FakeCustomFunctionsError("#N/A");
    await excel.value("PROMPT", "Classify", [
      [[notAvailable]],
      [["into one of these categories:"]],
      [["Bug"], ["Feature request"], ["Question"]],
    ]);
    expect(backend.batches[0]![0]!.prompt).toBe(
      "Classify #N/A into one of these categories:\n\nList 1 (3 items):\n- Bug\n- Feature request\n- Question",
    );
  });

  it("takes a last options: argument: model, temperature and maxTokens reach the request", async () => {
    const backend = fakeBackend(server);
    register(excel, await connectedStorage());
    await excel.value("PROMPT", "Hi", [
      [["options: model=anthropic/claude-sonnet-4; temperature=0.2; maxTokens=50"]],
    ]);
    expect(backend.batches[0]![0]).toMatchObject({
      prompt: "Hi",
      model: "anthropic/claude-sonnet-4",
      temperature: 0.2,
      maxTokens: 50,
    });
  });

  it("takes a range as the instruction itself, sent as its table", async () => {
    const backend = fakeBackend(server);
    register(excel, await connectedStorage());
    await excel.value(
      "PROMPT",
      [
        ["Task", "Tone"],
        ["Write a slogan for a bakery", "playful"],
      ],
      null,
    );
    expect(backend.batches[0]![0]!.prompt).toBe(
      "Table 1 (2 rows × 2 columns):\n| Column 1 | Column 2 |\n| --- | --- |\n| Task | Tone |\n| Write a slogan for a bakery | playful |",
    );
    // A single cell as the prompt reads as its text, as a typed prompt does.
    await excel.value("PROMPT", [["Hello"]], [[["world"]]]);
    expect(backend.batches[1]![0]!.prompt).toBe("Hello world");
  });

  it("sends option-shaped text without options: as prompt text, as =COPILOT() did", async () => {
    const backend = fakeBackend(server);
    register(excel, await connectedStorage());
    await excel.value("PROMPT", "Explain the setting", [[["temperature=0.5"]]]);
    expect(backend.batches[0]![0]).toMatchObject({
      prompt: "Explain the setting temperature=0.5",
      temperature: 0,
    });
    expect(backend.batches[0]![0]!.model).toBeUndefined();
  });

  it("answers #VALUE! for an empty prompt or bad options, without a request", async () => {
    const backend = fakeBackend(server);
    register(excel, await connectedStorage());
    expect(await excel.error("PROMPT", "", null)).toMatchObject({ code: "#VALUE!" });
    const bad = await excel.error("PROMPT", "Hi", [[["options: temperature=9"]]]);
    expect(bad.code).toBe("#VALUE!");
    expect(bad.message).toMatch(/temperature must be a number from 0 to 2/);
    const huge = await excel.error("PROMPT", "x".repeat(250_000), null);
    expect(huge.code).toBe("#VALUE!");
    expect(huge.message).toMatch(/limit is 200,000/);
    expect(backend.batches).toHaveLength(0);
  });
});

describe("spilled shapes", () => {
  it("LIST spills down, one item per row, plain numbers as numbers", async () => {
    const backend = answeringJson(() => ({ items: ["apple", "banana", "42"] }));
    register(excel, await connectedStorage());
    expect(await excel.value("LIST", "Three things", null)).toEqual([["apple"], ["banana"], [42]]);
    const item = backend.batches[0]![0]!;
    expect(item.responseFormat).toMatchObject({
      type: "json",
      schema: { properties: { items: { type: "array", items: { type: "string" } } } },
    });
  });

  it("LIST of nothing is one empty cell", async () => {
    answeringJson(() => ({ items: [] }));
    register(excel, await connectedStorage());
    expect(await excel.value("LIST", "Nothing", null)).toEqual([[""]]);
  });

  it("PROMPT.TOROW spills right and PROMPT.TOCOLUMN down, asking once for a list as LIST does", async () => {
    const backend = answeringJson(() => ({ items: ["red", "green", "7"] }));
    register(excel, await connectedStorage());
    const context = [[["in a rainbow"]], [["options: model=openai/gpt-4o-mini"]]];
    expect(await excel.value("PROMPT.TOROW", "Three colours", context)).toEqual([
      ["red", "green", 7],
    ]);
    expect(await excel.value("PROMPT.TOCOLUMN", "Three colours", context)).toEqual([
      ["red"],
      ["green"],
      [7],
    ]);
    expect(await excel.value("LIST", "Three colours", context)).toEqual([["red"], ["green"], [7]]);
    // One request: the direction is the sheet's layout, so all three share the cached answer.
    expect(backend.batches.flat()).toHaveLength(1);
    const item = backend.batches[0]![0]!;
    expect(item).toMatchObject({
      prompt: "Three colours in a rainbow",
      model: "openai/gpt-4o-mini",
    });
    expect(item.responseFormat).toMatchObject({ type: "json", schema: { required: ["items"] } });
  });

  it("PROMPT.TOROW of nothing is one empty cell, and a preview asks nothing", async () => {
    const backend = answeringJson(() => ({ items: [] }));
    register(excel, await connectedStorage());
    const preview = await excel.call("PROMPT.TOROW", ["Nothing", null], { preview: true }).result;
    expect(preview).toEqual({ ok: true, value: [[PREVIEW_PLACEHOLDER]] });
    expect(backend.batches).toHaveLength(0);
    expect(await excel.value("PROMPT.TOROW", "Nothing", null)).toEqual([[""]]);
  });

  it("TABLE spills a header row and rows, every row as wide as the header", async () => {
    const backend = answeringJson(() => ({
      columns: ["Country", "Capital", "Population (m)"],
      rows: [
        ["France", "Paris", "68"],
        ["Japan", "Tokyo"],
        ["Peru", "Lima", "34", "extra"],
      ],
    }));
    register(excel, await connectedStorage());
    expect(await excel.value("TABLE", "Three countries", null)).toEqual([
      ["Country", "Capital", "Population (m)"],
      ["France", "Paris", 68],
      ["Japan", "Tokyo", ""],
      ["Peru", "Lima", 34],
    ]);
    expect(backend.batches[0]![0]!.responseFormat!.schema).toMatchObject({
      required: ["columns", "rows"],
    });
  });

  it("EXTRACT spills one row, one cell per field, empty where the text has none", async () => {
    const backend = answeringJson(() => ({ name: "Ann Lee", email: null, Age: "31" }));
    register(excel, await connectedStorage());
    const row = await excel.value("EXTRACT", "Ann Lee, 31", [["name", "email", "age"]], null);
    expect(row).toEqual([["Ann Lee", "", 31]]);
    expect(backend.batches[0]![0]!.responseFormat!.schema).toEqual({
      type: "object",
      properties: {
        name: { type: ["string", "null"] },
        email: { type: ["string", "null"] },
        age: { type: ["string", "null"] },
      },
      required: ["name", "email", "age"],
      additionalProperties: false,
    });
  });

  it("EXTRACT takes fields as a comma list too, and an empty text gives empty cells", async () => {
    const backend = answeringJson(() => ({ city: "Oslo", zip: "0150" }));
    register(excel, await connectedStorage());
    expect(await excel.value("EXTRACT", "Oslo 0150", [["city, zip"]], null)).toEqual([
      ["Oslo", "0150"],
    ]);
    expect(await excel.value("EXTRACT", "", [["city, zip"]], null)).toEqual([["", ""]]);
    expect(backend.batches).toHaveLength(1);
    expect((await excel.error("EXTRACT", "x", [[""]], null)).code).toBe("#VALUE!");
  });
});

describe("CLASSIFY", () => {
  const labels = [["positive", "negative", "neutral"]];

  it("asks for one label from an enum and returns it", async () => {
    const backend = answeringJson(() => ({ label: "negative" }));
    register(excel, await connectedStorage());
    expect(await excel.value("CLASSIFY", "Awful service", labels, null)).toBe("negative");
    expect(backend.batches[0]![0]!.responseFormat!.schema).toMatchObject({
      properties: { label: { type: "string", enum: ["positive", "negative", "neutral"] } },
      required: ["label"],
    });
  });

  it("always returns exactly one of the labels, mapping near answers onto them", async () => {
    const answers: Record<string, unknown> = {
      a: { label: "POSITIVE" },
      b: { label: " Neutral. " },
      c: { label: "The sentiment is negative" },
      d: "negative", // no JSON at all
      e: { label: '"positive"' },
    };
    fakeBackend(server, {
      answer: (item) => {
        const text = item.prompt.at(-1)!;
        const answer = answers[text];
        return typeof answer === "string"
          ? { id: item.id, ok: true, text: answer }
          : { id: item.id, ok: true, text: JSON.stringify(answer), json: answer };
      },
    });
    register(excel, await connectedStorage());
    const results = await Promise.all(
      Object.keys(answers).map((text) => excel.value("CLASSIFY", text, labels, null)),
    );
    expect(results).toEqual(["positive", "neutral", "negative", "negative", "positive"]);
    for (const result of results) expect(labels[0]).toContain(result);
  });

  it("answers #N/A with the model's answer when it is none of the labels, and asks again next time", async () => {
    let answer = "mixed";
    const backend = answeringJson(() => ({ label: answer }));
    register(excel, await connectedStorage());
    const error = await excel.error("CLASSIFY", "Meh", labels, null);
    expect(error.code).toBe("#N/A");
    expect(error.message).toMatch(
      /"mixed", which is not one of the labels \(positive, negative, neutral\)/,
    );
    answer = "neutral";
    expect(await excel.value("CLASSIFY", "Meh", labels, null)).toBe("neutral");
    expect(backend.batches).toHaveLength(2);
  });

  it("takes labels as an array, a column or a comma list; one label needs no model", async () => {
    const backend = answeringJson((item) => ({
      label: (item.responseFormat!.schema as { properties: { label: { enum: string[] } } })
        .properties.label.enum[1],
    }));
    register(excel, await connectedStorage());
    expect(await excel.value("CLASSIFY", "t1", [["yes"], ["no"]], null)).toBe("no");
    expect(await excel.value("CLASSIFY", "t2", "spam, ham", null)).toBe("ham");
    expect(await excel.value("CLASSIFY", "t3", [["only"]], null)).toBe("only");
    expect(backend.batches).toHaveLength(2);
    expect((await excel.error("CLASSIFY", "t", [[""]], null)).code).toBe("#VALUE!");
    expect((await excel.error("CLASSIFY", "", labels, null)).code).toBe("#N/A");
  });

  it("picks the longest label an answer mentions and refuses ambiguity", () => {
    const list = ["positive", "very positive", "negative"];
    expect(pickLabel({ text: "This is very positive!" }, list)).toBe("very positive");
    expect(pickLabel({ text: "positive or negative" }, list)).toBeUndefined();
    expect(pickLabel({ text: "nonpositive" }, list)).toBeUndefined();
  });
});

describe("TRANSLATE and SUMMARIZE", () => {
  it("TRANSLATE names the language in the instructions and sends the text as the prompt", async () => {
    const backend = fakeBackend(server);
    register(excel, await connectedStorage());
    expect(await excel.value("TRANSLATE", "Good morning", "French", null)).toBe(
      "answer to: Good morning",
    );
    expect(backend.batches[0]![0]!.system).toMatch(/into French/);
    expect(await excel.value("TRANSLATE", "", "French", null)).toBe("");
    expect((await excel.error("TRANSLATE", "Hi", "", null)).code).toBe("#VALUE!");
  });

  it("SUMMARIZE takes a cell or a range, and a word limit", async () => {
    const backend = fakeBackend(server);
    register(excel, await connectedStorage());
    await excel.value("SUMMARIZE", [["A long report."]], 25, "temperature=0.3");
    await excel.value("SUMMARIZE", [["Note"], ["First"], ["Second"]], null, null);
    const [first, second] = backend.batches.flat();
    expect(first).toMatchObject({ prompt: "A long report.", temperature: 0.3 });
    expect(first!.system).toMatch(/at most 25 words/);
    expect(second!.prompt).toBe("List 1 (3 items):\n- Note\n- First\n- Second");
    expect(second!.system).toMatch(/one or two sentences/);
    expect((await excel.error("SUMMARIZE", [["x"]], -3, null)).code).toBe("#VALUE!");
    expect(await excel.value("SUMMARIZE", [[""]], null, null)).toBe("");
  });

  it("SUMMARIZE reads error cells in a range, but does not pay to summarise a lone error", async () => {
    const backend = fakeBackend(server);
    register(excel, await connectedStorage());
    const divided = new FakeCustomFunctionsError("#DIV/0!");
    await excel.value("SUMMARIZE", [["Fine"], [divided]], null, null);
    expect(backend.batches.flat()[0]!.prompt).toBe("List 1 (2 items):\n- Fine\n- #DIV/0!");
    const lone = await excel.error("SUMMARIZE", [[divided]], null, null);
    expect(lone.code).toBe("#N/A");
    expect(lone.message).toMatch(/#DIV\/0!/);
    expect(backend.batches).toHaveLength(1);
  });
});

describe("errors in cells", () => {
  function failWith(
    status: number,
    code: string,
    message: string,
    headers: Record<string, string> = {},
  ) {
    return fakeBackend(server, {
      respond: () =>
        HttpResponse.json({ error: { code, message, requestId: "req-1" } }, { status, headers }),
    });
  }

  it("not connected: #N/A saying to connect in the task pane, without a request", async () => {
    const backend = fakeBackend(server);
    register(excel, memoryStorage());
    const error = await excel.error("PROMPT", "Hi", null);
    expect(error.code).toBe("#N/A");
    expect(error.message).toMatch(/Not connected to OfficeLLM: open the OfficeLLM task pane/);
    expect(backend.batches).toHaveLength(0);
  });

  it("token rejected (401): #N/A saying to reconnect", async () => {
    failWith(401, "unauthorized", "This token has been revoked");
    register(excel, await connectedStorage());
    const error = await excel.error("PROMPT", "Hi", null);
    expect(error.code).toBe("#N/A");
    expect(error.message).toMatch(/rejected your token \(This token has been revoked\): reconnect/);
  });

  it("no llm scope (403): #N/A saying to ask for the scope", async () => {
    failWith(403, "forbidden", "This token lacks the llm scope");
    register(excel, await connectedStorage());
    expect((await excel.error("PROMPT", "Hi", null)).message).toMatch(/llm scope/);
  });

  it("rate limited (429 + Retry-After): #N/A saying when to try again", async () => {
    failWith(429, "rate_limited", "Too many requests", { "retry-after": "120" });
    register(excel, await connectedStorage());
    const error = await excel.error("PROMPT", "Hi", null);
    expect(error.code).toBe("#N/A");
    expect(error.message).toMatch(/Rate limited.*Try again in 2 minutes \(after \d\d:\d\d:\d\d\)/);
  });

  it("budget exhausted (429 budget_exceeded): #N/A, never waited out", async () => {
    failWith(429, "budget_exceeded", "Monthly budget of $25.00 reached", { "retry-after": "1" });
    register(excel, await connectedStorage());
    const error = await excel.error("PROMPT", "Hi", null);
    expect(error.code).toBe("#N/A");
    expect(error.message).toMatch(
      /budget for this month is spent \(Monthly budget of \$25.00 reached\)/,
    );
  });

  it("a call that waited too long for a model slot (503 queue_timeout): #N/A, recalculate later", async () => {
    failWith(503, "queue_timeout", "openai is busy: the call waited 30.0 s", {
      "retry-after": "5",
    });
    register(excel, await connectedStorage());
    const error = await excel.error("PROMPT", "Hi", null);
    expect(error.code).toBe("#N/A");
    expect(error.message).toMatch(
      /^OfficeLLM is not available right now \(openai is busy: the call waited 30\.0 s\)\. Recalculate/,
    );
  });

  it("model error (502) and model timeout (504): #N/A", async () => {
    failWith(502, "upstream_error", "The provider answered 500");
    register(excel, await connectedStorage());
    const failed = await excel.error("PROMPT", "Hi", null);
    expect(failed.code).toBe("#N/A");
    expect(failed.message).toMatch(/The model failed \(The provider answered 500\)/);

    server.resetHandlers();
    failWith(504, "upstream_timeout", "The provider did not answer in time");
    const slow = await excel.error("PROMPT", "Hi", null);
    expect(slow.code).toBe("#N/A");
    expect(slow.message).toMatch(/did not answer in time/);
  });

  it("one item's failure is that cell's error only", async () => {
    fakeBackend(server, {
      answer: (item) =>
        item.prompt === "bad"
          ? {
              id: item.id,
              ok: false,
              error: { code: "invalid_request", message: "Unknown model nope" },
            }
          : echoAnswer(item),
    });
    register(excel, await connectedStorage());
    const [good, bad] = await Promise.all([
      excel.call("PROMPT", ["good", null]).result,
      excel.call("PROMPT", ["bad", null]).result,
    ]);
    expect(good).toEqual({ ok: true, value: "answer to: good" });
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.error).toMatchObject({
      code: "#VALUE!",
      message: "OfficeLLM refused the request: Unknown model nope",
    });
  });

  it("network down: #N/A saying the backend cannot be reached", async () => {
    server.use(http.post(`${BASE_URL}/api/v1/jobs`, () => HttpResponse.error()));
    register(excel, await connectedStorage());
    const error = await excel.error("PROMPT", "Hi", null);
    expect(error.code).toBe("#N/A");
    expect(error.message).toMatch(/Cannot reach the OfficeLLM backend/);
  });

  it("a proxy's error page without our envelope still reads sensibly", async () => {
    fakeBackend(server, {
      respond: () => new HttpResponse("<html>Bad gateway</html>", { status: 503 }),
    });
    register(excel, await connectedStorage());
    const error = await excel.error("PROMPT", "Hi", null);
    expect(error.code).toBe("#N/A");
    expect(error.message).toMatch(/not available right now/);
  });

  it("an answer in the wrong shape: #N/A, and not kept", async () => {
    let good = false;
    const backend = answeringJson(() => (good ? { items: ["ok"] } : { things: [] }));
    register(excel, await connectedStorage());
    const error = await excel.error("LIST", "Stuff", null);
    expect(error.code).toBe("#N/A");
    expect(error.message).toMatch(/not in the expected form/);
    good = true;
    expect(await excel.value("LIST", "Stuff", null)).toEqual([["ok"]]);
    expect(backend.batches).toHaveLength(2);
  });
});
