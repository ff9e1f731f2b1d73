/**
 * The server started the way `npm start` starts it once the add-in is built: `sh scripts/serve.sh`
 * from the repository's root, with `node` on PATH. With only OPENAI_API_KEY and OPENAI_BASE_URL
 * set (against the fake provider), completions, streams, the OpenAI-compatible API and usage work
 * over real HTTP; with no provider key, the offline demo provider answers.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import OpenAI from "openai";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { fakeTokenCount, startFakeProvider, type FakeProvider } from "./test/fake-provider.ts";
import {
  catalogCost,
  expectNoKeys,
  OPENAI_KEY,
  parseSse,
  type CompletionBody,
} from "./test/llm-rig.ts";
import { freePort, NodeChild, runNode } from "./test/process.ts";

/** An OpenAI model of the catalog (catalogCost throws if it is not there). */
const model = "gpt-4.1-mini";

/**
 * Every provider setting, blank. The child gets none of the outer environment (childEnv), but
 * server/main.ts also reads ./.env, and there a variable set in the environment, even to "",
 * wins; and "" means "not set". So a developer's .env cannot add a provider either.
 */
const noProviders = {
  OPENAI_API_KEY: "",
  OPENAI_BASE_URL: "",
  ANTHROPIC_API_KEY: "",
  ANTHROPIC_BASE_URL: "",
  OPENAI_COMPATIBLE_BASE_URL: "",
  OPENAI_COMPATIBLE_API_KEY: "",
  OPENAI_COMPATIBLE_MODELS: "",
  DEFAULT_MODEL: "",
  REDIS_URL: "",
};

let dir: string;
let databaseUrl: string;
let child: NodeChild | undefined;
let fake: FakeProvider | undefined;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "officellm-serve-"));
  databaseUrl = `sqlite:${join(dir, "officellm.db")}`;
});
afterEach(async () => {
  await child?.kill();
  child = undefined;
  await fake?.close();
  fake = undefined;
  rmSync(dir, { recursive: true, force: true });
});

/** A token made with the command line, as an operator makes one. */
async function createToken(): Promise<string> {
  const created = await runNode(
    "server/cli/main.ts",
    ["token", "create", "--name", "serve", "--scopes", "llm"],
    { DATABASE_URL: databaseUrl },
    30_000,
  );
  expect(created.code, created.stderr).toBe(0);
  return (JSON.parse(created.stdout) as { token: string }).token;
}

