import { build } from "vite";

/** The browser tests run against the real build: make it once per test run. */
export default async function setup(): Promise<void> {
  await build({
    configFile: new URL("../vite.config.ts", import.meta.url).pathname,
    logLevel: "warn",
  });
}
