/**
 * GET /metrics through the real server, the real provider adapters and the fake provider over
 * HTTP: after a few completions of every kind it carries the series docs/operations.md lists,
 * passes `promtool check metrics`, keeps its label values bounded, and answers only to the
 * metrics token or an admin token.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { SingleFlight } from "../llm/cache/single-flight.ts";
import type { Answer } from "../llm/pipeline/answer.ts";
import { startFakeProvider, type FakeProvider } from "../test/fake-provider.ts";
import type { TestServer } from "../test/harness.ts";
import { startGatewayServer } from "../test/llm-rig.ts";
import { repoRoot } from "../test/process.ts";
import { promtool } from "../test/promtool.ts";
import { TestSleep } from "../test/test-sleep.ts";

const METRICS_TOKEN = "metrics-3c1f9a0b7e2d4c6a8b5f1e0d9c7a6b5f";
const UNKNOWN_MODEL = "made-up-model-7f3a9c";
const RANDOM_PATH = "/no-such-path-9b2c41";

let fake: FakeProvider;
let server: TestServer;
let flights: SingleFlight<Answer>;
let user: { id: string; token: string };
let admin: { id: string; token: string };
let scraped: string;

async function complete(token: string, body: Record<string, unknown>): Promise<Response> {
  const response = await server.fetch("/api/v1/completions", {
    method: "POST",
    token,
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  await response.arrayBuffer();
  return response;
}

async function scrape(authorization?: string): Promise<Response> {
  return server.fetch("/metrics", authorization ? { headers: { authorization } } : {});
}

/** The value of one series, by its name and exact label set as the exposition prints them. */
function valueOf(text: string, series: string): number | undefined {
  const line = text.split("\n").find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

beforeAll(async () => {
  fake = await startFakeProvider({ models: ["local-model"] });
  flights = new SingleFlight<Answer>();
  server = await startGatewayServer(
    fake,
    { METRICS_TOKEN, OPENAI_COMPATIBLE_BASE_URL: fake.openaiBaseUrl, LOG_LEVEL: "warn" },
    { flights, sleep: new TestSleep().sleep },
  );
  user = await server.token({ scopes: ["llm"] });
  admin = await server.token({ scopes: ["admin"] });

  // Answered, then the same again from the cache (answers at temperature 0 are kept).
  const one = { model: "gpt-4.1-mini", prompt: "One", temperature: 0 };
  expect((await complete(user.token, one)).status).toBe(200);
  expect((await complete(user.token, one)).status).toBe(200);
  // Streamed: the time to the first token.
  const streamed = await complete(user.token, {
    model: "claude-haiku-4-5",
    prompt: "Two",
    stream: true,
  });
  expect(streamed.status).toBe(200);
  // A retry, then a fallback once the retries are spent, then a failure.
  fake.enqueue({ status: 503 });
  expect((await complete(user.token, { model: "gpt-4.1-mini", prompt: "Three" })).status).toBe(200);
  fake.enqueue({ status: 503 }, { status: 503 }, { status: 503 });
  const fellBack = await complete(user.token, {
    model: "gpt-4.1-mini",
    prompt: "Four",
    fallbackModels: ["claude-haiku-4-5"],
  });
  expect(fellBack.status).toBe(200);
  fake.enqueue({ status: 400, message: "no" });
  expect((await complete(user.token, { model: "gpt-4.1-mini", prompt: "Five" })).status).toBe(502);
  // A model name of the caller's own: refused before any call (strict routing), so no label.
  expect((await complete(user.token, { model: UNKNOWN_MODEL, prompt: "Six" })).status).toBe(400);
  // Two identical requests at once share one call.
  let open = () => {};
  const gate = new Promise<void>((resolve) => (open = resolve));
  fake.enqueue({ text: "shared", gate });
  const seven = { model: "gpt-4.1-mini", prompt: "Seven", temperature: 0 };
  const pair = [1, 2].map(() => complete(user.token, seven));
  await vi.waitFor(() => expect(flights.waiting).toBe(2), { timeout: 20_000 });
  open();
  for (const response of await Promise.all(pair)) expect(response.status).toBe(200);
  // A token with a budget spends a little of it.
  const budgeted = await server.token({ scopes: ["llm"], budgetUsd: 1 });
  expect((await complete(budgeted.token, { model: "gpt-4.1-mini", prompt: "Spend" })).status).toBe(
    200,
  );
  // Refusals: a budget too small for any call, and a rate limit of one request a minute.
  const poor = await server.token({ scopes: ["llm"], budgetUsd: 0.000001 });
  expect((await complete(poor.token, { model: "gpt-4.1-mini", prompt: "Eight" })).status).toBe(429);
  const slow = await server.token({ scopes: ["llm"], rpm: 1 });
  await complete(slow.token, { model: "gpt-4.1-mini", prompt: "Nine" });
  expect((await complete(slow.token, { model: "gpt-4.1-mini", prompt: "Nine" })).status).toBe(429);
  // A path nothing serves.
  expect((await server.fetch(RANDOM_PATH)).status).toBe(404);

  const response = await scrape(`Bearer ${METRICS_TOKEN}`);
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
  scraped = await response.text();
});
afterAll(async () => {
  await server?.close();
  await fake?.close();
});

describe("GET /metrics after a few completions", () => {
  it("passes promtool check metrics", () => {
    const { status, output } = promtool(["check", "metrics"], scraped);
    expect(output).not.toMatch(/error/i);
    expect(status, output).toBe(0);
  });

  it("counts the requests by route template and status, with their durations", () => {
    const completions = 'method="POST",route="/api/v1/completions"';
    expect(valueOf(scraped, `officellm_http_requests_total{${completions},status="200"}`)).toBe(9);
    expect(valueOf(scraped, `officellm_http_request_duration_seconds_count{${completions}}`)).toBe(
      13,
    );
    expect(
      valueOf(
        scraped,
        'officellm_http_requests_total{method="GET",route="unmatched",status="404"}',
      ),
    ).toBe(1);
  });

  it("counts model calls by provider, model and outcome, with tokens, cost and latency", () => {
    const mini = 'provider="openai",model="gpt-4.1-mini"';
    expect(valueOf(scraped, `officellm_model_calls_total{${mini},outcome="ok"}`)).toBe(5);
    expect(valueOf(scraped, `officellm_model_calls_total{${mini},outcome="cached"}`)).toBe(2);
    expect(valueOf(scraped, `officellm_model_calls_total{${mini},outcome="upstream_error"}`)).toBe(
      1,
    );
    expect(valueOf(scraped, `officellm_model_calls_total{${mini},outcome="budget_exceeded"}`)).toBe(
      1,
    );
    const haiku = 'provider="anthropic",model="claude-haiku-4-5"';
    expect(valueOf(scraped, `officellm_model_calls_total{${haiku},outcome="ok"}`)).toBe(2);
    expect(
      valueOf(scraped, `officellm_model_tokens_total{${mini},direction="input"}`),
    ).toBeGreaterThan(0);
    expect(
      valueOf(scraped, `officellm_model_tokens_total{${mini},direction="output"}`),
    ).toBeGreaterThan(0);
    expect(valueOf(scraped, `officellm_model_cost_usd_total{${mini}}`)).toBeGreaterThan(0);
    expect(valueOf(scraped, `officellm_model_call_duration_seconds_count{${mini}}`)).toBe(9);
    expect(valueOf(scraped, `officellm_model_time_to_first_token_seconds_count{${haiku}}`)).toBe(1);
  });

  it("counts cache hits and misses, shared calls, retries, fallbacks and refusals", () => {
    expect(valueOf(scraped, 'officellm_cache_lookups_total{result="hit"}')).toBe(1);
    expect(valueOf(scraped, 'officellm_cache_lookups_total{result="miss"}')).toBe(3);
    expect(valueOf(scraped, "officellm_single_flight_joins_total")).toBe(1);
    expect(valueOf(scraped, 'officellm_model_retries_total{provider="openai"}')).toBe(3);
    expect(
      valueOf(scraped, 'officellm_model_fallbacks_total{provider="openai",model="gpt-4.1-mini"}'),
    ).toBe(1);
    expect(valueOf(scraped, 'officellm_refusals_total{reason="budget"}')).toBe(1);
    expect(valueOf(scraped, 'officellm_refusals_total{reason="rate_limit"}')).toBe(1);
  });

  it("shows the provider queues, the ledger's commits, budgets and the process", () => {
    expect(valueOf(scraped, 'officellm_provider_queue_waiting{provider="openai"}')).toBe(0);
    expect(valueOf(scraped, 'officellm_provider_in_flight{provider="openai"}')).toBe(0);
    expect(
      valueOf(scraped, 'officellm_provider_queue_wait_seconds_count{provider="openai"}'),
    ).toBeGreaterThan(0);
    expect(valueOf(scraped, "officellm_ledger_commit_duration_seconds_count")).toBeGreaterThan(0);
    // What the budgeted token spent of its dollar: a call's cost, far from all of it.
    const share = valueOf(scraped, "officellm_budget_used_ratio_max")!;
    expect(share).toBeGreaterThan(0);
    expect(share).toBeLessThan(0.01);
    expect(valueOf(scraped, 'officellm_ready{check="store"}')).toBe(1);
    expect(valueOf(scraped, "officellm_backup_last_success_timestamp_seconds")).toBe(0);
    for (const name of [
      "process_cpu_seconds_total",
      "process_resident_memory_bytes",
      "nodejs_eventloop_lag_p99_seconds",
      "nodejs_heap_size_used_bytes",
    ]) {
      expect(scraped, name).toMatch(new RegExp(`^${name} `, "m"));
    }
  });

  it("never makes a label of a caller's model name, a path, or a token", () => {
    for (const free of [UNKNOWN_MODEL, RANDOM_PATH, user.id, user.token, admin.id, METRICS_TOKEN]) {
      expect(scraped).not.toContain(free);
    }
  });
});

describe("the alert rules and the dashboard", () => {
  /** The metric names a PromQL text uses: OfficeLLM's own, and prom-client's process metrics. */
  const namesIn = (text: string) =>
    new Set(text.match(/\b(?:officellm|nodejs|process)_[a-z0-9_]+/g) ?? []);

  for (const file of ["deploy/prometheus/alerts.yml", "deploy/grafana/officellm.json"]) {
    it(`${file} uses only metrics /metrics carries`, () => {
      const names = namesIn(readFileSync(`${repoRoot}/${file}`, "utf8"));
      expect(names.size).toBeGreaterThan(5);
      for (const name of names) expect(scraped, name).toMatch(new RegExp(`^${name}[{ ]`, "m"));
    });
  }
});

describe("who may read /metrics", () => {
  it("answers the metrics token and an admin token", async () => {
    expect((await scrape(`Bearer ${METRICS_TOKEN}`)).status).toBe(200);
    expect((await scrape(`Bearer ${admin.token}`)).status).toBe(200);
  });

  it("refuses anyone else with the error envelope", async () => {
    for (const [authorization, status, code] of [
      [undefined, 401, "unauthorized"],
      [`Bearer ${METRICS_TOKEN}x`, 401, "unauthorized"],
      [`Bearer ${user.token}`, 403, "forbidden"],
    ] as const) {
      const response = await scrape(authorization);
      expect(response.status, authorization).toBe(status);
      const body = (await response.json()) as { error: { code: string; requestId: string } };
      expect(body.error.code).toBe(code);
      expect(body.error.requestId).toBeTruthy();
    }
  });

  it("answers another method with 405 and Allow", async () => {
    const response = await server.fetch("/metrics", {
      method: "POST",
      headers: { authorization: `Bearer ${METRICS_TOKEN}` },
    });
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("GET, HEAD");
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe(
      "method_not_allowed",
    );
  });
});
