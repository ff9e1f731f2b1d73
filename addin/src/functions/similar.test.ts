import { http, HttpResponse } from "msw";
import { describe, expect, it } from "vitest";
import { PREVIEW_PLACEHOLDER } from "./llm-functions.ts";
import { BASE_URL, connectedStorage, register, useBackendAndExcel } from "./test-support.ts";

const { server, excel } = useBackendAndExcel();

/** A made-up embedding: how often each letter occurs, so shared letters mean closeness. */
function letterVector(text: string): Float32Array {
  const vector = new Float32Array(26);
  for (const letter of text.toLowerCase().replace(/[^a-z]/g, ""))
    vector[letter.charCodeAt(0) - 97]! += 1;
  return vector;
}

function base64(vector: Float32Array): string {
  return Buffer.from(vector.buffer).toString("base64");
}

interface EmbeddingBody {
  input: string[];
  model?: string;
  encodingFormat?: string;
}

/** POST /api/v1/embeddings on msw: letter vectors, each request's body kept. */
function embeddingBackend(refuse?: { status: number; code: string; message: string }) {
  const bodies: EmbeddingBody[] = [];
  server.use(
    http.post(`${BASE_URL}/api/v1/embeddings`, async ({ request }) => {
      const body = (await request.json()) as EmbeddingBody;
      bodies.push(body);
      if (refuse)
        return HttpResponse.json(
          { error: { code: refuse.code, message: refuse.message, requestId: "r" } },
          { status: refuse.status },
        );
      return HttpResponse.json({
        id: "emb_1",
        model: body.model ?? "text-embedding-3-small",
        provider: "openai",
        embeddings: body.input.map((text) => base64(letterVector(text))),
        dimensions: 26,
        usage: { inputTokens: 1, outputTokens: 0, costUsd: 0 },
        cached: false,
        latencyMs: 1,
      });
    }),
  );
  return bodies;
}

const fruit = [["banana"], ["apple"], ["cherry"], ["grape"]];

describe("=LLM.SIMILAR(text, candidates, [top], [options])", () => {
  it("spills the closest candidates with their cosine scores, closest first", async () => {
    embeddingBackend();
    register(excel, await connectedStorage());
    const rows = (await excel.value("SIMILAR", "bananas", fruit, 2, null)) as [string, number][];
    expect(rows.map(([candidate]) => candidate)).toEqual(["banana", "grape"]);
    expect(rows[0]![1]).toBeGreaterThan(rows[1]![1]);
    expect(rows[0]![1]).toBeLessThanOrEqual(1);
    // Only the candidate and its score: never a vector.
    expect(rows.every((row) => row.length === 2)).toBe(true);
  });

  it("shows 3 by default, and all when there are fewer", async () => {
    embeddingBackend();
    register(excel, await connectedStorage());
    expect(await excel.value("SIMILAR", "apple", fruit, null, null)).toHaveLength(3);
    expect(await excel.value("SIMILAR", "apple", [["pear"]], 5, null)).toHaveLength(1);
  });

  it("sends the texts of one recalculation in one request, each text once", async () => {
    const bodies = embeddingBackend();
    const engine = register(excel, await connectedStorage());
    await Promise.all([
      excel.value("SIMILAR", "bananas", fruit, 1, null),
      excel.value("SIMILAR", "grapes", fruit, 1, null),
      excel.value("CLOSEST", "cherries", fruit, null),
    ]);
    expect(bodies).toHaveLength(1);
    expect(bodies[0]!.input.sort()).toEqual(
      ["bananas", "grapes", "cherries", "banana", "apple", "cherry", "grape"].sort(),
    );
    expect(bodies[0]!.encodingFormat).toBe("base64");
    expect(engine.embeddings.stats).toEqual({ requests: 1, textsSent: 7 });
  });

  it("ranks again from the cache on recalculation: no request", async () => {
    const bodies = embeddingBackend();
    register(excel, await connectedStorage());
    const first = await excel.value("SIMILAR", "bananas", fruit, 2, null);
    expect(await excel.value("SIMILAR", "bananas", fruit, 2, null)).toEqual(first);
    expect(bodies).toHaveLength(1);
  });

  it("passes the model option on", async () => {
    const bodies = embeddingBackend();
    register(excel, await connectedStorage());
    await excel.value("SIMILAR", "bananas", fruit, 1, "model=text-embedding-3-large");
    expect(bodies[0]!.model).toBe("text-embedding-3-large");
  });

  it("never calls the backend in formula preview", async () => {
    const bodies = embeddingBackend();
    register(excel, await connectedStorage());
    const preview = await excel.call("SIMILAR", ["bananas", fruit, 2, null], { preview: true })
      .result;
    expect(preview).toEqual({ ok: true, value: [[PREVIEW_PLACEHOLDER, ""]] });
    expect(bodies).toHaveLength(0);
  });

  it("refuses bad arguments with a readable #VALUE! or #N/A, before any request", async () => {
    const bodies = embeddingBackend();
    register(excel, await connectedStorage());
    expect((await excel.error("SIMILAR", "x", [[""]], null, null)).message).toMatch(
      /Give the candidates/,
    );
    expect((await excel.error("SIMILAR", "x", fruit, 0, null)).code).toBe("#VALUE!");
    expect((await excel.error("SIMILAR", "", fruit, null, null)).code).toBe("#N/A");
    expect(bodies).toHaveLength(0);
  });

  it("a model that makes no embeddings: #VALUE! with the backend's words", async () => {
    embeddingBackend({
      status: 400,
      code: "not_an_embedding_model",
      message: "gpt-4o is a chat model, not an embedding model",
    });
    register(excel, await connectedStorage());
    const error = await excel.error("SIMILAR", "bananas", fruit, 1, "model=gpt-4o");
    expect(error.code).toBe("#VALUE!");
    expect(error.message).toMatch(/gpt-4o is a chat model/);
  });
});

describe("an answer that cannot be read", () => {
  it("fails the formulas with #N/A and a message, leaving none waiting", async () => {
    server.use(
      http.post(`${BASE_URL}/api/v1/embeddings`, () =>
        HttpResponse.json({
          id: "emb_1",
          model: "text-embedding-3-small",
          provider: "openai",
          // Not base64, and one vector short.
          embeddings: ["%%%"],
          dimensions: 26,
          usage: { inputTokens: 1, outputTokens: 0, costUsd: 0 },
          cached: false,
          latencyMs: 1,
        }),
      ),
    );
    register(excel, await connectedStorage());
    const error = await excel.error("SIMILAR", "bananas", fruit, 1, null);
    expect(error.code).toBe("#N/A");
    expect(error.message).toMatch(/could not be read/);
  });
});

describe("=LLM.CLOSEST(text, candidates, [options])", () => {
  it("answers the one closest candidate", async () => {
    embeddingBackend();
    register(excel, await connectedStorage());
    expect(await excel.value("CLOSEST", "cherries", fruit, null)).toBe("cherry");
  });
});
