import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  allElements,
  childNamed,
  childrenNamed,
  manifestResources,
  manifestUrls,
  parseManifest,
  path,
} from "../test/manifest-xml.ts";
import { addinFacts } from "./addin-facts.ts";
import { manifestFile, rewriteManifest } from "./manifest.ts";
import {
  unifiedManifest,
  unifiedManifestSchema,
  unifiedManifestVersion,
} from "./unified-manifest.ts";

/**
 * Microsoft's schema for the unified manifest (MicrosoftTeams.schema.json, draft-04) cannot be
 * fetched from the tests, so this checks the structure its documentation requires, and that
 * the JSON manifest says what manifest.xml says.
 */

const baseUrl = "https://officellm.example.com/gateway";
const manifest = unifiedManifest(baseUrl);
const [extension] = manifest.extensions;
const [runtime] = extension!.runtimes;
const xml = parseManifest(rewriteManifest(readFileSync(manifestFile, "utf8"), baseUrl));
const resources = manifestResources(xml);
const addinDirectory = new URL("../../addin/", import.meta.url);

/** Every string in `value` that starts with a URL scheme. */
function urlsIn(value: unknown): string[] {
  if (typeof value === "string") return /^[a-z][a-z0-9+.-]*:/i.test(value) ? [value] : [];
  if (Array.isArray(value)) return value.flatMap(urlsIn);
  if (value && typeof value === "object") return Object.values(value).flatMap(urlsIn);
  return [];
}

/** The add-in source file a URL on `baseUrl`/addin/ is built from. */
function addinFile(url: string): URL {
  const prefix = `${baseUrl}/addin/`;
  expect(url.startsWith(prefix), url).toBe(true);
  return new URL(url.slice(prefix.length), addinDirectory);
}

