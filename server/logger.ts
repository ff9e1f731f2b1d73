import { pino, type Logger, type DestinationStream, type LevelWithSilent } from "pino";

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
 * when the process exits.
 */
export function createLogger(
  config: { log: { level: LevelWithSilent; format: "json" | "pretty" } },
  destination: DestinationStream = pino.destination({ dest: 1, sync: false }),
): Logger {
  const options = {
    level: config.log.level,
    base: { service: "officellm" },
    redact: { paths: redactedPaths, censor: "[redacted]" },
    hooks: { streamWrite: scrubSecrets },
  };
  if (config.log.format === "pretty") {
    return pino({ ...options, transport: { target: "pino-pretty", options: { colorize: true } } });
  }
  return pino(options, destination);
}
