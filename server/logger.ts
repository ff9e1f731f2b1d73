import { pino, type Logger, type DestinationStream, type LevelWithSilent } from "pino";
import { PinoPretty } from "pino-pretty";

export type { Logger };

/** Field paths that never reach a log line, wherever a caller puts them. */
const redactedPaths = [
  "authorization",
  "cookie",
  "token",
  "secret",
  "apiKey",
  "password",
  "refreshToken",
  "accessToken",
  "clientSecret",
  "headers.authorization",
  "headers.cookie",
  "headers['x-api-key']",
  "headers['x-goog-api-key']",
  "*.authorization",
  "*.cookie",
  "*.token",
  "*.secret",
  "*.apiKey",
  "*.password",
  "*.refreshToken",
  "*.accessToken",
  "*.clientSecret",
  "*.headers.authorization",
  "*.headers.cookie",
];

/**
 * Secret-shaped strings (OfficeLLM tokens, provider keys, bearer credentials) scrubbed from
 * the final line as a second line of defence, e.g. inside an upstream error message.
 */
const secretPatterns: [RegExp, string][] = [
  [/ollm_[A-Za-z0-9_-]{20,}/g, "ollm_[redacted]"],
  [/\bsk-[A-Za-z0-9_-]{16,}/g, "sk-[redacted]"],
  // Google's API keys (Gemini) and Groq's.
  [/\bAIza[A-Za-z0-9_-]{30,}/g, "AIza[redacted]"],
  [/\bgsk_[A-Za-z0-9]{16,}/g, "gsk_[redacted]"],
  [/(Bearer\s+)[A-Za-z0-9._~+/=-]{16,}/gi, "$1[redacted]"],
];

export function scrubSecrets(text: string): string {
  return secretPatterns.reduce(
    (line, [pattern, replacement]) => line.replace(pattern, replacement),
    text,
  );
}

/**
 * Logs to `destination`, or by default to stdout through a buffered asynchronous writer: a
 * write per request line would cost the gateway a fifth of its CPU. Pino flushes the buffer
 * when the process exits. The `pretty` format (a terminal's) is one readable line per record.
 */
export function createLogger(
  config: { log: { level: LevelWithSilent; format: "json" | "pretty" } },
  destination?: DestinationStream,
): Logger {
  const options = {
    level: config.log.level,
    base: { service: "officellm" },
    redact: { paths: redactedPaths, censor: "[redacted]" },
    hooks: { streamWrite: scrubSecrets },
  };
  if (config.log.format === "pretty") return pino(options, prettyLines(destination));
  return pino(options, destination ?? pino.destination({ dest: 1, sync: false }));
}

/** Fields every record has, which a readable line leaves out. */
const recordFields = new Set(["level", "time", "pid", "hostname", "service", "msg"]);

/**
 * One line per record for a person at a terminal: time, level, then a request as
 * `POST /api/v1/completions 200 12.5 ms`, anything else as its message and its other fields.
 */
function prettyLines(destination: DestinationStream | undefined): DestinationStream {
  return PinoPretty({
    ...(destination ? { destination, colorize: false } : {}),
    translateTime: "SYS:HH:MM:ss.l",
    hideObject: true,
    messageFormat: (log) => {
      if (log.msg === "request" || log.msg === "request failed") {
        const aborted = log.aborted ? " (client went away)" : "";
        return `${String(log.method)} ${String(log.path)} ${String(log.status)} ${String(log.durationMs)} ms${aborted}`;
      }
      const rest = Object.fromEntries(
        Object.entries(log).filter(([key]) => !recordFields.has(key)),
      );
      const fields = Object.keys(rest).length > 0 ? ` ${JSON.stringify(rest)}` : "";
      return `${String(log.msg ?? "")}${fields}`;
    },
  });
}