describe("the unified manifest", () => {
  it("has the top-level fields the schema requires, within its limits", () => {
    expect(manifest.$schema).toBe(unifiedManifestSchema);
    expect(manifest.manifestVersion).toBe(unifiedManifestVersion);
    expect(manifest.id).toMatch(/^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$/i);
    expect(manifest.version).toMatch(/^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/);
    expect(manifest.name.short.length).toBeLessThanOrEqual(30);
    expect(manifest.description.short.length).toBeLessThanOrEqual(80);
    expect(manifest.description.full.length).toBeLessThanOrEqual(4000);
    expect(manifest.developer.name.length).toBeLessThanOrEqual(32);
    expect(Object.keys(manifest.developer).sort()).toEqual(
      ["name", "privacyUrl", "termsOfUseUrl", "websiteUrl"].sort(),
    );
    expect(manifest.accentColor).toMatch(/^#[0-9a-f]{6}$/i);
    expect(manifest.localizationInfo.defaultLanguageTag).toBe("en-us");
  });

  it("has one Excel extension whose runtime is long-lived and shared by the pane and the functions", () => {
    expect(manifest.extensions).toHaveLength(1);
    expect(extension!.requirements.scopes).toEqual(["workbook"]);
    expect(extension!.runtimes).toHaveLength(1);
    expect(runtime).toMatchObject({ type: "general", lifetime: "long" });
    expect(runtime!.id.length).toBeLessThanOrEqual(64);
    const buttons = extension!.ribbons.flatMap((ribbon) =>
      ribbon.tabs.flatMap((tab) => tab.groups.flatMap((group) => group.controls)),
    );
    expect(buttons).toHaveLength(1);
    expect(runtime!.actions).toEqual([
      expect.objectContaining({ id: buttons[0]!.actionId, type: "openPage" }),
    ]);
    for (const group of extension!.ribbons[0]!.tabs[0]!.groups) {
      for (const icons of [group.icons, ...group.controls.map((control) => control.icons)]) {
        expect(icons.map((icon) => icon.size)).toEqual([16, 32, 80]);
      }
    }
    expect(runtime!.customFunctions.namespace.id).toMatch(/^[A-Za-z][A-Za-z0-9._]{0,31}$/);
  });

  it("puts every URL on the deployment's https base URL", () => {
    const urls = urlsIn({ ...manifest, $schema: undefined });
    expect(urls.length).toBeGreaterThan(10);
    for (const url of urls) expect(url.startsWith(`${baseUrl}/`), url).toBe(true);
    expect(unifiedManifest("http://officellm.internal").id).toBe(manifest.id);
  });

  it("points at files the add-in build produces", () => {
    // Vite builds addin/taskpane.html to /addin/taskpane.html and copies addin/public/ there.
    expect(existsSync(addinFile(runtime!.code.page))).toBe(true);
    const icons = [manifest.icons.color, manifest.icons.outline, ...urlsIn(extension!.ribbons)];
    for (const icon of icons) {
      const file = addinFile(icon.replace("/addin/", "/addin/public/"));
      const size = Number(/icon-(\d+)\.png$/.exec(icon)![1]);
      expect(readFileSync(file).readUInt32BE(16), icon).toBe(size);
    }
    expect(manifest.icons.color).toBe(`${baseUrl}/addin/assets/icon-192.png`);
    // functions-metadata-plugin.ts emits functions.json at the root of the build.
    expect(runtime!.customFunctions.metadataUrl).toBe(`${baseUrl}/addin/functions.json`);
    expect(readFileSync(new URL("functions-metadata-plugin.ts", addinDirectory), "utf8")).toContain(
      'fileName: "functions.json"',
    );
  });
});

describe("the unified manifest and manifest.xml", () => {
  const host = path(xml, ["VersionOverrides", "Hosts", "Host"]);
  const url = (resid: string) => resources.Urls!.get(resid);
  const functions = childrenNamed(childNamed(host, "AllFormFactors"), "ExtensionPoint")[0]!;

  it("name the same add-in, version and description", () => {
    expect(childNamed(xml, "Id").text).toBe(manifest.id);
    expect(childNamed(xml, "Version").text).toBe(`${manifest.version}.0`);
    expect(childNamed(xml, "DisplayName").attributes.DefaultValue).toBe(manifest.name.short);
    expect(childNamed(xml, "ProviderName").text).toBe(manifest.developer.name);
    expect(childNamed(xml, "Description").attributes.DefaultValue).toBe(manifest.description.full);
    expect(childNamed(xml, "Permissions").text).toBe("ReadWriteDocument");
    expect(manifest.authorization.permissions.resourceSpecific).toEqual([
      { name: "Document.ReadWrite.User", type: "Delegated" },
    ]);
  });

  it("require the same sets and run the same long-lived page, functions and namespace", () => {
    const sets = childrenNamed(path(xml, ["Requirements", "Sets"]), "Set").map((set) => ({
      name: set.attributes.Name,
      minVersion: set.attributes.MinVersion,
    }));
    expect(extension!.requirements.capabilities).toEqual(sets);
    const xmlRuntime = path(host, ["Runtimes", "Runtime"]);
    expect(xmlRuntime.attributes.lifetime).toBe(runtime!.lifetime);
    expect(url(xmlRuntime.attributes.resid!)).toBe(runtime!.code.page);
    expect(url(path(functions, ["Page", "SourceLocation"]).attributes.resid!)).toBe(
      runtime!.code.page,
    );
    expect(url(path(functions, ["Metadata", "SourceLocation"]).attributes.resid!)).toBe(
      runtime!.customFunctions.metadataUrl,
    );
    expect(resources.ShortStrings!.get(childNamed(functions, "Namespace").attributes.resid!)).toBe(
      runtime!.customFunctions.namespace.id,
    );
  });

  it("share the ribbon, the get-started callout, the icons, the support page and the dialog domains", () => {
    const [group] = allElements(host).filter((element) => element.name === "Group");
    const [control] = allElements(host).filter((element) => element.name === "Control");
    const xmlGroup = extension!.ribbons[0]!.tabs[0]!;
    expect(xmlGroup.builtInTabId).toBe(
      path(host, ["DesktopFormFactor", "ExtensionPoint", "OfficeTab"]).attributes.id,
    );
    expect(group!.attributes.id).toBe(xmlGroup.groups[0]!.id);
    expect(control!.attributes.id).toBe(xmlGroup.groups[0]!.controls[0]!.id);
    expect(resources.LongStrings!.get("TaskpaneButton.Tooltip")).toBe(addinFacts.ribbon.tooltip);
    expect(resources.ShortStrings!.get("GetStarted.Title")).toBe(
      manifest.extensions[0]!.getStartedMessages[0]!.title,
    );
    expect(resources.LongStrings!.get("GetStarted.Description")).toBe(
      manifest.extensions[0]!.getStartedMessages[0]!.description,
    );
    expect([...resources.Images!.values()]).toEqual(
      xmlGroup.groups[0]!.icons.map((icon) => icon.url),
    );
    expect(childNamed(xml, "SupportUrl").attributes.DefaultValue).toBe(
      manifest.developer.websiteUrl,
    );
    expect(
      childrenNamed(childNamed(xml, "AppDomains"), "AppDomain").map((domain) => domain.text),
    ).toEqual(manifest.validDomains.map((domain) => `https://${domain}`));
    // Every URL of manifest.xml but its high-resolution icon, which the JSON manifest has no field for.
    const highResolutionIcon = childNamed(xml, "HighResolutionIconUrl").attributes.DefaultValue;
    const xmlUrls = manifestUrls(xml).filter((entry) => entry !== highResolutionIcon);
    expect(new Set(urlsIn({ ...manifest, $schema: undefined }))).toEqual(
      new Set([...xmlUrls, manifest.icons.color]),
    );
  });
});
