/**
 * Copies the production dependencies of the lockfile from SRC/node_modules to DEST/node_modules:
 * the packages `npm ci --omit=dev` would install from the same lockfile, taken from an existing
 * full install instead of the registry. The container-layout test uses it off CI, where the
 * network may be slow or absent (scripts/container-layout.sh, OFFICELLM_DEPENDENCIES=copy).
 *
 *   node scripts/copy-production-dependencies.ts SRC DEST
 */
import { cpSync, existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

interface LockedPackage {
  dev?: boolean;
}

const [src, dest] = process.argv.slice(2);
if (!src || !dest) throw new Error("usage: copy-production-dependencies.ts SRC DEST");

const lock = JSON.parse(readFileSync(join(src, "package-lock.json"), "utf8")) as {
  packages: Record<string, LockedPackage>;
};
let copied = 0;
for (const [path, locked] of Object.entries(lock.packages)) {
  // Top-level packages only: each brings its nested node_modules, which are its own dependencies.
  // Optional packages for other platforms are in the lockfile but not installed.
  if (!/^node_modules\/(@[^/]+\/)?[^/]+$/.test(path) || locked.dev) continue;
  if (!existsSync(join(src, path))) continue;
  cpSync(join(src, path), join(dest, path), { recursive: true, verbatimSymlinks: true });
  copied++;
}
process.stdout.write(`copied ${copied} production packages\n`);
