import { once } from "node:events";
import {
  copyFileSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TokenService } from "../auth/token-service.ts";
import { systemClock } from "../clock.ts";
import { loadConfig } from "../config.ts";
import { createLogger } from "../logger.ts";
import { LogCapture, startTestServer, TestClock, type TestServer } from "../test/harness.ts";
import { runNode } from "../test/process.ts";
import { BackupSchedule, type Backup } from "./backup-schedule.ts";
import { openStore, type Store } from "./store.ts";

let dir: string;
let databaseFile: string;
let backupDir: string;
let store: Store;
let server: TestServer;
let serverClosed = false;
let schedule: BackupSchedule;
/** What the first backup must hold: a token made through the admin API, with its audit row. */
let adminId: string;
let adminToken: string;
let createdId: string;

const restore = (file: string) =>
  runNode("server/cli/main.ts", ["restore", file], { DATABASE_URL: `sqlite:${databaseFile}` });

function nextBackup(): Promise<Backup> {
  return once(schedule, "backup").then(([backup]) => backup as Backup);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "officellm-backups-"));
  databaseFile = join(dir, "data", "officellm.db");
  backupDir = join(dir, "backups");
  store = await openStore(`sqlite:${databaseFile}`);
  schedule = new BackupSchedule({
    store,
    directory: backupDir,
    intervalMs: 20,
    keep: 2,
    clock: systemClock,
    logger: createLogger({ log: { level: "silent", format: "json" } }, new LogCapture()),
  });
  server = await startTestServer({
    store,
    backups: schedule,
    clock: new TestClock(new Date().toISOString()),
  });

  const admin = await server.token({ name: "operator", scopes: ["admin", "llm"] });
  adminId = admin.id;
  adminToken = admin.token;
  const created = await server.fetch("/api/v1/admin/tokens", {
    method: "POST",
    token: admin.token,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name: "alice", scopes: ["llm"] }),
  });
  expect(created.status).toBe(201);
  createdId = ((await created.json()) as { id: string }).id;
  // A paid call: its row is in the ledger before the answer is sent.
  const completion = await server.fetch("/api/v1/completions", {
    method: "POST",
    token: admin.token,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ prompt: "What is in the ledger?", cache: false }),
  });
  expect(completion.status).toBe(200);
});

afterAll(async () => {
  await schedule?.stop();
  if (!serverClosed) {
    await server?.close();
    await store?.close();
  }
  rmSync(dir, { recursive: true, force: true });
});

describe("scheduled backups", () => {
  let first: Backup;

  it("reports no backup on /health before the first", async () => {
    const health = (await (await server.fetch("/health")).json()) as Record<string, unknown>;
    expect(health.lastBackupAt).toBeNull();
  });

  it("take a checked copy at start while the server serves, and say when on /health", async () => {
    const taken = nextBackup();
    schedule.start();
    first = await taken;
    expect(first.path).toMatch(/officellm-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z\.db$/);
    // The operator's token and alice's, each with its token.created row.
    expect(first.contents).toMatchObject({ tokens: 2, auditLog: 2 });
    expect(first.contents.usage).toBeGreaterThanOrEqual(1);
    // The schedule may already have taken the next one.
    const reported = ((await (await server.fetch("/health")).json()) as { lastBackupAt: string })
      .lastBackupAt;
    expect(Date.parse(reported)).toBeGreaterThanOrEqual(first.at.getTime());
    // And to Prometheus, as the time the backup alert watches.
    const scraped = await (await server.fetch("/metrics", { token: adminToken })).text();
    const seconds = Number(
      /^officellm_backup_last_success_timestamp_seconds (\S+)$/m.exec(scraped)?.[1],
    );
    expect(seconds * 1000).toBeGreaterThanOrEqual(first.at.getTime() - 1);
  });

  it("keep BACKUP_KEEP good backups, the newest ones, and no partial file", async () => {
    const seen: Backup[] = [];
    while (seen.length < 3) seen.push(await nextBackup());
    await schedule.stop();
    const names = readdirSync(backupDir).sort();
    expect(names).toHaveLength(2);
    expect(names.every((name) => name.endsWith(".db"))).toBe(true);
    const newest = seen.at(-1)!;
    expect(join(backupDir, names.at(-1)!)).toBe(newest.path);
    expect(schedule.lastGoodAt()).toEqual(newest.at);
  });

  it("know the last good backup again after a restart, from the directory", () => {
    const again = new BackupSchedule({
      store,
      directory: backupDir,
      intervalMs: 60_000,
      keep: 2,
      clock: systemClock,
      logger: createLogger({ log: { level: "silent", format: "json" } }, new LogCapture()),
    });
    expect(again.lastGoodAt()).toEqual(schedule.lastGoodAt());
  });

  it("report a backup that could not be written, and keep the last good time", async () => {
    const failing = mkdtempSync(join(tmpdir(), "officellm-backups-failing-"));
    const broken = new BackupSchedule({
      store,
      directory: failing,
      intervalMs: 60_000,
      keep: 2,
      clock: systemClock,
      logger: createLogger({ log: { level: "silent", format: "json" } }, new LogCapture()),
    });
    // The directory is gone and a file has its name: nothing can be written there.
    rmSync(failing, { recursive: true });
    writeFileSync(failing, "");
    try {
      const failure = once(broken, "failure");
      await expect(broken.backupNow()).rejects.toThrow();
      await failure;
      expect(broken.lastGoodAt()).toBeUndefined();
    } finally {
      rmSync(failing, { force: true });
    }
  });
});

