import { setImmediate as nextTurn } from "node:timers/promises";
import { LlmError } from "../../errors.ts";
import type { EmbeddingRequest, EmbeddingResult, Provider } from "../../provider.ts";
import type { SharedParts } from "../definition.ts";
import type { ProviderRequest, ProviderResult, StreamChunk } from "../../types.ts";
import { estimateUsage } from "../shared/prompt.ts";
import { hashedEmbedding } from "../shared/hashed-embedding.ts";
import { estimateTokens } from "../../token-estimate.ts";
import { SampleRefused, sampleSchema } from "../../schemas/schema-sampler.ts";

/**
 * The offline provider a fresh install answers with until a provider key is configured: no
 * network, same answer for the same question, every text answer plainly marked "[demo]".
 */
export function createDemoProvider(limits: DemoLimits): Provider {
  return {
    name: "demo",

    async complete(request: ProviderRequest): Promise<ProviderResult> {
      // Answers on a turn of its own, as a provider over the network would: a batch's hundreds
      // of demo answers take turns with other requests instead of running back to back.
      await nextTurn();
      request.signal.throwIfAborted();
      return answer(request, limits);
    },

    async *stream(request: ProviderRequest): AsyncIterable<StreamChunk> {
      request.signal.throwIfAborted();
      const result = answer(request, limits);
      // Word-sized pieces, each with its whitespace, so that joined they give the text back.
      for (const piece of result.text.match(/\s*\S+\s*/g) ?? []) {
        await nextTurn();
        request.signal.throwIfAborted();
        yield { type: "delta", text: piece };
      }
      yield { type: "done", usage: result.usage, finishReason: result.finishReason };
    },

    async embed(request: EmbeddingRequest): Promise<EmbeddingResult> {
      await nextTurn();
      request.signal.throwIfAborted();
      return {
        vectors: request.inputs.map((input) =>
          hashedEmbedding(input, request.dimensions ?? demoDimensions),
        ),
        inputTokens: request.inputs.reduce((sum, input) => sum + estimateTokens(input), 0),
      };
    },

    async listModels(): Promise<string[]> {
      return ["demo"];
    },
  };
}

const maxQuoted = 120;
/** The length of demo-embedding's vectors (its catalog entry says so too). */
const demoDimensions = 256;

function demoSentence(request: ProviderRequest): string {
  const lastUser = [...request.messages].reverse().find((message) => message.role === "user");
  const asked = (lastUser?.content ?? "").replace(/\s+/g, " ").trim();
  const quoted = asked.length > maxQuoted ? `${asked.slice(0, maxQuoted - 1)}…` : asked;
  const question = quoted ? `You asked: "${quoted}".` : "You asked nothing.";
  return `[demo] ${question} Configure OPENAI_API_KEY or ANTHROPIC_API_KEY for real answers.`;
}

function answer(request: ProviderRequest, limits: DemoLimits): ProviderResult {
  const sentence = demoSentence(request);
  let text: string;
  if (request.json?.schema) {
    const schema = request.json.schema;
    try {
      text = JSON.stringify(sampleSchema(schema, limits, "demo"));
    } catch (error) {
      if (!(error instanceof SampleRefused)) throw error;
      throw new LlmError(
        "invalid_request",
        `The demo model cannot answer this schema: ${error.message}`,
      );
    }
  } else if (request.json) {
    text = JSON.stringify({ demo: true, answer: sentence });
  } else {
    text = sentence;
  }
  return { text, usage: estimateUsage(request, text), finishReason: "stop" };
}

/** How much JSON the demo generates at most (see SchemaSampler). */
export type DemoLimits = SharedParts["limits"];
