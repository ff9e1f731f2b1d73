/**
 * Runs a Power Automate flow definition (the Logic Apps workflow definition language) in a test:
 * the subset OfficeLLM's sample flows use. Power Automate is outside this machine, so this is its
 * fake; connector calls go to a `FlowHost` that the test wires to real parts. It keeps the
 * engine's documented rules that the flows depend on:
 * - an action runs when its runAfter statuses are met, and is Skipped otherwise;
 * - a scope (a branch of an If, a round of a Do until, the flow) takes the status of the last
 *   action of each of its branches, looking back through Skipped ones to the action before;
 * - a Do until loop goes on after a failed round, ends at its count limit like at its condition,
 *   and is Failed if an action failed in its last round;
 * - Terminate ends the run; variables keep the type they were created with.
 * - a connector action's `retryPolicy` (in its inputs) sends the same request again, as it was
 *   evaluated, after a 408, 429 or 5xx answer (a platform timeout is one: 504), up to its count;
 *   an action without one is run once here (the platform's default would retry 4 times);
 * - `workflow()` names the run (`run.name`), which a test may choose, as a resubmission's is new.
 * An action type, action key, function or expression form outside the subset throws. Not
 * modelled: time (Until's timeout, TimedOut, a retry's interval), concurrency.
 */

type Json = unknown;

interface Action {
  type: string;
  description?: string;
  inputs?: Record<string, unknown>;
  runAfter?: Record<string, Status[]>;
  expression?: unknown;
  actions?: Record<string, Action>;
  else?: { actions?: Record<string, Action> };
  limit?: { count?: number; timeout?: string };
}

const actionKeys = new Set([
  "type",
  "description",
  "inputs",
  "runAfter",
  "expression",
  "actions",
  "else",
  "limit",
]);

export interface FlowDefinition {
  triggers: Record<string, { type: string; kind?: string }>;
  actions: Record<string, Action>;
}

export interface ConnectorStep {
  connectionName: string;
  operationId: string;
  /** The action's parameters, evaluated. */
  parameters: Record<string, Json>;
}

/** Carries out a connector action; a status of 400 or more fails the action. */
export interface FlowHost {
  call(step: ConnectorStep): Promise<{ statusCode: number; body: Json }>;
}

type Status = "Succeeded" | "Failed" | "Skipped" | "TimedOut";

interface Outcome {
  status: Status;
  outputs?: { statusCode: number; body: Json };
}

export interface FlowRun {
  /** Succeeded, or Failed: by a Terminate action, or by a failure no action handled. */
  status: "Succeeded" | "Failed" | "Cancelled";
  /** A Terminate action's runError. */
  error?: { code?: string; message?: string };
  /** Each action's last outcome, by name. */
  actions: Map<string, Outcome>;
  /** How many times each action ran. */
  runs: Map<string, number>;
  variables: Map<string, Json>;
}

type VariableType = "boolean" | "integer" | "float" | "string" | "array" | "object";

const isOfType: Record<VariableType, (value: Json) => boolean> = {
  boolean: (value) => typeof value === "boolean",
  integer: (value) => Number.isInteger(value),
  float: (value) => typeof value === "number",
  string: (value) => typeof value === "string",
  array: (value) => Array.isArray(value),
  object: (value) => typeof value === "object" && value !== null && !Array.isArray(value),
};

/** Thrown by a Terminate action, to end the run from however deep it is. */
class Terminated {
  readonly status: FlowRun["status"];
  readonly error: FlowRun["error"];
  constructor(status: FlowRun["status"], error: FlowRun["error"]) {
    this.status = status;
    this.error = error;
  }
}

/** Runs the flow's manual trigger with `triggerBody`, then its actions. */
export async function runFlow(
  flow: FlowDefinition,
  triggerBody: Record<string, Json>,
  host: FlowHost,
  runName = `run-${crypto.randomUUID()}`,
): Promise<FlowRun> {
  const [trigger] = Object.values(flow.triggers);
  if (trigger?.type !== "Request") throw new Error("only a manual (Request) trigger is supported");
  const run: FlowRun = {
    status: "Succeeded",
    actions: new Map(),
    runs: new Map(),
    variables: new Map(),
  };
  try {
    ({ status: run.status } = await runScope(flow.actions, {
      run,
      triggerBody,
      host,
      types: new Map(),
      runName,
    }));
  } catch (error) {
    if (!(error instanceof Terminated)) throw error;
    run.status = error.status;
    if (error.error) run.error = error.error;
  }
  return run;
}

