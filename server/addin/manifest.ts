import { fileURLToPath } from "node:url";

/**
 * The add-in manifest for a deployment: the committed development manifest (every URL on
 * https://localhost:3000) with the deployment's base URL in every URL. Used by
 * `npm run manifest` and by `GET /manifest.xml`.
 */

/** The committed development manifest, at the repository's root. */
export const manifestFile = fileURLToPath(new URL("../../manifest.xml", import.meta.url));

/** What every URL of the committed manifest starts with. */
export const developmentBaseUrl = "https://localhost:3000";

/** A base URL that cannot go into a manifest; the message says why. */
export class ManifestUrlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ManifestUrlError";
  }
}

/**
 * Checks the base URL a deployment is reached at: an absolute https:// URL (http:// only when
 * `allowHttp`), without credentials, query or fragment. Returns it without a trailing slash;
 * a path is kept, for a backend behind a proxy under a path prefix.
 */
export function manifestBaseUrl(input: string, options: { allowHttp?: boolean } = {}): string {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw new ManifestUrlError(
      `'${input}' is not an absolute URL; give one such as https://officellm.example.com`,
    );
  }
  const allowed = options.allowHttp ? ["https:", "http:"] : ["https:"];
  if (!allowed.includes(url.protocol)) {
    throw new ManifestUrlError(
      `'${input}' must be an https:// URL: Office loads add-ins only over HTTPS`,
    );
  }
  if (url.username || url.password || url.search || url.hash) {
    throw new ManifestUrlError(
      `'${input}' must be a plain base URL, without credentials, query or fragment`,
    );
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, "")}`;
}

/** Text for an element or a double-quoted attribute (an apostrophe needs no escape there). */
export function escapeXml(text: string): string {
  return text
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;");
}

/** The development manifest's own leading comment, which describes the development setup. */
const leadingComment = /^(<\?xml[^>]*\?>\s*)<!--[\s\S]*?-->\s*/;

/** Every URL of the development manifest: the development base URL, then a path or the end. */
const developmentUrl = /https:\/\/localhost:3000(?=[/"<])/g;

/**
 * The manifest with `baseUrl` (checked by `manifestBaseUrl`) in place of the development base
 * URL in every URL, and a leading comment that says what it is for.
 */
export function rewriteManifest(xml: string, baseUrl: string): string {
  const base = escapeXml(baseUrl);
  const notes = [
    "OfficeLLM add-in manifest for one deployment: every URL points at the backend's public URL.",
    "Sideload it, or upload it in the Microsoft 365 admin center (Integrated apps): see",
    "docs/sideloading.md in the OfficeLLM repository.",
  ];
  if (baseUrl.startsWith("http:")) {
    notes.push(
      "",
      "WARNING: these URLs are http://, and Office loads add-ins only over HTTPS. Serve the",
      "backend over HTTPS and set PUBLIC_URL to its https:// URL.",
    );
  }
  const comment = `<!--\n${notes.map((line) => (line ? `  ${line}` : "")).join("\n")}\n-->\n`;
  return xml
    .replace(leadingComment, (_match, declaration: string) => `${declaration}${comment}`)
    .replace(developmentUrl, () => base);
}
