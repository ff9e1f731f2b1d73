/**
 * The real production build lists the files it was made from, the add-in's and the server's it
 * imports, so that `npm start` rebuilds it once any of them changes (scripts/addin-build.ts).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, inject, it } from "vitest";
import { BUILD_INPUTS_FILE } from "../build-inputs-plugin.ts";
import { staleAddinBuild } from "../../scripts/addin-build.ts";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));

describe("the add-in's build", () => {
  it("lists its sources, and is up to date with them", () => {
    const directory = inject("addinDirectory");
    const listed = JSON.parse(readFileSync(join(directory, BUILD_INPUTS_FILE), "utf8")) as string[];
    expect(listed).toEqual(
      expect.arrayContaining([
        "addin/taskpane.html",
        "addin/src/main.tsx",
        "addin/src/functions/functions.ts",
        "addin/vite.config.ts",
        "package-lock.json",
        "server/llm/token-estimate.ts",
      ]),
    );
    expect(listed.every((file) => !file.startsWith("/") && !file.includes("node_modules"))).toBe(
      true,
    );
    expect(staleAddinBuild(repoRoot, directory)).toBeUndefined();
  });
});