interface Context {
  run: FlowRun;
  triggerBody: Record<string, Json>;
  host: FlowHost;
  types: Map<string, VariableType>;
  runName: string;
}

interface ScopeOutcome {
  status: "Succeeded" | "Failed";
  /** Whether any of its actions failed, handled or not. */
  anyFailed: boolean;
}

/** Runs a scope's actions in runAfter order, and gives the scope's status (see the top). */
async function runScope(actions: Record<string, Action>, context: Context): Promise<ScopeOutcome> {
  const pending = new Map(Object.entries(actions));
  const statuses = new Map<string, Status>();
  while (pending.size > 0) {
    const ready = [...pending].find(([, action]) =>
      Object.keys(action.runAfter ?? {}).every((name) => statuses.has(name)),
    );
    if (!ready) throw new Error(`runAfter names an action that is not in the scope`);
    const [name, action] = ready;
    pending.delete(name);
    const unknown = Object.keys(action).filter((key) => !actionKeys.has(key));
    if (unknown.length > 0) throw new Error(`${name}: unsupported keys ${unknown.join(", ")}`);
    const allowed = Object.entries(action.runAfter ?? {}).every(([before, wanted]) =>
      wanted.includes(statuses.get(before)!),
    );
    const outcome: Outcome = allowed
      ? await runAction(name, action, context)
      : { status: "Skipped" };
    context.run.actions.set(name, outcome);
    statuses.set(name, outcome.status);
  }

  // A branch's status: its last action's, or through a Skipped one, the status it ran after.
  const branchStatus = (name: string): Status => {
    const status = statuses.get(name)!;
    const before = Object.keys(actions[name]!.runAfter ?? {});
    if (status !== "Skipped" || before.length === 0) return status;
    const earlier = before.map(branchStatus);
    return earlier.find((s) => s === "Failed" || s === "TimedOut") ?? earlier[0]!;
  };
  const last = Object.keys(actions).filter(
    (name) => !Object.values(actions).some((action) => action.runAfter?.[name] !== undefined),
  );
  const failed = (status: Status) => status === "Failed" || status === "TimedOut";
  return {
    status: last.map(branchStatus).some(failed) ? "Failed" : "Succeeded",
    anyFailed: [...statuses.values()].some(failed),
  };
}

async function runAction(name: string, action: Action, context: Context): Promise<Outcome> {
  context.run.runs.set(name, (context.run.runs.get(name) ?? 0) + 1);
  const inputs = action.inputs ?? {};
  switch (action.type) {
    case "InitializeVariable": {
      const [variable, ...more] = inputs.variables as {
        name: string;
        type: VariableType;
        value: Json;
      }[];
      if (!variable || more.length > 0) throw new Error(`${name}: one variable per action`);
      if (!(variable.type in isOfType)) throw new Error(`${name}: type ${variable.type}`);
      context.types.set(variable.name, variable.type);
      setVariable(variable.name, evaluate(variable.value, context), context);
      return { status: "Succeeded" };
    }
    case "SetVariable":
      setVariable(inputs.name as string, evaluate(inputs.value, context), context);
      return { status: "Succeeded" };
    case "IncrementVariable": {
      const variable = inputs.name as string;
      const by = inputs.value === undefined ? 1 : evaluate(inputs.value, context);
      if (typeof by !== "number") throw new Error(`${name}: increment by ${JSON.stringify(by)}`);
      setVariable(variable, (context.run.variables.get(variable) as number) + by, context);
      return { status: "Succeeded" };
    }
    case "OpenApiConnection": {
      const host = inputs.host as { connectionName: string; operationId: string };
      const parameters = evaluate(inputs.parameters, context) as Record<string, Json>;
      const retries = retryCount(name, inputs.retryPolicy);
      let outputs = await context.host.call({ ...host, parameters });
      for (let retry = 0; retry < retries && retried(outputs.statusCode); retry++)
        outputs = await context.host.call({ ...host, parameters });
      return { status: outputs.statusCode < 400 ? "Succeeded" : "Failed", outputs };
    }
    case "If": {
      const branch = condition(action.expression, context) ? action.actions : action.else?.actions;
      return { status: (await runScope(branch ?? {}, context)).status };
    }
    case "Until": {
      let lastRoundFailed = false;
      for (let round = 0; round < (action.limit?.count ?? 60); round++) {
        lastRoundFailed = (await runScope(action.actions ?? {}, context)).anyFailed;
        if (condition(action.expression, context)) break;
      }
      return { status: lastRoundFailed ? "Failed" : "Succeeded" };
    }
    case "Terminate": {
      const error = inputs.runError as FlowRun["error"];
      throw new Terminated(inputs.runStatus as FlowRun["status"], error);
    }
    default:
      throw new Error(`action type ${action.type} (${name}) is not supported`);
  }
}

