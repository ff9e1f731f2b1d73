/**
 * Writes the add-in manifest for a deployment with its https:// base URL in every URL: the
 * committed manifest.xml (`--format xml`, the default) or the unified manifest for Microsoft 365
 * (`--format json`), as GET /manifest.xml and GET /manifest.json serve them.
 *
 *   npm run manifest -- --url https://officellm.example.com [--format xml|json] [--out FILE]
 *   npm run manifest -- --development     rewrites the committed manifest.xml from addin-facts.ts
 *
 * FILE defaults to officellm-manifest.xml or manifest.json; `--out -` writes to standard output.
 * A relative FILE is taken from the directory npm was run in.
 */
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import {
  manifestBaseUrl,
  manifestFile,
  ManifestUrlError,
  rewriteManifest,
} from "../server/addin/manifest.ts";
import { unifiedManifest } from "../server/addin/unified-manifest.ts";
import { developmentManifest } from "../server/addin/xml-manifest.ts";

const usage = `Usage: npm run manifest -- --url https://officellm.example.com [--format xml|json] [--out FILE]

Writes the OfficeLLM add-in manifest for the deployment at --url (https:// only; a path prefix
is kept) to FILE ("-" for standard output): the XML manifest (--format xml, the default; FILE
defaults to officellm-manifest.xml) or the unified manifest for Microsoft 365 (--format json;
FILE defaults to manifest.json).

       npm run manifest -- --development

Rewrites the committed development manifest, manifest.xml (every URL on https://localhost:3000),
from server/addin/addin-facts.ts, the source of both manifests.
`;

/** Each format: its default file and the manifest for a checked base URL. */
const formats = {
  xml: {
    file: "officellm-manifest.xml",
    write: (baseUrl: string) => rewriteManifest(developmentManifest(), baseUrl),
  },
  json: {
    file: "manifest.json",
    write: (baseUrl: string) => `${JSON.stringify(unifiedManifest(baseUrl), null, 2)}\n`,
  },
};

function fail(message: string): never {
  process.stderr.write(`officellm manifest: ${message}\n\n${usage}`);
  process.exit(2);
}

let options: {
  url?: string;
  format?: string;
  out?: string;
  development?: boolean;
  help?: boolean;
};
try {
  options = parseArgs({
    options: {
      url: { type: "string" },
      format: { type: "string", default: "xml" },
      out: { type: "string" },
      development: { type: "boolean" },
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
if (options.development) {
  writeFileSync(manifestFile, developmentManifest());
  process.stderr.write(`officellm manifest: wrote ${manifestFile} from addin-facts.ts\n`);
  process.exit(0);
}
if (!options.url) fail("--url is required");
const format = options.format === "json" || options.format === "xml" ? options.format : undefined;
if (!format) fail(`--format must be xml or json, not '${options.format}'`);

let baseUrl: string;
try {
  baseUrl = manifestBaseUrl(options.url);
} catch (error) {
  if (error instanceof ManifestUrlError) fail(`--url ${error.message}`);
  throw error;
}

const manifest = formats[format].write(baseUrl);
const out = options.out ?? formats[format].file;
if (out === "-") {
  process.stdout.write(manifest);
} else {
  // npm runs scripts from the package's root; INIT_CWD is where the user ran npm.
  const file = resolve(process.env.INIT_CWD ?? process.cwd(), out);
  writeFileSync(file, manifest);
  process.stderr.write(`officellm manifest: wrote ${file} for ${baseUrl}\n`);
}
