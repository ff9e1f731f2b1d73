/**
 * Embeddings end to end: the official `openai` client (and plain HTTP for the native route)
 * against the real server, whose OpenAI adapter calls the fake provider over real HTTP. Metered,
 * cached by text, budgeted and bounded like completions; the wrong kind of model refused.
 */
import OpenAI from "openai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  FAKE_EMBEDDING_DIMENSIONS,
  fakeTokenCount,
  startFakeProvider,
} from "../test/fake-provider.ts";
import {
  bodyOf,
  catalogCost,
  catalogNanoUsd,
  ledger,
  uniquePrompt,
  startGatewayServer,
  startRig,
  type ErrorBody,
  type Rig,
} from "../test/llm-rig.ts";

const MODEL = "text-embedding-3-small";

let rig: Rig;
let token: { id: string; token: string };

beforeAll(async () => {
  rig = await startRig({ env: { EMBEDDING_MAX_INPUTS: "4", EMBEDDING_MAX_CHARS: "2000" } });
});
afterAll(() => rig.close());
beforeEach(async () => {
  rig.fake.reset();
  token = await rig.token();
});

const client = (apiKey = token.token, url = rig.server.url) =>
  new OpenAI({ apiKey, baseURL: `${url}/v1`, maxRetries: 0 });

function cosine(a: number[], b: number[]): number {
  let dot = 0;
  let aa = 0;
  let bb = 0;
  a.forEach((value, index) => {
    dot += value * b[index]!;
    aa += value * value;
    bb += b[index]! * b[index]!;
  });
  return dot / Math.sqrt(aa * bb);
}

/** A sample's value on GET /metrics (0 when it is not there yet). */
async function metric(sample: string): Promise<number> {
  const admin = await rig.server.token({ name: "scraper", scopes: ["admin"] });
  const response = await rig.server.fetch("/metrics", { token: admin.token });
  const line = (await response.text()).split("\n").find((each) => each.startsWith(`${sample} `));
  return line ? Number(line.slice(sample.length + 1)) : 0;
}

/** The embedding requests the fake received. */
const embeddingRequests = () => rig.fake.requests.filter((r) => r.path.endsWith("/embeddings"));

