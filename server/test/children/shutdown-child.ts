/**
 * A server that stops on SIGTERM through stopGracefullyOnSignals, with a `release` that fails as
 * a store that cannot close would. Run by server/shutdown.int.test.ts.
 */
import { createServer } from "node:http";
import { createLogger } from "../../logger.ts";
import { stopGracefullyOnSignals } from "../../shutdown.ts";

const logger = createLogger({ log: { level: "info", format: "json" } });
const server = createServer((_req, res) => res.end("ok"));
server.listen(0, "127.0.0.1", () => logger.info("listening"));
stopGracefullyOnSignals(server, 5_000, logger, () =>
  Promise.reject(new Error("the store would not close")),
);
