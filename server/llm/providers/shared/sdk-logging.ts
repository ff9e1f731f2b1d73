import type { Logger } from "../../../logger.ts";

/** The logger both provider SDKs accept (`ClientOptions.logger`), and their levels. */
type LogFn = (message: string, ...details: unknown[]) => void;
interface SdkLogger {
  error: LogFn;
  warn: LogFn;
  info: LogFn;
  debug: LogFn;
}
type SdkLogLevel = "off" | "error" | "warn" | "info" | "debug";

/**
 * The SDKs' level for the server's. Short of debug they stop at warnings: their info lines, one
 * per upstream response, would repeat what the request log says.
 */
const sdkLevels: Record<string, SdkLogLevel> = {
  trace: "debug",
  debug: "debug",
  info: "warn",
  warn: "warn",
  error: "error",
  fatal: "error",
  silent: "off",
};

/**
 * Client options that send an SDK's own log lines into the server's JSON log (by default the
 * SDKs print plain text to the console), under the provider's name and the server's level.
 * Only the message is kept: the SDKs' details carry request bodies, callers' prompts, which
 * OfficeLLM does not log.
 */
export function sdkLogging(
  logger: Logger,
  provider: string,
): { logger: SdkLogger; logLevel: SdkLogLevel } {
  const child = logger.child({ provider });
  const at =
    (level: keyof SdkLogger): LogFn =>
    (message) =>
      child[level](message);
  return {
    logger: { error: at("error"), warn: at("warn"), info: at("info"), debug: at("debug") },
    logLevel: sdkLevels[logger.level] ?? "warn",
  };
}
