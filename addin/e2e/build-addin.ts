import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    /** The add-in's production build that the browser tests' servers serve. */
    addinDirectory: string;
  }
}

const viteCli = join(
  dirname(createRequire(import.meta.url).resolve("vite/package.json")),
  "bin/vite.js",
);
const viteConfig = fileURLToPath(new URL("../vite.config.ts", import.meta.url));

/**
 * The browser tests run against the real build, made once per test run in a directory of its
 * own, so that `npm start` keeps serving addin/dist as `npm run build` made it. It is a production
 * build, as deployed: vite runs in a child with NODE_ENV=production (vitest sets it to "test",
 * which would make React's development build).
 */
export default async function setup(project: TestProject): Promise<() => void> {
  const outDir = mkdtempSync(join(tmpdir(), "officellm-addin-"));
  const build = spawn(
    process.execPath,
    [viteCli, "build", "--config", viteConfig, "--outDir", outDir, "--logLevel", "warn"],
    { env: { ...process.env, NODE_ENV: "production" }, stdio: ["ignore", "inherit", "inherit"] },
  );
  const code = await new Promise<number | null>((resolve, reject) => {
    build.once("error", reject);
    build.once("close", resolve);
  });
  if (code !== 0) {
    rmSync(outDir, { recursive: true, force: true });
    throw new Error(`building the add-in for the browser tests failed (exit code ${code})`);
  }
  project.provide("addinDirectory", outDir);
  return () => rmSync(outDir, { recursive: true, force: true });
}