/** Starts `sh scripts/serve.sh` with the given settings; resolves once it listens. */
async function serve(settings: Record<string, string>): Promise<string> {
  const port = await freePort();
  child = new NodeChild(
    "scripts/serve.sh",
    [],
    {
      ...noProviders,
      ...settings,
      PORT: String(port),
      HOST: "127.0.0.1",
      DATABASE_URL: databaseUrl,
      LOG_LEVEL: "info",
      // serve.sh runs `node` from PATH: this Node (24) first, as bench/gateway/run.ts does.
      PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ""}`,
      // serve.sh turns Node's compile cache on, by default in the shared
      // ${TMPDIR:-/tmp}/node-compile-cache that a developer's `npm start` uses. Keep the cache on,
      // as `npm start` has it, but in this test's own directory, so that the test writes nothing
      // outside it and parallel runs never share a cache being written.
      NODE_COMPILE_CACHE: join(dir, "compile-cache"),
    },
    undefined,
    "sh",
  );
  // A cold start (empty compile cache) on a slow 2-core machine takes a few seconds.
  await child.waitFor(/OfficeLLM is listening/);
  return `http://127.0.0.1:${port}`;
}

/** Stops the server with SIGTERM: its log is buffered and written out in full on the way out. */
async function stop(server: NodeChild): Promise<void> {
  server.child.kill("SIGTERM");
  const exit = await server.exit();
  expect(exit, server.stderr).toMatchObject({ code: 0, timedOut: false });
}

async function post(url: string, token: string, body: unknown): Promise<Response> {
  return fetch(url, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

function records(stdout: string): Record<string, unknown>[] {
  return stdout
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

interface UsageReport {
  totals: { calls: number; costUsd: number; cachedCalls: number; failedCalls: number };
  byModel: { model: string; provider: string; calls: number; costUsd: number }[];
}

describe("sh scripts/serve.sh, as npm start runs it", () => {
  it("with only OPENAI_API_KEY and OPENAI_BASE_URL, answers every call through OpenAI", async () => {
    fake = await startFakeProvider();
    const token = await createToken();
    const url = await serve({ OPENAI_API_KEY: OPENAI_KEY, OPENAI_BASE_URL: fake.openaiBaseUrl });
    const server = child!;
    const seen: string[] = [];

    // A plain completion: the fake's text, its usage, at the catalog's price.
    const plainPrompt = "Plain question through serve.sh";
    const plain = await post(`${url}/api/v1/completions`, token, { model, prompt: plainPrompt });
    const plainText = await plain.text();
    seen.push(plainText);
    expect(plain.status, plainText).toBe(200);
    const answer = JSON.parse(plainText) as CompletionBody;
    const plainUsage = {
      inputTokens: fakeTokenCount(plainPrompt),
      outputTokens: fakeTokenCount(`echo: ${plainPrompt}`),
    };
    expect(answer).toMatchObject({
      model,
      provider: "openai",
      text: `echo: ${plainPrompt}`,
      usage: plainUsage,
      cached: false,
    });
    expect(answer.usage.costUsd).toBeGreaterThan(0);
    expect(answer.usage.costUsd).toBeCloseTo(
      catalogCost(model, plainUsage.inputTokens, plainUsage.outputTokens),
      12,
    );

    // A streamed completion: text deltas, then one done event with usage and cost.
    const streamPrompt = "Streamed question through serve.sh";
    const streamed = await post(`${url}/api/v1/completions`, token, {
      model,
      prompt: streamPrompt,
      stream: true,
    });
    const streamText = await streamed.text();
    seen.push(streamText);
    expect(streamed.status, streamText).toBe(200);
    expect(streamed.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const events = parseSse(streamText);
    expect(events.length).toBeGreaterThan(2);
    expect(events.slice(0, -1).every((event) => event.event === "delta")).toBe(true);
    const deltas = events.slice(0, -1).map((event) => (event.data as { text: string }).text);
    expect(deltas.join("")).toBe(`echo: ${streamPrompt}`);
    expect(events.at(-1)?.event).toBe("done");
    const done = events.at(-1)?.data as CompletionBody;
    expect(done).toMatchObject({ model, provider: "openai", text: `echo: ${streamPrompt}` });
    expect(done.usage.outputTokens).toBe(fakeTokenCount(`echo: ${streamPrompt}`));
    expect(done.usage.costUsd).toBeGreaterThan(0);

    // The official OpenAI client, pointed at /v1 with the OfficeLLM token: plain, then streamed.
    const client = new OpenAI({ apiKey: token, baseURL: `${url}/v1`, maxRetries: 0 });
    const sdkPrompt = "SDK question through serve.sh";
    const completion = await client.chat.completions.create({
      model,
      messages: [{ role: "user", content: sdkPrompt }],
    });
    seen.push(JSON.stringify(completion));
    expect(completion.model).toBe(model);
    expect(completion.choices[0]?.message.content).toBe(`echo: ${sdkPrompt}`);
    expect(completion.usage?.prompt_tokens).toBe(fakeTokenCount(sdkPrompt));
    expect(completion.usage?.completion_tokens).toBe(fakeTokenCount(`echo: ${sdkPrompt}`));

    const sdkStreamPrompt = "SDK stream through serve.sh";
    const stream = await client.chat.completions.create({
      model,
      messages: [{ role: "user", content: sdkStreamPrompt }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let sdkStreamed = "";
    let chunks = 0;
    let finish: string | null | undefined;
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      seen.push(JSON.stringify(chunk));
      chunks++;
      sdkStreamed += chunk.choices[0]?.delta.content ?? "";
      finish = chunk.choices[0]?.finish_reason ?? finish;
      usage = chunk.usage ?? usage;
    }
    expect(chunks).toBeGreaterThan(2);
    expect(sdkStreamed).toBe(`echo: ${sdkStreamPrompt}`);
    expect(finish).toBe("stop");
    expect(usage?.completion_tokens).toBe(fakeTokenCount(`echo: ${sdkStreamPrompt}`));

    // The ledger: four calls of the OpenAI model, none cached or failed, all paid for.
    const usageResponse = await fetch(`${url}/api/v1/usage`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const usageText = await usageResponse.text();
    seen.push(usageText);
    expect(usageResponse.status, usageText).toBe(200);
    const report = JSON.parse(usageText) as UsageReport;
    expect(report.totals).toMatchObject({ calls: 4, cachedCalls: 0, failedCalls: 0 });
    expect(report.totals.costUsd).toBeGreaterThan(0);
    expect(report.byModel).toEqual([
      expect.objectContaining({ model, provider: "openai", calls: 4 }),
    ]);

    // Every call reached the fake, with the configured key as its bearer.
    expect(fake.requests.map((request) => `${request.method} ${request.path}`)).toEqual(
      Array(4).fill("POST /v1/chat/completions"),
    );
    for (const request of fake.requests) {
      expect(request.headers.authorization).toBe(`Bearer ${OPENAI_KEY}`);
      expect(request.body).toMatchObject({ model });
    }
    expect(fake.requests.map((request) => (request.body as { stream?: boolean }).stream)).toEqual([
      undefined,
      true,
      undefined,
      true,
    ]);

    // The whole log, flushed by a graceful stop, shows the calls and never the key.
    await stop(server);
    const logged = records(server.stdout);
    expect(logged).toContainEqual(
      expect.objectContaining({ msg: "request", path: "/api/v1/completions", status: 200 }),
    );
    expect(logged).toContainEqual(
      expect.objectContaining({ msg: "request", path: "/v1/chat/completions", status: 200 }),
    );
    expect(server.stdout).not.toMatch(/No provider is configured/);
    expectNoKeys([server.stdout, server.stderr, ...seen]);
  }, 90_000);

  it("with no provider key, the demo provider answers, marked as demo output", async () => {
    const token = await createToken();
    const url = await serve({});

    const prompt = "Demo question through serve.sh";
    const response = await post(`${url}/api/v1/completions`, token, { prompt });
    const text = await response.text();
    expect(response.status, text).toBe(200);
    const answer = JSON.parse(text) as CompletionBody;
    expect(answer).toMatchObject({ model: "demo", provider: "demo", cached: false });
    expect(answer.text).toMatch(/^\[demo\] You asked: "Demo question through serve\.sh"\./);
    expect(answer.usage.costUsd).toBe(0);
    expect(child!.stdout + child!.stderr).toMatch(/No provider is configured/);
  }, 90_000);

  // The kernel holds at most net.core.somaxconn (4,096 since Linux 5.4) whatever the server asks.
  const burst = 1_000;
  const somaxconn = Number(readFileSync("/proc/sys/net/core/somaxconn", "utf8"));
  it.skipIf(somaxconn < burst)(
    "holds a burst of connections while its event loop is busy, beyond Node's default 511",
    async () => {
      const url = await serve({});
      // A server stopped for a moment is a busy event loop at its most: only the kernel accepts.
      child!.child.kill("SIGSTOP");
      const sockets: Socket[] = [];
      try {
        // With a backlog of 511 the kernel completes 512 handshakes and drops the rest's SYNs,
        // which their clients retry a second later and then at growing intervals.
        await Promise.all(
          Array.from(
            { length: burst },
            () =>
              new Promise<void>((resolve, reject) => {
                const socket = connect(Number(new URL(url).port), "127.0.0.1");
                sockets.push(socket);
                socket.once("connect", resolve).once("error", reject);
              }),
          ),
        );
      } finally {
        child!.child.kill("SIGCONT");
        for (const socket of sockets) socket.destroy();
      }
      // Every one connected; and the server, running again, answers.
      expect((await fetch(`${url}/health`)).status).toBe(200);
    },
    90_000,
  );
});
