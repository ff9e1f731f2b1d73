import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { BUILD_INPUTS_FILE } from "../addin/build-inputs-plugin.ts";

/**
 * Why the add-in's build in `distDirectory` must be made again, or undefined when it is up to
 * date: there is none, it does not list its sources, or one of them (or of the files copied from
 * addin/public) changed after it was made, as a `git pull` does.
 */
export function staleAddinBuild(repoRoot: string, distDirectory: string): string | undefined {
  const page = join(distDirectory, "taskpane.html");
  if (!existsSync(page)) return "there is no build yet";
  const listed = join(distDirectory, BUILD_INPUTS_FILE);
  if (!existsSync(listed)) return "the build does not list its sources";
  const builtAt = statSync(page).mtimeMs;
  const sources = [
    ...(JSON.parse(readFileSync(listed, "utf8")) as string[]),
    ...filesUnder(repoRoot, join(repoRoot, "addin", "public")),
  ];
  for (const file of sources) {
    const stat = statSync(join(repoRoot, file), { throwIfNoEntry: false });
    if (!stat) return `${file} is gone`;
    if (stat.mtimeMs > builtAt) return `${file} changed after the build`;
  }
  return undefined;
}

function filesUnder(repoRoot: string, directory: string): string[] {
  if (!existsSync(directory)) return [];
  return readdirSync(directory, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(repoRoot, join(entry.parentPath, entry.name)));
}
