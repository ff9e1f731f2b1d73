import type { Server } from "node:http";
import type { Logger } from "./logger.ts";

/**
 * On SIGTERM or SIGINT: stop accepting connections, let requests in flight finish (answering
 * them with `Connection: close` so keep-alive clients let go), close what `release` closes,
 * and exit 0 (1 when `release` fails, after logging why). Connections still busy after `timeoutMs` are cut.
 */
export function stopGracefullyOnSignals(
  server: Server,
  timeoutMs: number,
  logger: Logger,
  release: () => Promise<void>,
): void {
  let stopping = false;
  server.on("request", (_req, res) => {
    if (stopping) res.setHeader("connection", "close");
  });
  // Whatever `release` does, the log is flushed and the process exits: 1 if it failed.
  const finish = async () => {
    let code = 0;
    try {
      await release();
    } catch (error) {
      code = 1;
      logger.error({ err: error }, "stopping: could not release resources");
    }
    logger.info("stopped");
    logger.flush(() => process.exit(code));
  };
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "stopping: no new connections, draining requests in flight");
    const deadline = setTimeout(() => {
      logger.warn({ timeoutMs }, "drain timed out; closing remaining connections");
      server.closeAllConnections();
    }, timeoutMs);
    deadline.unref();
    server.close(() => {
      clearTimeout(deadline);
      void finish();
    });
    server.closeIdleConnections();
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}
