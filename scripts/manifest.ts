/**
 * Writes the add-in manifest for a deployment: the committed manifest.xml with the deployment's
 * https:// base URL in every URL.
 *
 *   npm run manifest -- --url https://officellm.example.com [--out FILE]
 *
 * FILE defaults to officellm-manifest.xml; `--out -` writes to standard output. A relative FILE
 * is taken from the directory npm was run in.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import {
  manifestBaseUrl,
  manifestFile,
  ManifestUrlError,
  rewriteManifest,
} from "../server/addin/manifest.ts";

const usage = `Usage: npm run manifest -- --url https://officellm.example.com [--out FILE]

Writes the OfficeLLM add-in manifest for the deployment at --url (https:// only; a path prefix
is kept) to FILE (default officellm-manifest.xml; "-" for standard output).
`;

function fail(message: string): never {
  process.stderr.write(`officellm manifest: ${message}\n\n${usage}`);
  process.exit(2);
}

let options: { url?: string; out?: string; help?: boolean };
try {
  options = parseArgs({
    options: {
      url: { type: "string" },
      out: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  }).values;
} catch (error) {
  fail(error instanceof Error ? error.message : String(error));
}

if (options.help) {
  process.stdout.write(usage);
  process.exit(0);
}
if (!options.url) fail("--url is required");

let baseUrl: string;
try {
  baseUrl = manifestBaseUrl(options.url);
} catch (error) {
  if (error instanceof ManifestUrlError) fail(`--url ${error.message}`);
  throw error;
}

const manifest = rewriteManifest(readFileSync(manifestFile, "utf8"), baseUrl);
const out = options.out ?? "officellm-manifest.xml";
if (out === "-") {
  process.stdout.write(manifest);
} else {
  // npm runs scripts from the package's root; INIT_CWD is where the user ran npm.
  const file = resolve(process.env.INIT_CWD ?? process.cwd(), out);
  writeFileSync(file, manifest);
  process.stderr.write(`officellm manifest: wrote ${file} for ${baseUrl}\n`);
}
