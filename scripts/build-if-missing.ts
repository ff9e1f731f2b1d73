/** `npm start` builds the add-in first when there is no build yet. */
import { existsSync } from "node:fs";
import { build } from "vite";
import { addinDistDirectory } from "../server/routes/addin.ts";

if (!existsSync(`${addinDistDirectory}/taskpane.html`)) {
  process.stderr.write("officellm: building the add-in (first start)\n");
  await build({
    configFile: new URL("../addin/vite.config.ts", import.meta.url).pathname,
    logLevel: "warn",
  });
}