describe("backups taken on demand (Back up now)", () => {
  const scheduled = (names: string[]) => names.filter((name) => !name.includes("on-demand"));
  const onDemand = (names: string[]) => names.filter((name) => name.includes("on-demand"));
  let ownDir: string;
  const scheduleIn = (intervalMs: number) =>
    new BackupSchedule({
      store,
      directory: ownDir,
      intervalMs,
      keep: 2,
      clock: systemClock,
      logger: createLogger({ log: { level: "silent", format: "json" } }, new LogCapture()),
    });

  beforeAll(() => {
    ownDir = join(dir, "on-demand");
  });

  it("never push the scheduled ones out of BACKUP_KEEP, and keep the newest 3 of their own", async () => {
    // Two scheduled backups, BACKUP_KEEP's worth.
    const ticking = scheduleIn(20);
    const taken: Backup[] = [];
    ticking.on("backup", (backup: Backup) => taken.push(backup));
    ticking.start();
    while (taken.length < 2) await once(ticking, "backup");
    await ticking.stop();
    const scheduledBefore = scheduled(readdirSync(ownDir)).sort();
    expect(scheduledBefore).toHaveLength(2);

    // An admin clicks Back up now five times.
    const clicks = scheduleIn(86_400_000);
    const asked: Backup[] = [];
    for (let click = 0; click < 5; click++) asked.push(await clicks.backupNow());
    const names = readdirSync(ownDir).sort();
    expect(scheduled(names)).toEqual(scheduledBefore);
    expect(asked.every((backup) => backup.kind === "on-demand")).toBe(true);
    expect(asked.at(-1)!.path).toMatch(
      /officellm-on-demand-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z\.db$/,
    );
    expect(onDemand(names).map((name) => join(ownDir, name))).toEqual(
      asked.slice(-3).map((backup) => backup.path),
    );
    // The last good backup counts both kinds, and is known again after a restart.
    expect(clicks.lastGoodAt()).toEqual(asked.at(-1)!.at);
    expect(scheduleIn(86_400_000).lastGoodAt()).toEqual(asked.at(-1)!.at);

    // The next scheduled backup replaces the oldest scheduled one, and leaves those on demand.
    const next = scheduleIn(86_400_000);
    const tick = once(next, "backup").then(([backup]) => backup as Backup);
    next.start();
    const fresh = await tick;
    await next.stop();
    expect(fresh.kind).toBe("scheduled");
    const after = readdirSync(ownDir).sort();
    expect(scheduled(after).map((name) => join(ownDir, name))).toEqual([
      join(ownDir, scheduledBefore[1]!),
      fresh.path,
    ]);
    expect(onDemand(after)).toEqual(onDemand(names));
  });
});

