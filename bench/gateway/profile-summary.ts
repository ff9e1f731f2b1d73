/**
 * Summarises a V8 CPU profile (`node --cpu-prof`) by where the time went: self time by package
 * or file, and the functions with the most self time. Used by `npm run bench:gateway --
 * --profile`; also runs alone: `node bench/gateway/profile-summary.ts FILE.cpuprofile`.
 */
import { readFileSync } from "node:fs";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
}

/** The package a frame belongs to, the project file, a `node:` module, or the VM's own work. */
function owner(frame: ProfileNode["callFrame"], root: string): string {
  const inPackage = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(frame.url);
  if (inPackage) return inPackage[1]!;
  if (frame.url.startsWith("node:")) return frame.url;
  if (frame.url) return frame.url.replace(`file://${root}`, "");
  // The VM's own entries are already named in parentheses: "(garbage collector)", "(idle)".
  return frame.functionName || "(native)";
}

function top(counts: Map<string, number>, total: number, limit: number): string[] {
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([name, count]) => `  ${((100 * count) / total).toFixed(1).padStart(5)}%  ${name}`);
}

export function summarizeProfile(file: string, root: string, limit = 20): string {
  const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const byOwner = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let idle = 0;
  for (const id of profile.samples) {
    const { callFrame } = nodes.get(id)!;
    const where = owner(callFrame, root);
    // Waiting for work is not work: shares are of the busy samples.
    if (where === "(idle)") {
      idle++;
      continue;
    }
    byOwner.set(where, (byOwner.get(where) ?? 0) + 1);
    const name = callFrame.url
      ? `${callFrame.functionName || "(anonymous)"}  ${where}:${callFrame.lineNumber + 1}`
      : where;
    byFunction.set(name, (byFunction.get(name) ?? 0) + 1);
  }
  const total = profile.samples.length - idle;
  return [
    `Self time by package or file (${total} busy samples; idle ${((100 * idle) / profile.samples.length).toFixed(0)}% of the time)`,
    ...top(byOwner, total, limit),
    "Self time by function",
    ...top(byFunction, total, limit),
  ].join("\n");
}

if (import.meta.main) {
  const file = process.argv[2];
  if (!file) throw new Error("usage: node bench/gateway/profile-summary.ts FILE.cpuprofile");
  console.log(summarizeProfile(file, new URL("../../", import.meta.url).pathname));
}
