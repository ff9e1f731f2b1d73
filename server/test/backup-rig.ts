import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { systemClock } from "../clock.ts";
import { createLogger } from "../logger.ts";
import { BackupSchedule } from "../store/backup-schedule.ts";
import { openStore, type Store } from "../store/store.ts";
import { LogCapture } from "./harness.ts";

/**
 * A store on an SQLite file of its own with scheduled backups into a directory beside it (a day
 * apart, so only what a test asks for is taken), as a server started with BACKUP_DIR has.
 */
export async function storeWithBackups(
  prefix: string,
): Promise<{ dir: string; store: Store; schedule: BackupSchedule }> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const store = await openStore(`sqlite:${join(dir, "officellm.db")}`);
  const schedule = new BackupSchedule({
    store,
    directory: join(dir, "backups"),
    intervalMs: 86_400_000,
    keep: 7,
    clock: systemClock,
    logger: createLogger({ log: { level: "silent", format: "json" } }, new LogCapture()),
  });
  return { dir, store, schedule };
}
