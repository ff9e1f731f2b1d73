import { format } from "node:util";
import type { Logger } from "./logger.ts";

/**
 * Sends what libraries print with `console` into the server's JSON log, one record per call, so
 * that the log holds nothing but JSON lines. Anthropic's SDK, for one, warns about a deprecated
 * model with `console.warn`, past the logger it is given.
 */
export function sendConsoleToLog(logger: Logger): void {
  const to =
    (level: "error" | "warn" | "info" | "debug") =>
    (...args: unknown[]) =>
      logger[level]({ source: "console" }, format(...args));
  console.error = to("error");
  console.warn = to("warn");
  console.info = to("info");
  console.log = to("info");
  console.debug = to("debug");
}