describe("POST /v1/embeddings with the openai client", () => {
  it("embeds texts through the provider, one vector each, similar texts close", async () => {
    const tag = uniquePrompt("invoice");
    const inputs = [`${tag} Acme Corporation`, `${tag} ACME Corp`, `${tag} weather in Lisbon`];
    const response = await client().embeddings.create({ model: MODEL, input: inputs });
    expect(response.model).toBe(MODEL);
    const vectors = response.data.map((item) => item.embedding);
    expect(vectors).toHaveLength(3);
    expect(vectors[0]).toHaveLength(FAKE_EMBEDDING_DIMENSIONS);
    expect(cosine(vectors[0]!, vectors[1]!)).toBeGreaterThan(cosine(vectors[0]!, vectors[2]!));
    const tokens = inputs.reduce((sum, input) => sum + fakeTokenCount(input), 0);
    expect(response.usage).toEqual({ prompt_tokens: tokens, total_tokens: tokens });
    // The texts went upstream once, as one request.
    expect(embeddingRequests()).toHaveLength(1);
    expect(bodyOf(embeddingRequests()[0])).toMatchObject({ model: MODEL, input: inputs });
  });

  it("writes one ledger row: the input tokens at the model's price, no output; and counts it", async () => {
    const input = uniquePrompt("metered");
    const tokensCounted = () =>
      metric(`officellm_model_tokens_total{provider="openai",model="${MODEL}",direction="input"}`);
    const before = await tokensCounted();
    await client().embeddings.create({ model: MODEL, input });
    expect((await tokensCounted()) - before).toBe(fakeTokenCount(input));
    const rows = await ledger(rig, token.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      provider: "openai",
      model: MODEL,
      input_tokens: fakeTokenCount(input),
      output_tokens: 0,
      cost_nano_usd: catalogNanoUsd(MODEL, fakeTokenCount(input), 0),
      cached: 0,
      status: "ok",
      // The provider's one key, pooled as several would be.
      key_label: "default",
    });
    expect(
      await metric(
        `officellm_provider_key_attempts_total{provider="openai",key="default",outcome="ok"}`,
      ),
    ).toBeGreaterThan(0);
  });

  it("answers a text asked again from the cache, with no provider call and no cost", async () => {
    const input = uniquePrompt("cached");
    const first = await client().embeddings.create({ model: MODEL, input });
    const reply = await rig.post("/v1/embeddings", token.token, { model: MODEL, input });
    expect(reply.status).toBe(200);
    expect(reply.headers.get("x-officellm-cache")).toBe("hit");
    expect(embeddingRequests()).toHaveLength(1);
    const again = reply.body as { data: { embedding: number[] }[] };
    expect(again.data[0]!.embedding).toEqual(first.data[0]!.embedding);
    const rows = await ledger(rig, token.id);
    expect(rows.map((row) => [row.cached, row.cost_nano_usd])).toEqual([
      [0, catalogNanoUsd(MODEL, fakeTokenCount(input), 0)],
      [1, 0],
    ]);
  });

  it("sends upstream only the texts the cache does not hold", async () => {
    const known = uniquePrompt("known");
    const fresh = uniquePrompt("fresh");
    await client().embeddings.create({ model: MODEL, input: known });
    const response = await client().embeddings.create({ model: MODEL, input: [known, fresh] });
    expect(response.data).toHaveLength(2);
    expect(embeddingRequests().map((request) => bodyOf(request).input)).toEqual([[known], [fresh]]);
    const rows = await ledger(rig, token.id);
    expect(rows[1]).toMatchObject({
      input_tokens: fakeTokenCount(fresh),
      cost_nano_usd: catalogNanoUsd(MODEL, fakeTokenCount(fresh), 0),
    });
  });

  it("keeps vectors by length: `dimensions` is passed on and cached apart", async () => {
    const input = uniquePrompt("short");
    const short = await client().embeddings.create({ model: MODEL, input, dimensions: 64 });
    const full = await client().embeddings.create({ model: MODEL, input });
    expect(short.data[0]!.embedding).toHaveLength(64);
    expect(full.data[0]!.embedding).toHaveLength(FAKE_EMBEDDING_DIMENSIONS);
    expect(embeddingRequests().map((request) => bodyOf(request).dimensions)).toEqual([
      64,
      undefined,
    ]);
  });

  it("answers base64 when asked, float32 little-endian as OpenAI's", async () => {
    const input = uniquePrompt("base64");
    const reply = await rig.post<{ data: { embedding: string }[] }>("/v1/embeddings", token.token, {
      model: MODEL,
      input,
      encoding_format: "base64",
    });
    const bytes = Buffer.from(reply.body.data[0]!.embedding, "base64");
    expect(bytes.length).toBe(FAKE_EMBEDDING_DIMENSIONS * 4);
    const floats = await client().embeddings.create({ model: MODEL, input });
    expect(bytes.readFloatLE(0)).toBe(floats.data[0]!.embedding[0]);
  });
});

