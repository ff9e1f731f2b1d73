import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../../config.ts";

const KEY = "sk-proj-settings-4e8a1c7d2b9f6e3a";
const OTHER = "sk-proj-settings-0b5d8f2a7c1e9d4b";

/** The problems loadConfig finds, or none. */
function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe("a provider's keys in the settings", () => {
  it("keeps the single key, labelled default, beside the labelled ones", () => {
    const { settings } = loadConfig({
      OPENAI_API_KEY: KEY,
      OPENAI_API_KEYS: ` spare:${OTHER} `,
      OPENAI_BASE_URL: "https://proxy.example.com/v1/",
      OPENAI_BASE_URLS: "spare:https://other.example.com/v1",
    }).providers;
    expect(settings.openai).toEqual({
      keys: [
        { label: "default", apiKey: KEY, baseUrl: "https://proxy.example.com/v1" },
        { label: "spare", apiKey: OTHER, baseUrl: "https://other.example.com/v1" },
      ],
    });
  });

  it("takes empty lists for unset, as a Secret or Compose file leaves them", () => {
    const { settings } = loadConfig({
      OPENAI_API_KEY: KEY,
      OPENAI_API_KEYS: "",
      OPENAI_BASE_URLS: "",
      OPENAI_COMPATIBLE_BASE_URLS: "",
    }).providers;
    expect(settings.openai?.keys.map((key) => key.label)).toEqual(["default"]);
    expect(settings["openai-compatible"]).toBeUndefined();
  });

  it("reads a key holding ':' whole, the label being what comes before the first", () => {
    const { settings } = loadConfig({
      ANTHROPIC_API_KEYS: `team-a:${KEY}:x,team_b:${OTHER}`,
    }).providers;
    expect(settings.anthropic?.keys.map((key) => [key.label, key.apiKey])).toEqual([
      ["team-a", `${KEY}:x`],
      ["team_b", OTHER],
    ]);
  });

  it("gives several local servers the shared key, or each its own", () => {
    const { settings } = loadConfig({
      OPENAI_COMPATIBLE_BASE_URLS: "gpu1:http://10.0.0.1:8000/v1,gpu2:http://10.0.0.2:8000/v1",
      OPENAI_COMPATIBLE_API_KEY: KEY,
      OPENAI_COMPATIBLE_API_KEYS: `gpu2:${OTHER}`,
    }).providers;
    expect(settings["openai-compatible"]?.servers).toEqual([
      { label: "gpu1", apiKey: KEY, baseUrl: "http://10.0.0.1:8000/v1" },
      { label: "gpu2", apiKey: OTHER, baseUrl: "http://10.0.0.2:8000/v1" },
    ]);
  });

  it("refuses malformed lists, naming the variable and never repeating a key", () => {
    const cases: [Record<string, string>, string][] = [
      [{ OPENAI_API_KEYS: KEY }, "OPENAI_API_KEYS entry 1 must be label:key"],
      [{ OPENAI_API_KEYS: `a:${KEY},b:` }, "OPENAI_API_KEYS entry 2 ('b') must be label:key"],
      [{ OPENAI_API_KEYS: `a b:${KEY}` }, "OPENAI_API_KEYS entry 1 must be label:key"],
      [{ OPENAI_API_KEYS: `a:${KEY},,b:${OTHER}` }, "OPENAI_API_KEYS entry 2 must be label:key"],
      [
        { ANTHROPIC_API_KEYS: `a:${KEY},a:${OTHER}` },
        "ANTHROPIC_API_KEYS names the label 'a' twice",
      ],
      [
        { OPENAI_API_KEY: KEY, OPENAI_API_KEYS: `default:${OTHER}` },
        "OPENAI_API_KEYS uses the label 'default', which is OPENAI_API_KEY's; choose another",
      ],
      [
        { OPENAI_API_KEYS: `a:${KEY}`, OPENAI_BASE_URLS: "b:https://example.com" },
        "OPENAI_BASE_URLS names 'b', which neither OPENAI_API_KEYS nor OPENAI_API_KEY defines",
      ],
      [
        { OPENAI_COMPATIBLE_BASE_URLS: "gpu1:ftp://example.com" },
        "OPENAI_COMPATIBLE_BASE_URLS entry 1 ('gpu1') must be label:URL",
      ],
      [
        {
          OPENAI_COMPATIBLE_BASE_URLS: "gpu1:http://10.0.0.1/v1",
          OPENAI_COMPATIBLE_API_KEYS: `gpu9:${KEY}`,
        },
        "OPENAI_COMPATIBLE_API_KEYS names 'gpu9'",
      ],
      [{ PROVIDER_KEY_COOLDOWN_SECONDS: "0" }, "PROVIDER_KEY_COOLDOWN_SECONDS"],
    ];
    for (const [env, expected] of cases) {
      const found = problems(env);
      expect(found, JSON.stringify(env)).toHaveLength(1);
      expect(found[0]).toContain(expected);
      expect(found[0]).not.toContain(KEY);
      expect(found[0]).not.toContain(OTHER);
    }
  });
});
