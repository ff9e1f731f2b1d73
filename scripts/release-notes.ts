/**
 * The notes of a release, taken from CHANGELOG.md (Keep a Changelog): the section of the version
 * that a tag names. The tag must match package.json's version and the section must exist with a
 * date, so that a release is never published with notes of another version or none.
 *
 *   node scripts/release-notes.ts v1.2.0     prints the notes of 1.2.0, or the problem and exits 1
 */
import { readFileSync } from "node:fs";

export class ReleaseNotesError extends Error {
  override name = "ReleaseNotesError";
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** The body of `## [version] - YYYY-MM-DD` in `changelog`, without its heading. */
export function releaseNotes(changelog: string, tag: string, packageVersion: string): string {
  const version = tag.replace(/^v/, "");
  if (!/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(version))
    throw new ReleaseNotesError(`${tag} is not a version tag (vMAJOR.MINOR.PATCH)`);
  if (version !== packageVersion)
    throw new ReleaseNotesError(`${tag} does not match package.json's version ${packageVersion}`);
  const heading = new RegExp(`^## \\[${escape(version)}\\](.*)$`, "m").exec(changelog);
  if (!heading)
    throw new ReleaseNotesError(`CHANGELOG.md has no section "## [${version}] - YYYY-MM-DD"`);
  if (!/^ - \d{4}-\d{2}-\d{2}\s*$/.test(heading[1] ?? ""))
    throw new ReleaseNotesError(`CHANGELOG.md's section of ${version} has no release date`);
  const start = heading.index + heading[0].length;
  const next = changelog.slice(start).search(/^## |^\[[^\]]+\]: /m);
  const notes = changelog.slice(start, next === -1 ? undefined : start + next).trim();
  if (!notes) throw new ReleaseNotesError(`CHANGELOG.md's section of ${version} is empty`);
  return `${notes}\n`;
}

if (import.meta.main) {
  const read = (file: string) => readFileSync(new URL(`../${file}`, import.meta.url), "utf8");
  try {
    const { version } = JSON.parse(read("package.json")) as { version: string };
    process.stdout.write(releaseNotes(read("CHANGELOG.md"), process.argv[2] ?? "", version));
  } catch (error) {
    if (!(error instanceof ReleaseNotesError)) throw error;
    process.stderr.write(`release-notes: ${error.message}\n`);
    process.exitCode = 1;
  }
}