describe("refusals, before any provider call", () => {
  async function refused(body: Record<string, unknown>, budgetUsd?: number) {
    const caller = budgetUsd === undefined ? token : await rig.token({ budgetUsd });
    const reply = await rig.post<ErrorBody>("/v1/embeddings", caller.token, body);
    expect(embeddingRequests()).toHaveLength(0);
    return { ...reply, caller };
  }

  it("a chat model: 400 not_an_embedding_model, naming the embedding models", async () => {
    const error = await client()
      .embeddings.create({ model: "gpt-4.1-mini", input: "hello" })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    const { status, body } = await refused({ model: "gpt-4.1-mini", input: "hello" });
    expect(status).toBe(400);
    expect(body.error.code).toBe("not_an_embedding_model");
    expect(body.error.message).toMatch(/gpt-4.1-mini is a chat model.*text-embedding-3-small/);
  });

  it("Anthropic's models: 400 not_an_embedding_model, Anthropic has no embeddings", async () => {
    const { status, body } = await refused({ model: "claude-haiku-4-5", input: "hello" });
    expect(status).toBe(400);
    expect(body.error.code).toBe("not_an_embedding_model");
    expect(body.error.message).toMatch(/anthropic offers no embeddings/);
  });

  it("an embedding model asked for a chat: 400 not_a_chat_model", async () => {
    const error = await client()
      .chat.completions.create({ model: MODEL, messages: [{ role: "user", content: "hi" }] })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as Error).message).toMatch(/text-embedding-3-small is an embedding model/);
    expect(rig.fake.requests).toHaveLength(0);
  });

  it("more texts than EMBEDDING_MAX_INPUTS: 400", async () => {
    const { status, body } = await refused({ model: MODEL, input: ["a", "b", "c", "d", "e"] });
    expect(status).toBe(400);
    expect(body.error.message).toMatch(/at most 4 texts.*EMBEDDING_MAX_INPUTS/);
  });

  it("more characters than EMBEDDING_MAX_CHARS: 400", async () => {
    const { status, body } = await refused({
      model: MODEL,
      input: ["x".repeat(1500), "y".repeat(501)],
    });
    expect(status).toBe(400);
    expect(body.error.message).toMatch(/at most 2,000 characters.*EMBEDDING_MAX_CHARS/);
  });

  it("token arrays, empty texts and vectors longer than the model's: 400", async () => {
    for (const body of [
      { model: MODEL, input: [[1, 2, 3]] },
      { model: MODEL, input: ["fine", " "] },
      { model: MODEL, input: "hello", dimensions: 4096 },
    ]) {
      const reply = await refused(body);
      expect(reply.status, JSON.stringify(body)).toBe(400);
      expect(reply.body.error.code).toBe("invalid_request");
    }
  });

  it("a budget that cannot cover the texts: 429 budget_exceeded, with its ledger row", async () => {
    // text-embedding-3-large: 130 nano-dollars a token; 1,500 bytes may be 1,500 tokens.
    const { status, body, caller } = await refused(
      { model: "text-embedding-3-large", input: "z".repeat(1500) },
      0.0001,
    );
    expect(status).toBe(429);
    expect(body.error.code).toBe("budget_exceeded");
    const rows = await ledger(rig, caller.id);
    expect(rows).toMatchObject([
      { model: "text-embedding-3-large", error_code: "budget_exceeded" },
    ]);
  });
});

describe("a provider failure", () => {
  it("answers 502 and keeps a ledger row of the failed call", async () => {
    rig.fake.enqueue({ status: 400, message: "bad input" });
    const reply = await rig.post<ErrorBody>("/v1/embeddings", token.token, {
      model: MODEL,
      input: uniquePrompt("fails"),
    });
    expect(reply.status).toBe(502);
    expect(reply.body.error.code).toBe("upstream_error");
    const rows = await ledger(rig, token.id);
    expect(rows).toMatchObject([{ model: MODEL, status: "error", error_code: "upstream_error" }]);
  });
});

describe("POST /api/v1/embeddings", () => {
  it("embeds with the first embedding model by default, in the native envelope", async () => {
    const input = uniquePrompt("native");
    const reply = await rig.post<{
      model: string;
      provider: string;
      embeddings: string[];
      dimensions: number;
      usage: { inputTokens: number; outputTokens: number; costUsd: number };
      cached: boolean;
    }>("/api/v1/embeddings", token.token, { input: [input], encodingFormat: "base64" });
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({
      model: MODEL,
      provider: "openai",
      dimensions: FAKE_EMBEDDING_DIMENSIONS,
      usage: {
        inputTokens: fakeTokenCount(input),
        outputTokens: 0,
        costUsd: catalogCost(MODEL, fakeTokenCount(input), 0),
      },
      cached: false,
    });
    expect(Buffer.from(reply.body.embeddings[0]!, "base64").length).toBe(
      FAKE_EMBEDDING_DIMENSIONS * 4,
    );
  });
});

