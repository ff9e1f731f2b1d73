/** `npm start` builds the add-in first when there is no build yet, or its sources changed since. */
import { fileURLToPath } from "node:url";
import { build } from "vite";
import { addinDistDirectory } from "../server/routes/addin.ts";
import { staleAddinBuild } from "./addin-build.ts";

const repoRoot = fileURLToPath(new URL("..", import.meta.url));
const reason = staleAddinBuild(repoRoot, addinDistDirectory);
if (reason) {
  process.stderr.write(`officellm: building the add-in (${reason})\n`);
  await build({
    configFile: new URL("../addin/vite.config.ts", import.meta.url).pathname,
    logLevel: "warn",
  });
}
