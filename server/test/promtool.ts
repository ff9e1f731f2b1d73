import { spawnSync } from "node:child_process";
import { repoRoot } from "./process.ts";

/**
 * Runs Prometheus' `promtool` (Debian's `prometheus` package; .ci/run installs it) from the
 * repository's root, with `input` on its standard input. Fails with how to get it when missing.
 */
export function promtool(
  args: string[],
  input?: string,
): { status: number | null; output: string } {
  const result = spawnSync("promtool", args, { cwd: repoRoot, input, encoding: "utf8" });
  if ((result.error as NodeJS.ErrnoException | undefined)?.code === "ENOENT") {
    throw new Error(
      "promtool is missing: install it with `apt-get install -y prometheus` (Debian's package " +
        "brings it; .ci/run installs it), then run this test again",
    );
  }
  if (result.error) throw result.error;
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}