/** The statuses a retry policy retries: timeouts, rate limits and server errors. */
function retried(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** How many times a retry policy sends a request again (none without a policy). */
function retryCount(name: string, policy: unknown): number {
  if (policy === undefined) return 0;
  const { type, count } = policy as { type?: string; count?: number };
  if (type === "none") return 0;
  if ((type === "fixed" || type === "exponential") && Number.isInteger(count)) return count!;
  throw new Error(`${name}: retryPolicy ${JSON.stringify(policy)} is not supported`);
}

/** Sets a variable that exists, to a value of the type it was created with. */
function setVariable(name: string, value: Json, context: Context): void {
  const type = context.types.get(name);
  if (!type) throw new Error(`no variable ${name}`);
  if (!isOfType[type](value))
    throw new Error(`variable ${name} is ${type}; cannot set it to ${JSON.stringify(value)}`);
  context.run.variables.set(name, value);
}

/** A condition: an expression string, or the designer's object form ({"and": [{"greater": [a, b]}]}). */
function condition(expression: unknown, context: Context): boolean {
  if (typeof expression === "string") return evaluate(expression, context) === true;
  const [[operator, operands]] = Object.entries(expression as Record<string, unknown>) as [
    [string, unknown[]],
  ];
  if (!Array.isArray(operands)) throw new Error(`condition ${operator} is not supported`);
  if (operator === "and") return operands.every((operand) => condition(operand, context));
  if (operator === "or") return operands.some((operand) => condition(operand, context));
  return (
    call(
      operator,
      operands.map((operand) => evaluate(operand, context)),
    ) === true
  );
}

/** Evaluates every "@expression" string inside a value. */
function evaluate(value: Json, context: Context): Json {
  if (Array.isArray(value)) return value.map((item) => evaluate(item, context));
  if (typeof value === "object" && value !== null)
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, evaluate(item, context)]),
    );
  if (typeof value !== "string" || !value.startsWith("@")) return value;
  if (value.startsWith("@@")) return value.slice(1);
  if (value.startsWith("@{")) throw new Error(`string interpolation is not supported: ${value}`);
  const parser = new Parser(value.slice(1), context);
  const result = parser.expression();
  parser.end();
  return result;
}

