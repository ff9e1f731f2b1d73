/**
 * The hostile-input suite: every route of the app's own table (so a route added later is covered
 * without touching this file) gets malformed requests over real HTTP — bodies, headers, paths,
 * methods and tokens — first as a fixed sweep of each hostile form, then at random with
 * fast-check. No answer may be a 5xx, an error that is not the JSON envelope, a stack trace, an
 * internal path or a secret; afterwards the servers must still serve, and their logs must hold
 * no secret.
 *
 * FUZZ_REQUESTS sets how many random requests the two servers share (DEFAULT_REQUESTS in CI;
 * `npm run fuzz -- --requests 10000` sends more), FUZZ_SEED replays a run.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api } from "../api.ts";
import { attack, type Verdict } from "./attack.ts";
import { startDemoTarget, startKeyedTarget, type FuzzTarget } from "./fuzz-targets.ts";
import type { HostileCase } from "./hostile-case.ts";
import { sendRaw } from "./raw-http.ts";
import { randomCase, routeShape, sweepCases, type RouteShape } from "./route-cases.ts";

const DEFAULT_REQUESTS = 3000;
const requests = Number(process.env.FUZZ_REQUESTS ?? DEFAULT_REQUESTS);
const seed = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const perServer = Math.ceil(requests / 2);

const targets: Record<string, FuzzTarget> = {};
beforeAll(async () => {
  const started = await Promise.all([startDemoTarget(), startKeyedTarget()]);
  for (const target of started) targets[target.name] = target;
}, 60_000);
afterAll(async () => {
  await Promise.all(Object.values(targets).map((target) => target.close()));
});

const shapesOf = (target: FuzzTarget): RouteShape[] => target.server.app.routeTable.map(routeShape);

interface Failure {
  route: string;
  /** What went wrong and for which kind of case, to group alike failures. */
  kind: string;
  report: string;
}

/** A failure; sweep failures of one kind of case are grouped, each random one stands alone. */
const failureOf = (
  shape: RouteShape,
  hostile: HostileCase,
  verdict: Verdict,
  grouped: boolean,
): Failure => ({
  route: shape.label,
  kind: `${grouped ? hostile.note.replace(/ = .*/, "") : shape.label} → ${verdict.problems.join("; ")}`,
  report: verdict.report(),
});

/** The failures grouped by kind, each with its routes and one full example. */
function summary(failures: Failure[]): string {
  const groups = new Map<string, Failure[]>();
  for (const failure of failures)
    groups.set(failure.kind, [...(groups.get(failure.kind) ?? []), failure]);
  return [
    `${failures.length} hostile requests got a wrong answer, in ${groups.size} kinds:`,
    ...[...groups]
      .slice(0, 30)
      .flatMap(([kind, group]) => [
        "",
        `${group.length} × ${kind}`,
        `  on ${[...new Set(group.map((failure) => failure.route))].join(", ")}`,
        group[0]!.report,
      ]),
  ].join("\n");
}

describe.each(["demo", "keyed"])("hostile requests to the %s server", (name) => {
  it("sweep: every field, parameter, query, header, method and token in each hostile form", async () => {
    const target = targets[name]!;
    const failures: Failure[] = [];
    let sent = 0;
    for (const shape of shapesOf(target)) {
      for (const hostile of sweepCases(shape, target.context)) {
        const verdict = await attack(target, shape, hostile);
        sent++;
        if (verdict.problems.length > 0) failures.push(failureOf(shape, hostile, verdict, true));
      }
    }
    expect(sent).toBeGreaterThan(shapesOf(target).length * 50);
    expect(failures.length, summary(failures)).toBe(0);
  }, 600_000);

  it(
    `fuzz: ${perServer} random hostile requests over the routes (FUZZ_SEED=${seed})`,
    async () => {
      const target = targets[name]!;
      const shapes = shapesOf(target);
      const numRuns = Math.ceil(perServer / shapes.length);
      const failures: Failure[] = [];
      for (const shape of shapes) {
        // The last failing case: once fast-check has shrunk it, the simplest one found.
        let last: Failure | undefined;
        const details = await fc.check(
          fc.asyncProperty(randomCase(shape, target.context), async (hostile) => {
            const verdict = await attack(target, shape, hostile);
            if (verdict.problems.length > 0) last = failureOf(shape, hostile, verdict, false);
            return verdict.problems.length === 0;
          }),
          { numRuns, seed },
        );
        if (details.failed && last) failures.push(last);
        else expect(details.failed, String(details.errorInstance)).toBe(false);
      }
      expect(failures.length, summary(failures)).toBe(0);
    },
    Math.max(600_000, requests * 100),
  );

  it("refuses a caller without a token before its body, and cuts off slow bodies and headers by the server's timeouts", async () => {
    const target = targets[name]!;
    const { headersTimeoutMs, bodyTimeoutMs } = target.server.config.limits;
    // Room for a busy machine: the server only has to act within its own timeout, plus this.
    const slack = 3000;
    const slowBodies = shapesOf(target).flatMap((shape) =>
      (["valid", "none"] as const).map(async (token) => {
        const hostile: HostileCase = {
          route: shape.label,
          note: "declares 1,000 body bytes and sends 10",
          method: shape.route.method.toUpperCase(),
          target: shape.route.path.replace(/:(\w+)/g, "x"),
          token,
          contentType: "application/json",
          encoding: undefined,
          framing: "none",
          headers: [["Content-Length", "1000"]],
          body: { kind: "text", text: '{"prompt":' },
        };
        const verdict = await attack(target, shape, hostile, {
          timeoutMs: bodyTimeoutMs + slack,
          mayClose: true,
        });
        // Without a token, a protected route refuses at once: its body is never waited for.
        const { outcome } = verdict;
        if (
          token === "none" &&
          shape.route.access !== "public" &&
          (outcome.kind !== "response" || outcome.response.status !== 401)
        )
          verdict.problems.push("no 401 before the body: a caller without a token held the line");
        return verdict.problems.length > 0 ? [failureOf(shape, hostile, verdict, true)] : [];
      }),
    );
    const slowHeaders = sendRaw(
      target.port,
      Buffer.from("POST /api/v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "),
      { timeoutMs: headersTimeoutMs + slack },
    );
    const failures = (await Promise.all(slowBodies)).flat();
    expect(failures.length, summary(failures)).toBe(0);
    expect((await slowHeaders).kind, "a client that never finishes its headers").not.toBe(
      "timeout",
    );
  }, 60_000);

  it("still serves afterwards: /health, a completion for a new token, and no secret in the logs", async () => {
    const target = targets[name]!;
    expect((await target.server.fetch("/health")).status).toBe(200);
    const { token } = await target.server.token({ name: "after the attack", scopes: ["llm"] });
    const completion = await api<{ text: string }>(
      target.server,
      token,
      "POST",
      "/api/v1/completions",
      {
        prompt: "Are you still there?",
      },
    );
    expect(completion.status, completion.text).toBe(200);
    expect(completion.body.text.length).toBeGreaterThan(0);
    const logs = target.server.logs.text;
    expect(logs.length).toBeGreaterThan(0);
    for (const secret of target.forbidden.secrets)
      expect(logs.includes(secret), `a secret (${secret.slice(0, 8)}…) in the logs`).toBe(false);
  });
});
