/** Runs checkBackup on the file named by workerData, off the server's event loop. */
import { parentPort, workerData } from "node:worker_threads";
import { checkBackup } from "./check-backup.ts";

try {
  parentPort!.postMessage({ contents: await checkBackup(workerData as string) });
} catch (error) {
  parentPort!.postMessage({ problem: error instanceof Error ? error.message : String(error) });
}
