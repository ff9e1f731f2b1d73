/**
 * PostgreSQL's backups as deployed: the Kubernetes CronJob's script, read from
 * deploy/kubernetes/base/backup-cronjob.yaml, dumps a private PostgreSQL while a server uses it,
 * and the restore command docs/operations.md gives puts the tokens, the usage ledger and the
 * audit log back as they were at the dump.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { openStore } from "../../server/store/store.ts";
import { startTestServer } from "../../server/test/harness.ts";
import {
  postgresBin,
  startPrivatePostgres,
  type PrivateService,
} from "../../server/test/private-services.ts";
import { repoRoot } from "../../server/test/process.ts";

/** The CronJob container's shell script. */
function cronJobScript(): string {
  const cronJob = parse(
    readFileSync(join(repoRoot, "deploy/kubernetes/base/backup-cronjob.yaml"), "utf8"),
  ) as {
    spec: { jobTemplate: { spec: { template: { spec: { containers: { args: string[] }[] } } } } };
  };
  return cronJob.spec.jobTemplate.spec.template.spec.containers[0]!.args[0]!;
}

/** The restore command of docs/operations.md's PostgreSQL section, for `file`. */
function documentedRestore(file: string): string {
  const docs = readFileSync(join(repoRoot, "docs/operations.md"), "utf8");
  const command = /^pg_restore --clean[^]*?officellm-\S+\.dump$/m.exec(docs)?.[0];
  expect(command, "docs/operations.md: pg_restore --clean … FILE").toBeDefined();
  return command!.replace(/officellm-\S+\.dump$/, file);
}

let service: PrivateService;
let dir: string;

/** Runs `script` with sh, PostgreSQL's programs first on the PATH. */
async function sh(script: string, env: Record<string, string>): Promise<string> {
  const { stdout } = await promisify(execFile)("sh", ["-c", script], {
    env: { ...env, PATH: `${dirname(postgresBin("pg_dump"))}:${process.env.PATH}` },
  });
  return stdout;
}

beforeAll(async () => {
  service = await startPrivatePostgres();
  dir = mkdtempSync(join(tmpdir(), "officellm-pg-backups-"));
});
afterAll(async () => {
  await service?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("PostgreSQL backups", () => {
  it("the CronJob's dump, restored as docs/operations.md says, brings back tokens, ledger and audit rows", async () => {
    const store = await openStore(service.url);
    const server = await startTestServer({ store });
    let user: { id: string; token: string };
    try {
      const admin = await server.token({ scopes: ["admin"] });
      user = await server.token({ scopes: ["llm"] });
      const completion = await server.fetch("/api/v1/completions", {
        method: "POST",
        token: user.token,
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ prompt: "Kept in the backup" }),
      });
      expect(completion.status).toBe(200);
      const patched = await server.fetch(`/api/v1/admin/tokens/${user.id}`, {
        method: "PATCH",
        token: admin.token,
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ rpm: 7 }),
      });
      expect(patched.status).toBe(200);
      await store.usageWriter.flush();

      // While the server runs, as the CronJob does.
      const printed = await sh(cronJobScript().replaceAll("/backups", dir), {
        DATABASE_URL: service.url,
        KEEP_DAYS: "14",
      });
      const dumps = readdirSync(dir);
      expect(dumps).toEqual([expect.stringMatching(/^officellm-\d{8}T\d{6}Z\.dump$/)]);
      expect(printed).toContain(`backup written: ${join(dir, dumps[0]!)}`);

      // After the dump: a token made, the ledger and the audit log lost.
      await server.token({ name: "made after the backup" });
      await sql`delete from usage`.execute(store.db);
      await sql`delete from audit_log`.execute(store.db);
    } finally {
      await server.close();
      await store.close();
    }

    // Every instance stopped, then restored as documented.
    await sh(documentedRestore(join(dir, readdirSync(dir)[0]!)), { DATABASE_URL: service.url });

    const restored = await openStore(service.url);
    try {
      const tokens = await restored.tokens.list();
      expect(tokens.map((token) => token.name).sort()).toEqual(["tester", "tester"]);
      expect(tokens.find((token) => token.id === user.id)?.rpm).toBe(7);
      const ledger = await restored.usage.listForToken(user.id);
      expect(ledger).toHaveLength(1);
      expect(ledger[0]!.status).toBe("ok");
      const audit = await restored.audit.list();
      expect(audit.map((entry) => entry.action)).toContain("token.updated");
    } finally {
      await restored.close();
    }
  });
});
