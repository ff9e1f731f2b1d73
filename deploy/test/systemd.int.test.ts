/**
 * deploy/systemd/officellm.service: a hardened unit for a plain VM. Read for the points the
 * deployment guide promises, and, where systemd-analyze is installed, verified by systemd itself
 * and scored by its security analysis.
 */
import { execFile, execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../../server/test/process.ts";

const unitPath = join(repoRoot, "deploy/systemd/officellm.service");
const unit = readFileSync(unitPath, "utf8");

/** Each key's values in the order given (a key may repeat, as Environment= does). */
function settings(): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const line of unit.split("\n")) {
    const match = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (match) map.set(match[1]!, [...(map.get(match[1]!) ?? []), match[2]!]);
  }
  return map;
}

function hasSystemdAnalyze(): boolean {
  try {
    execFileSync("systemd-analyze", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

describe("officellm.service", () => {
  const unitSettings = settings();
  const one = (key: string) => unitSettings.get(key)?.at(-1);

  it("runs as a dedicated user from an environment file, restarting on failure", () => {
    expect(one("User")).toBe("officellm");
    expect(one("Group")).toBe("officellm");
    expect(one("EnvironmentFile")).toBe("/etc/officellm/officellm.env");
    expect(one("Restart")).toBe("on-failure");
    expect(one("ExecStart")).toBe("/bin/sh scripts/serve.sh");
    expect(one("KillSignal")).toBe("SIGTERM");
    // The drain (SHUTDOWN_TIMEOUT_MS, 10 s by default) fits before systemd kills.
    expect(Number(one("TimeoutStopSec"))).toBeGreaterThan(10);
    expect(unitSettings.get("Environment")).toContain(
      "DATABASE_URL=sqlite:/var/lib/officellm/officellm.db",
    );
    expect(one("StateDirectory")).toBe("officellm");
  });

  it("is hardened", () => {
    for (const [key, value] of Object.entries({
      NoNewPrivileges: "yes",
      ProtectSystem: "strict",
      ProtectHome: "yes",
      PrivateTmp: "yes",
      PrivateDevices: "yes",
      RestrictSUIDSGID: "yes",
      CapabilityBoundingSet: "",
      SystemCallArchitectures: "native",
    })) {
      expect(one(key), key).toBe(value);
    }
    // V8 compiles code at run time: this would stop Node at start.
    expect(unitSettings.has("MemoryDenyWriteExecute")).toBe(false);
  });

  it.runIf(hasSystemdAnalyze())(
    "passes systemd-analyze verify, and its security analysis rates it OK",
    async () => {
      const run = promisify(execFile);
      const verify = await run("systemd-analyze", ["verify", unitPath]);
      expect(verify.stderr).not.toMatch(/unknown|invalid|ignoring/i);
      const { stdout } = await run("systemd-analyze", ["security", "--offline=yes", unitPath]);
      const exposure = Number(
        /Overall exposure level for officellm\.service: ([\d.]+)/.exec(stdout)?.[1],
      );
      // systemd's scale runs from 0 (locked down) to 10 (exposed); below 2 it says "OK".
      expect(exposure).toBeLessThan(2);
    },
  );
});