function call(name: string, args: Json[]): Json {
  const [a, b] = args;
  switch (name) {
    case "equals":
      return JSON.stringify(a) === JSON.stringify(b);
    case "greater":
      return (a as number) > (b as number);
    case "less":
      return (a as number) < (b as number);
    case "or":
      return args.some((arg) => arg === true);
    case "and":
      return args.every((arg) => arg === true);
    case "not":
      return a !== true;
    case "add":
      if (typeof a !== "number" || typeof b !== "number")
        throw new Error(`add(${JSON.stringify(a)}, ${JSON.stringify(b)})`);
      return a + b;
    case "int": {
      const number = Number(a);
      if (a === null || a === "" || !Number.isInteger(number))
        throw new Error(`int(${JSON.stringify(a)})`);
      return number;
    }
    case "last":
      if (typeof a === "string" || Array.isArray(a)) return a.length > 0 ? a[a.length - 1] : null;
      throw new Error(`last() of ${JSON.stringify(a)}`);
    case "coalesce":
      return args.find((arg) => arg !== null && arg !== undefined) ?? null;
    case "length":
      if (typeof a === "string" || Array.isArray(a)) return a.length;
      throw new Error(`length() of ${JSON.stringify(a)}`);
    case "string":
      return typeof a === "string" ? a : JSON.stringify(a);
    case "concat":
      if (!args.every((arg) => typeof arg === "string"))
        throw new Error(`concat(${args.map((arg) => JSON.stringify(arg)).join(", ")})`);
      return args.join("");
    default:
      throw new Error(`function ${name}() is not supported`);
  }
}

/** expression := literal | name "(" [expression {"," expression}] ")" {["?"] "[" string "]"} */
class Parser {
  #text: string;
  #at = 0;
  #context: Context;

  constructor(text: string, context: Context) {
    this.#text = text;
    this.#context = context;
  }

  end(): void {
    this.#space();
    if (this.#at !== this.#text.length) this.#fail("end of expression");
  }

  expression(): Json {
    this.#space();
    const rest = this.#text.slice(this.#at);
    const literal = /^(?:'((?:[^']|'')*)'|(-?\d+(?:\.\d+)?)|(true|false|null)\b)/.exec(rest);
    let value: Json;
    if (literal) {
      this.#at += literal[0].length;
      if (literal[1] !== undefined) value = literal[1].replaceAll("''", "'");
      else if (literal[2] !== undefined) value = Number(literal[2]);
      else value = JSON.parse(literal[3]!) as Json;
    } else {
      const name = /^[A-Za-z]\w*/.exec(rest)?.[0];
      if (!name) this.#fail("a value or a function");
      this.#at += name.length;
      this.#expect("(");
      const args: Json[] = [];
      this.#space();
      if (this.#text[this.#at] !== ")") {
        args.push(this.expression());
        while (this.#accept(",")) args.push(this.expression());
      }
      this.#expect(")");
      value = this.#function(name, args);
    }
    for (;;) {
      const at = this.#at;
      const optional = this.#accept("?");
      if (!this.#accept("[")) {
        this.#at = at;
        return value;
      }
      const key = this.expression();
      this.#expect("]");
      // `?[…]` gives null for a missing property or a null value; plain `[…]` fails on either.
      const next =
        value === null || value === undefined
          ? undefined
          : (value as Record<string, Json>)[key as string];
      if (next === undefined && !optional)
        throw new Error(`[${JSON.stringify(key)}] is missing in ${this.#text}`);
      value = next ?? null;
    }
  }

  #function(name: string, args: Json[]): Json {
    const { run, triggerBody } = this.#context;
    const outcome = () => {
      const found = run.actions.get(args[0] as string);
      if (!found || found.status === "Skipped")
        throw new Error(`${name}('${String(args[0])}'): that action did not run`);
      return found.outputs;
    };
    switch (name) {
      case "triggerBody":
        return triggerBody;
      case "workflow":
        return { run: { name: this.#context.runName } };
      case "variables":
        if (!run.variables.has(args[0] as string))
          throw new Error(`no variable ${String(args[0])}`);
        return run.variables.get(args[0] as string);
      case "outputs":
        return outcome();
      case "body":
        return outcome()?.body;
      default:
        return call(name, args);
    }
  }

  #space(): void {
    while (this.#text[this.#at] === " ") this.#at++;
  }

  #accept(token: string): boolean {
    this.#space();
    if (this.#text.startsWith(token, this.#at)) {
      this.#at += token.length;
      return true;
    }
    return false;
  }

  #expect(token: string): void {
    if (!this.#accept(token)) this.#fail(`'${token}'`);
  }

  #fail(wanted: string): never {
    throw new Error(`expected ${wanted} at ${this.#at} in ${this.#text}`);
  }
}
