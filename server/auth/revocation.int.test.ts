/**
 * A token revoked or rotated on the command line, in another process, stops working on a running
 * server process within 1 s, without Redis, on SQLite and (with DATABASE_URL) PostgreSQL, though
 * the server had its row cached: the server checks the store's token change counter before it
 * trusts a cached row (cache/cached-store.ts).
 *
 * The token is asked about again and again while the command runs. A request the server accepted
 * proves the old state lasted at least until that request was sent, so "no request sent later
 * than 1 s after the command's exit was accepted" is the bound, measured in a way a busy machine
 * can only make late answers, never false failures.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { systemClock } from "../clock.ts";
import { openStore, type Store } from "../store/store.ts";
import { backends, type FreshDatabase } from "../test/backends.ts";
import { freePort, NodeChild } from "../test/process.ts";
import { Prober } from "../test/prober.ts";
import { TokenService } from "./token-service.ts";

/** What the issue asks: a change takes effect on every instance within this long. */
const BOUND_MS = 1000;
/** How long a command may take. */
const COMMAND_TIMEOUT_MS = 15_000;

for (const backend of backends.filter((b) => b.enabled)) {
  describe(`a server process on ${backend.dialect}, without Redis, and the command line`, () => {
    let database: FreshDatabase;
    let store: Store;
    let tokens: TokenService;
    let server: NodeChild;
    let url: string;

    beforeAll(async () => {
      database = await backend.fresh();
      store = await openStore(database.url);
      tokens = new TokenService(store, systemClock);
      const port = await freePort();
      server = new NodeChild("server/main.ts", [], {
        PORT: String(port),
        HOST: "127.0.0.1",
        DATABASE_URL: database.url,
        LOG_LEVEL: "info",
        RATE_LIMIT_RPM: "100000",
      });
      await server.waitFor(/OfficeLLM is listening/);
      url = `http://127.0.0.1:${port}`;
    });
    afterAll(async () => {
      await server?.kill();
      await store?.close();
      await database?.cleanup();
    });

    /** A token the server has just accepted, so that it holds the row in its cache. */
    async function cachedToken(name: string) {
      const created = await tokens.create({ name, scopes: ["llm"] });
      const prober = new Prober(url, created.token, { until: 401 });
      await expect.poll(() => prober.probes.length).toBeGreaterThan(0);
      expect(prober.probes[0]!.status).toBe(200);
      return { ...created, prober };
    }

    /** Runs the command line on the server's database; answers its output and when it exited. */
    async function cli(...args: string[]) {
      const child = new NodeChild("server/cli/main.ts", args, { DATABASE_URL: database.url });
      const { code } = await child.exit(COMMAND_TIMEOUT_MS);
      const exitedAt = Date.now();
      expect(code, child.stderr).toBe(0);
      return { output: JSON.parse(child.stdout) as Record<string, unknown>, exitedAt };
    }

    /**
     * Prints the measured delay (the figure the issue asks for; negative: before `since`) and
     * checks the bound. `changedAt`, when known, is when the command wrote the change.
     */
    async function expectRefusedWithinBound(
      what: string,
      prober: Prober,
      since: number,
      changedAt?: number,
    ) {
      const refused = await prober.changed;
      const lastAccepted = prober.lastUnchanged.sentAt - since;
      const written =
        changedAt === undefined
          ? ""
          : `; first refusal ${refused.receivedAt - changedAt} ms after the change was written`;
      console.info(
        `${backend.dialect}: ${what}: last accepted on a request sent ${lastAccepted} ms after, ` +
          `first refusal received ${refused.receivedAt - since} ms after${written} ` +
          `(${prober.probes.length} requests)`,
      );
      expect(lastAccepted).toBeLessThan(BOUND_MS);
    }

    it("refuses a token revoked on the command line within 1 s of the command's exit", async () => {
      const { id, prober } = await cachedToken("revoked");
      const { output, exitedAt } = await cli("token", "revoke", id);
      const revokedAt = Date.parse(String(output.revokedAt));
      await expectRefusedWithinBound(
        "revoke, from the command's exit",
        prober,
        exitedAt,
        revokedAt,
      );
    });

    it("refuses the old secret of a token rotated without grace within 1 s of the command's exit", async () => {
      const { id, prober } = await cachedToken("rotated");
      const { output, exitedAt } = await cli("token", "rotate", id);
      await expectRefusedWithinBound("rotation, from the command's exit", prober, exitedAt);
      const renewed = await fetch(`${url}/api/v1/me`, {
        headers: { authorization: `Bearer ${String(output.token)}` },
      });
      expect(renewed.status).toBe(200);
    });

    it("refuses the old secret of a rotated token within 1 s of the end of its grace", async () => {
      const { id, prober } = await cachedToken("graced");
      const { output } = await cli("token", "rotate", id, "--grace", "1s");
      const graceEnd = Date.parse(String(output.previousSecretValidUntil));
      await expectRefusedWithinBound("rotation, from the end of the grace", prober, graceEnd);
      // The grace was honoured: nothing was refused before it ended.
      expect((await prober.changed).receivedAt).toBeGreaterThanOrEqual(graceEnd);
    });
  });
}