describe("npm run cli -- restore FILE", () => {
  let backupFile: string;

  beforeAll(async () => {
    // A backup taken on demand restores like a scheduled one.
    const taken = await schedule.backupNow();
    expect(taken.path).toMatch(/officellm-on-demand-[^/]+\.db$/);
    backupFile = join(dir, "kept.db");
    copyFileSync(taken.path, backupFile);
  });

  it("refuses while a server has the database open, and leaves it as it is", async () => {
    const before = readFileSync(databaseFile);
    const result = await restore(backupFile);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/is in use .*stop it, then restore/);
    expect(readFileSync(databaseFile).equals(before)).toBe(true);
  });

  it("refuses a file that is not a whole OfficeLLM database", async () => {
    await server.close();
    await store.close();
    serverClosed = true;
    const damaged = join(dir, "damaged.db");
    const bytes = readFileSync(backupFile);
    writeFileSync(damaged, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const notOurs = join(dir, "notes.db");
    writeFileSync(notOurs, "not a database at all, but long enough to look like a file header");
    for (const file of [damaged, notOurs, join(dir, "missing.db")]) {
      const result = await restore(file);
      expect(result.code, file).toBe(1);
      expect(result.stderr).toMatch(/damaged|cannot be opened|not an OfficeLLM database/);
    }
  });

  it("puts the backup's tokens, ledger and audit rows back, keeping the replaced file", async () => {
    // A change after the backup, which restoring takes away.
    const later = await openStore(`sqlite:${databaseFile}`);
    const laterId = (
      await new TokenService(later, systemClock).create({ name: "later", scopes: ["llm"] })
    ).id;
    await later.close();

    const result = await restore(backupFile);
    expect(result.code, result.stderr).toBe(0);
    const restored = JSON.parse(result.stdout) as {
      database: string;
      previous: string;
      contents: { tokens: number };
    };
    expect(restored.database).toBe(databaseFile);
    expect(restored.previous).toMatch(/officellm\.db\.before-restore-/);

    const back = await openStore(`sqlite:${databaseFile}`);
    try {
      const ids = (await back.db.selectFrom("tokens").select("id").execute()).map((row) => row.id);
      expect(ids.sort()).toEqual([adminId, createdId].sort());
      const usage = await back.db.selectFrom("usage").selectAll().execute();
      expect(usage.some((row) => row.token_id === adminId)).toBe(true);
      const audit = await back.audit.list();
      expect(audit).toContainEqual(
        expect.objectContaining({
          action: "token.created",
          actorTokenId: adminId,
          subject: createdId,
        }),
      );
    } finally {
      await back.close();
    }
    const previous = await openStore(`sqlite:${restored.previous}`);
    try {
      const ids = (await previous.db.selectFrom("tokens").select("id").execute()).map((r) => r.id);
      expect(ids).toContain(laterId);
    } finally {
      await previous.close();
    }
  });

  it("points at pg_restore for PostgreSQL", async () => {
    const result = await runNode("server/cli/main.ts", ["restore", join(dir, "kept.db")], {
      DATABASE_URL: "postgres://nobody@127.0.0.1:1/none",
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/pg_restore/);
  });
});

describe("backup settings", () => {
  it("are off by default, and read BACKUP_DIR, BACKUP_INTERVAL and BACKUP_KEEP", () => {
    expect(loadConfig({}).backup).toBeUndefined();
    expect(
      loadConfig({ BACKUP_DIR: "/var/backups/officellm", BACKUP_INTERVAL: "6h", BACKUP_KEEP: "3" })
        .backup,
    ).toEqual({ directory: "/var/backups/officellm", intervalMs: 6 * 3_600_000, keep: 3 });
    expect(loadConfig({ BACKUP_DIR: "b" }).backup).toEqual({
      directory: "b",
      intervalMs: 86_400_000,
      keep: 7,
    });
  });

  it("refuse an interval under a minute, and BACKUP_DIR with PostgreSQL", () => {
    expect(() => loadConfig({ BACKUP_DIR: "b", BACKUP_INTERVAL: "30s" })).toThrow(
      /BACKUP_INTERVAL must be a duration of at least 1m/,
    );
    expect(() => loadConfig({ BACKUP_DIR: "b", BACKUP_INTERVAL: "often" })).toThrow(
      /BACKUP_INTERVAL/,
    );
    expect(() =>
      loadConfig({ BACKUP_DIR: "b", DATABASE_URL: "postgres://u@127.0.0.1:5432/db" }),
    ).toThrow(/BACKUP_DIR backs up the embedded SQLite database; with PostgreSQL use pg_dump/);
  });
});
