import { describe, expect, it } from "vitest";
import { runNode } from "../../test/process.ts";

/** The provider SDKs a server with these settings loads, from a fresh process. */
async function sdksLoaded(env: Record<string, string>): Promise<string[]> {
  const run = await runNode("server/test/children/loaded-sdks.ts", [], env);
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as string[];
}

describe("provider SDKs", () => {
  it("loads neither SDK on the demo provider", async () => {
    expect(await sdksLoaded({})).toEqual([]);
  });

  it("loads only the SDK of each configured provider", async () => {
    expect(await sdksLoaded({ ANTHROPIC_API_KEY: "sk-ant-test" })).toEqual(["anthropic"]);
    expect(
      await sdksLoaded({
        OPENAI_COMPATIBLE_BASE_URL: "http://127.0.0.1:9/v1",
        OPENAI_COMPATIBLE_MODELS: "local",
      }),
    ).toEqual(["openai"]);
    expect(
      await sdksLoaded({ OPENAI_API_KEY: "sk-test", ANTHROPIC_API_KEY: "sk-ant-test" }),
    ).toEqual(["anthropic", "openai"]);
    expect(await sdksLoaded({ GEMINI_API_KEY: "gemini-test" })).toEqual(["google"]);
    // The hosted presets speak OpenAI's API, through OpenAI's SDK.
    expect(await sdksLoaded({ MISTRAL_API_KEY: "mistral-test" })).toEqual(["openai"]);
  });
});
