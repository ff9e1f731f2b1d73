import { isAbsolute, relative } from "node:path";
import type { Plugin } from "vite";

/** Where a build lists the files it was made from (a dotfile: the server does not serve it). */
export const BUILD_INPUTS_FILE = ".build-inputs.json";

/**
 * Lists, beside the build, every source file it was made from (the add-in's modules and the
 * server's that it imports), relative to `repoRoot`, and `extraFiles` (the build's own
 * configuration), so that `npm start` can tell a build older than its sources
 * (scripts/addin-build.ts). Packages count through package-lock.json, one of `extraFiles`.
 */
export function recordBuildInputs(repoRoot: string, extraFiles: string[]): Plugin {
  return {
    name: "officellm-build-inputs",
    apply: "build",
    generateBundle() {
      const modules = [...this.getModuleIds()]
        .map((id) => id.split("?")[0]!)
        .filter((id) => isAbsolute(id) && !id.includes("/node_modules/"));
      const files = [...new Set([...modules, ...extraFiles])]
        .map((file) => relative(repoRoot, file))
        .sort();
      this.emitFile({
        type: "asset",
        fileName: BUILD_INPUTS_FILE,
        source: `${JSON.stringify(files, null, 1)}\n`,
      });
    },
  };
}
