import { beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../config.ts";
import { createGateway } from "../gateway.ts";
import { maxCostNanoUsd, maxInputTokens } from "./max-cost.ts";
import type { ModelInfo, ModelRegistry } from "../model-registry.ts";
import { fitToModel } from "../request/fit-to-model.ts";
import type { PreparedCompletion } from "../request/prepare.ts";

let registry: ModelRegistry;

beforeAll(async () => {
  const config = loadConfig({
    OPENAI_API_KEY: "sk-test-abcdefghijklmnopqrstuvwxyz",
    ANTHROPIC_API_KEY: "sk-ant-test-abcdefghijklmnopqrstuvwxyz",
  });
  ({ registry } = await createGateway(config));
});

/** A prepared call of gpt-4.1-mini ($0.40 in, $1.60 out a million: 400 and 1,600 nano-dollars a token). */
function call(
  overrides: Partial<Pick<PreparedCompletion, "system" | "json">> & {
    maxTokens?: number | undefined;
    fallbacks?: ModelInfo[];
  } = {},
): PreparedCompletion {
  const { maxTokens, fallbacks = [], ...rest } = { maxTokens: 100, ...overrides };
  const requested = { temperature: undefined, maxTokens, stop: undefined };
  const first = fitToModel(registry.resolve("gpt-4.1-mini"), requested);
  return {
    candidates: [first, ...fallbacks.map((model) => fitToModel(model, requested))],
    system: undefined,
    // Six UTF-8 bytes.
    messages: [{ role: "user", content: "héllo" }],
    json: undefined,
    tools: undefined,
    cacheable: false,
    key: "",
    ...rest,
  };
}

describe("a call's maximum cost", () => {
  it("counts a token for each UTF-8 byte of its input, and a few around each message", () => {
    expect(maxInputTokens(call())).toBe(6 + 8 * 2);
    expect(maxInputTokens(call({ system: "ab" }))).toBe(2 + 6 + 8 * 2);
    const schema = { type: "string" };
    expect(maxInputTokens(call({ json: { schema } }))).toBe(6 + 17 + 8 * 2);
  });

  it("prices its input and maxTokens, or the model's output cap, at the model's price", () => {
    expect(maxCostNanoUsd(call(), registry, false)).toBe(22 * 400 + 100 * 1_600);
    expect(maxCostNanoUsd(call({ maxTokens: undefined }), registry, false)).toBe(
      22 * 400 + 32_768 * 1_600,
    );
  });

  it("takes the dearest fallback, as only one answer is paid for", () => {
    const fallbacks = [registry.resolve("claude-haiku-4-5")];
    expect(maxCostNanoUsd(call({ fallbacks }), registry, false)).toBe(22 * 1_000 + 100 * 5_000);
    // A stream asks its model only.
    expect(maxCostNanoUsd(call({ fallbacks }), registry, true)).toBe(22 * 400 + 100 * 1_600);
  });

  it("counts JSON's second asking, with the first answer, and each fallback's", () => {
    const json = { schema: undefined };
    const once = 22 * 400 + 100 * 1_600;
    const again = (22 + 2 * 100 + 64) * 400 + 100 * 1_600;
    expect(maxCostNanoUsd(call({ json }), registry, false)).toBe(once + again);
    expect(maxCostNanoUsd(call({ json }), registry, true)).toBe(once);
    const fallbacks = [registry.resolve("gpt-4.1-mini")];
    expect(maxCostNanoUsd(call({ json, fallbacks }), registry, false)).toBe(2 * (once + again));
  });
});
