/** Sends one hostile case to a target and judges the answer. */
import { answerProblems, describeOutcome } from "./answer-rules.ts";
import type { FuzzTarget } from "./fuzz-targets.ts";
import { describeCase, renderCase, type HostileCase, type TokenKind } from "./hostile-case.ts";
import { sendRaw, serializeRequest, type RawOutcome } from "./raw-http.ts";
import type { RouteShape } from "./route-cases.ts";

/** Longest wait for any answer; the slowest honest one (a 500-item batch) takes well under it. */
const ANSWER_TIMEOUT_MS = 15_000;

export interface Verdict {
  problems: string[];
  outcome: RawOutcome;
  /** The case and its answer, for a failure report. */
  report(): string;
}

/**
 * Sends the case and judges the answer. `mayClose` lets the server drop the connection without
 * answering (a client too slow to be worth one); `timeoutMs` is the longest wait.
 */
export async function attack(
  target: FuzzTarget,
  shape: RouteShape,
  hostile: HostileCase,
  options: { timeoutMs?: number; mayClose?: boolean } = {},
): Promise<Verdict> {
  const secretsOf = (kind: TokenKind) => target.tokenSecrets(kind, shape.route.access);
  const rendered = renderCase(hostile, secretsOf);
  const head = rendered.request.method === "HEAD";
  const outcome = await sendRaw(target.port, serializeRequest(rendered.request), {
    timeoutMs: options.timeoutMs ?? ANSWER_TIMEOUT_MS,
    head,
  });
  const problems = answerProblems(outcome, {
    forbidden: {
      paths: target.forbidden.paths,
      secrets: target.forbidden.secrets.filter((secret) => !rendered.ownSecrets.includes(secret)),
    },
    head,
    broken: rendered.broken || (options.mayClose ?? false),
    pageRoute: shape.route.response === undefined,
  });
  return {
    problems,
    outcome,
    report: () =>
      `${describeCase(hostile, secretsOf)}\n${describeOutcome(outcome)}\n  wrong: ${problems.join("; ")}`,
  };
}