describe("a local OpenAI-compatible server's model", () => {
  it("embeds through it, at the price the operator set", async () => {
    const fake = await startFakeProvider({ models: ["nomic-embed-text"] });
    const server = await startGatewayServer(fake, {
      OPENAI_COMPATIBLE_BASE_URL: fake.openaiBaseUrl,
      OPENAI_COMPATIBLE_PRICES: "nomic-embed-text=1/0",
    });
    try {
      const local = await server.token({ name: "local", scopes: ["llm"] });
      const input = uniquePrompt("local");
      const response = await client(local.token, server.url).embeddings.create({
        model: "nomic-embed-text",
        input,
      });
      expect(response.data[0]!.embedding).toHaveLength(FAKE_EMBEDDING_DIMENSIONS);
      expect(bodyOf(fake.requests.find((r) => r.path.endsWith("/embeddings")))).toMatchObject({
        model: "nomic-embed-text",
        input: [input],
      });
      const rows = await server.store.usage.listForToken(local.id);
      expect(rows).toMatchObject([
        {
          provider: "openai-compatible",
          model: "nomic-embed-text",
          input_tokens: fakeTokenCount(input),
          cost_nano_usd: fakeTokenCount(input) * 1000,
        },
      ]);
    } finally {
      await server.close();
      await fake.close();
    }
  });
});

describe("admission, shared with completions", () => {
  /**
   * With a chat call of one token held at the fake, an embeddings request of `who` ("same" token
   * or "other"): its status, and whether it reached the fake.
   */
  async function whileHeld(settings: Record<string, string>, who: "same" | "other") {
    const fake = await startFakeProvider();
    const server = await startGatewayServer(fake, { QUEUE_TIMEOUT_MS: "300", ...settings });
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    try {
      const holder = await server.token({ name: "holder", scopes: ["llm"] });
      const other = await server.token({ name: "other", scopes: ["llm"] });
      fake.enqueue({ text: "held", gate });
      const held = client(holder.token, server.url).chat.completions.create({
        model: "gpt-4.1-mini",
        messages: [{ role: "user", content: uniquePrompt("hold") }],
      });
      await fake.waitForRequests(1);
      const reply = await server.fetch("/v1/embeddings", {
        method: "POST",
        token: (who === "same" ? holder : other).token,
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: MODEL, input: uniquePrompt("waits") }),
      });
      const body = (await reply.json()) as Partial<ErrorBody>;
      const reached = fake.requests.some((r) => r.path.endsWith("/embeddings"));
      open();
      await held;
      return { status: reply.status, code: body.error?.code, reached };
    } finally {
      open();
      await server.close();
      await fake.close();
    }
  }

  it("the provider's one slot held: embeddings wait, then 503 queue_timeout", async () => {
    expect(await whileHeld({ PROVIDER_CONCURRENCY: "1" }, "other")).toEqual({
      status: 503,
      code: "queue_timeout",
      reached: false,
    });
  });

  it("the token's one turn held: its embeddings wait, another token's go", async () => {
    expect(await whileHeld({ TOKEN_MAX_IN_FLIGHT: "1" }, "same")).toEqual({
      status: 503,
      code: "queue_timeout",
      reached: false,
    });
    expect(await whileHeld({ TOKEN_MAX_IN_FLIGHT: "1" }, "other")).toEqual({
      status: 200,
      code: undefined,
      reached: true,
    });
  });
});

describe("the cache, shared with completions", () => {
  let small: Rig;
  beforeAll(async () => {
    // Room for 2,000 KB; a vector of the fake's (1,536 floats, about 8 KB stored) fits in a tenth.
    small = await startRig({ env: { CACHE_MAX_BYTES: "2000000" } });
  });
  afterAll(() => small.close());

  it("never pushes out a cached answer, however many vectors a caller has embedded", async () => {
    const caller = await small.token();
    const prompt = uniquePrompt("Capital of Portugal?");
    const ask = () =>
      small.post<{ cached: boolean }>("/api/v1/completions", caller.token, {
        model: "gpt-4.1-mini",
        prompt,
        temperature: 0,
      });
    expect((await ask()).body.cached).toBe(false);
    // Twice the cache's bytes in vectors, 256 texts a request.
    for (let round = 0; round < 2; round++) {
      const input = Array.from({ length: 256 }, (_, index) => uniquePrompt(`text ${index}`));
      const reply = await small.post("/api/v1/embeddings", caller.token, { model: MODEL, input });
      expect(reply.status, reply.text).toBe(200);
    }
    expect((await ask()).body.cached).toBe(true);
  });
});
