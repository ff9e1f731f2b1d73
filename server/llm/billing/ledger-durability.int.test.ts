import { sql, type Kysely } from "kysely";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TokenService } from "../../auth/token-service.ts";
import { systemClock } from "../../clock.ts";
import { connect, type Dialect } from "../../store/database.ts";
import type { Database } from "../../store/schema.ts";
import { openStore } from "../../store/store.ts";
import { backends, type FreshDatabase } from "../../test/backends.ts";
import { freePort, NodeChild } from "../../test/process.ts";

/**
 * What the usage ledger promises (docs/operations.md, "Durability"): an answer leaves the server
 * only once its ledger row is committed, so a crash of the process at any moment keeps a row for
 * every request that was answered.
 */

let database: FreshDatabase | undefined;
const children: NodeChild[] = [];

afterEach(async () => {
  await Promise.all(children.splice(0).map((child) => child.kill()));
  await database?.cleanup();
  database = undefined;
});

async function createToken(databaseUrl: string): Promise<string> {
  const store = await openStore(databaseUrl);
  try {
    const tokens = new TokenService(store, systemClock);
    return (await tokens.create({ name: "durability", scopes: ["llm"], rpm: 1_000_000 })).token;
  } finally {
    await store.close();
  }
}

/** The real server on the test's database, answering with the demo provider. */
async function startServer(databaseUrl: string): Promise<{ child: NodeChild; url: string }> {
  const port = await freePort();
  const child = new NodeChild("server/main.ts", [], {
    PORT: String(port),
    HOST: "127.0.0.1",
    DATABASE_URL: databaseUrl,
    LOG_LEVEL: "info",
  });
  children.push(child);
  await child.waitFor(/OfficeLLM is listening/);
  return { child, url: `http://127.0.0.1:${port}` };
}

function complete(url: string, token: string, prompt: string): Promise<Response> {
  return fetch(`${url}/api/v1/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ prompt, cache: false }),
  });
}

/** The ledger's rows, read through a connection of the test's own. */
async function ledgerRows(databaseUrl: string): Promise<{ request_id: string; status: string }[]> {
  const store = await openStore(databaseUrl);
  try {
    return await store.db.selectFrom("usage").select(["request_id", "status"]).execute();
  } finally {
    await store.close();
  }
}

describe.each(backends.filter((backend) => backend.enabled))(
  "ledger durability on $dialect",
  (backend) => {
    let databaseUrl: string;
    beforeEach(async () => {
      database = await backend.fresh();
      databaseUrl = database.url;
    });

    it("after kill -9 under load and a restart, every answered request has its ledger row", async () => {
      const token = await createToken(databaseUrl);
      const { child, url } = await startServer(databaseUrl);

      const total = 200;
      const concurrency = 20;
      const killAfter = 60;
      const answered: string[] = [];
      const otherStatuses: number[] = [];
      let next = 0;
      // Each caller sends its next request as soon as its last one ends, answered or cut off.
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next < total) {
            const prompt = `Durability check, request ${next++}`;
            let response: Response;
            let body: { text?: string };
            try {
              response = await complete(url, token, prompt);
              body = (await response.json()) as { text?: string };
            } catch {
              continue; // cut off by the kill: not answered
            }
            if (response.status !== 200) {
              otherStatuses.push(response.status);
              continue;
            }
            expect(body.text).toContain(prompt);
            answered.push(response.headers.get("x-request-id")!);
            // Mid-load, with other calls in flight and rows being committed.
            if (answered.length === killAfter) child.child.kill("SIGKILL");
          }
        }),
      );
      const exit = await child.exited;
      expect(exit.signal).toBe("SIGKILL");
      // The kill came mid-load: some requests were still unanswered.
      expect(answered.length).toBeGreaterThanOrEqual(killAfter);
      expect(answered.length).toBeLessThan(total);
      expect(otherStatuses).toEqual([]);

      // The restarted server recovers the database and serves (and records) again.
      const restarted = await startServer(databaseUrl);
      const after = await complete(restarted.url, token, "After the restart");
      expect(after.status).toBe(200);
      answered.push(after.headers.get("x-request-id")!);
      await after.arrayBuffer();

      const rows = new Map(
        (await ledgerRows(databaseUrl)).map((row) => [row.request_id, row.status]),
      );
      const missing = answered.filter((requestId) => rows.get(requestId) !== "ok");
      expect(missing).toEqual([]);
    }, 120_000);

    it("gives no answer whose ledger row could not be committed", async () => {
      const token = await createToken(databaseUrl);
      const { url } = await startServer(databaseUrl);
      const store = await openStore(databaseUrl);
      try {
        // With its row refused, the answer (which the demo provider has) must not go out.
        await refuseUsageRows(store.db, backend.dialect);
        const refused = await complete(url, token, "Not recorded, not answered");
        const body = (await refused.json()) as { text?: string; error?: { requestId: string } };
        expect(refused.status).toBeGreaterThanOrEqual(500);
        expect(body.text).toBeUndefined();
        expect(body.error?.requestId).toBe(refused.headers.get("x-request-id"));
        expect(await ledgerRows(databaseUrl)).toEqual([]);
      } finally {
        await store.close();
      }
    });
  },
);

/** Makes the database refuse every new ledger row, as a full disk or a failing database would. */
async function refuseUsageRows(db: Kysely<Database>, dialect: Dialect): Promise<void> {
  if (dialect === "sqlite") {
    await sql`create trigger refuse_usage before insert on usage
      begin select raise(abort, 'usage rows refused'); end`.execute(db);
  } else {
    await sql`create function refuse_usage() returns trigger language plpgsql
      as $$ begin raise exception 'usage rows refused'; end $$`.execute(db);
    await sql`create trigger refuse_usage before insert on usage
      for each statement execute function refuse_usage()`.execute(db);
  }
}

describe("the embedded database", () => {
  it("syncs its write-ahead log to disk at each commit (WAL, synchronous FULL)", async () => {
    database = await backends.find((backend) => backend.dialect === "sqlite")!.fresh();
    const { db, sqliteFile } = connect(database.url);
    try {
      expect(sqliteFile!.pragma("journal_mode", { simple: true })).toBe("wal");
      // 2 is FULL: NORMAL (1) may lose the last commits on power loss.
      expect(sqliteFile!.pragma("synchronous", { simple: true })).toBe(2);
    } finally {
      await db.destroy();
    }
  });
});
