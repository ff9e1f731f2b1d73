/**
 * Child process: the floor for any Node proxy — a bare node:http server that forwards each
 * request to the upstream over keep-alive connections and pipes the answer back.
 */
import { Agent, createServer, request } from "node:http";
import { LISTEN_BACKLOG } from "../../server/http/server.ts";

const upstream = new URL(process.env.UPSTREAM_URL!);
const agent = new Agent({ keepAlive: true, maxSockets: 256 });

const server = createServer({ keepAlive: true, noDelay: true }, (req, res) => {
  const forward = request(
    {
      host: upstream.hostname,
      port: upstream.port,
      method: req.method,
      path: req.url,
      headers: req.headers,
      agent,
    },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  forward.on("error", () => res.destroy());
  req.pipe(forward);
});
server.listen({ port: 0, host: "127.0.0.1", backlog: LISTEN_BACKLOG }, () => {
  const address = server.address() as { port: number };
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${address.port}` })}\n`);
});
process.on("SIGTERM", () => process.exit(0));
