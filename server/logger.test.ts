import { describe, expect, it } from "vitest";
import { generateSecret } from "./auth/secrets.ts";
import { createLogger, type Logger } from "./logger.ts";
import { LogCapture } from "./test/harness.ts";

const ollm = generateSecret();
const openAiKey = "sk-proj-Abc123Def456Ghi789Jkl012Mno345";
const anthropicKey = "sk-ant-api03-Zyx987Wvu654Tsr321Qpo000";
const geminiKey = "AIzaSyD4e5F6g7H8i9J0k1L2m3N4o5P6q7R8s9T";
const groqKey = "gsk_Abc123Def456Ghi789Jkl012Mno345Pqr";
const jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ";
const secrets = [ollm, ollm.slice(5), openAiKey, anthropicKey, geminiKey, groqKey, jwt];

function capture(): { logger: Logger; logs: LogCapture } {
  const logs = new LogCapture();
  return { logger: createLogger({ log: { level: "info", format: "json" } }, logs), logs };
}

function expectNoSecret(logs: LogCapture) {
  expect(logs.lines.length).toBeGreaterThan(0);
  for (const secret of secrets) expect(logs.text).not.toContain(secret);
  // Every line is still valid JSON after scrubbing.
  expect(() => logs.records()).not.toThrow();
}

describe("the logger never writes a credential", () => {
  const fieldCases: [string, (logger: Logger) => void][] = [
    ["authorization: Bearer ollm_", (l) => l.info({ authorization: `Bearer ${ollm}` }, "call")],
    ["authorization: Bearer sk-", (l) => l.info({ authorization: `Bearer ${openAiKey}` }, "call")],
    ["authorization: Bearer JWT", (l) => l.info({ authorization: `Bearer ${jwt}` }, "call")],
    ["token", (l) => l.info({ token: ollm }, "issued")],
    ["headers.authorization", (l) => l.info({ headers: { authorization: `Bearer ${ollm}` } }, "h")],
    [
      "req.headers.authorization",
      (l) => l.info({ req: { headers: { authorization: `Bearer ${openAiKey}` } } }, "h"),
    ],
    ["Authorization in capitals", (l) => l.info({ headers: { Authorization: `Bearer ${ollm}` } })],
    ["apiKey", (l) => l.warn({ provider: "openai", apiKey: openAiKey }, "configured")],
    ["x-api-key", (l) => l.info({ headers: { "x-api-key": anthropicKey } }, "upstream")],
    ["an unlisted field", (l) => l.info({ note: `key is ${anthropicKey}` }, "note")],
    ["x-goog-api-key", (l) => l.info({ headers: { "x-goog-api-key": geminiKey } }, "upstream")],
    ["a Google key in a message", (l) => l.warn({ note: `bad key ${geminiKey}` }, "upstream")],
    ["a Groq key in a message", (l) => l.warn({ note: `bad key ${groqKey}` }, "upstream")],
    ["a child logger's bindings", (l) => l.child({ token: ollm }).info("from child")],
  ];
  for (const [label, write] of fieldCases) {
    it(`as a field: ${label}`, () => {
      const { logger, logs } = capture();
      write(logger);
      expectNoSecret(logs);
    });
  }

  const messageCases: [string, (logger: Logger) => void][] = [
    ["a message string", (l) => l.info(`user presented ${ollm} and ${openAiKey}`)],
    ["an interpolated message", (l) => l.info("header was %s", `Bearer ${jwt}`)],
    [
      "an error passed alone",
      (l) => l.error(new Error(`upstream rejected key ${openAiKey} (Bearer ${jwt})`)),
    ],
    [
      "an error as err",
      (l) => l.error({ err: new Error(`token ${ollm} failed for ${anthropicKey}`) }, "failed"),
    ],
    [
      "an error with request details attached",
      (l) =>
        l.error(
          {
            err: Object.assign(new Error("401 from upstream"), {
              headers: { authorization: `Bearer ${openAiKey}` },
              request: { headers: { Authorization: `Bearer ${ollm}` } },
            }),
          },
          "upstream failed",
        ),
    ],
  ];
  for (const [label, write] of messageCases) {
    it(`inside ${label}`, () => {
      const { logger, logs } = capture();
      write(logger);
      expectNoSecret(logs);
    });
  }

  it("keeps the rest of the line readable", () => {
    const { logger, logs } = capture();
    logger.info({ authorization: `Bearer ${ollm}`, tokenId: "tok_123" }, `used ${ollm} today`);
    const [record] = logs.records();
    expect(record).toMatchObject({ tokenId: "tok_123", level: 30, service: "officellm" });
    expect(String(record!.msg)).toMatch(/^used .*redacted.* today$/);
    expect(String(record!.authorization)).toContain("redacted");
  });
});
