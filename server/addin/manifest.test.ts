import { readFileSync } from "node:fs";
import { inflateSync } from "node:zlib";
import { XMLValidator } from "fast-xml-parser";
import { describe, expect, it } from "vitest";
import {
  allElements,
  childNamed,
  childrenNamed,
  manifestResources,
  manifestUrls,
  parseManifest,
  path,
  type ManifestElement,
} from "../test/manifest-xml.ts";
import {
  developmentBaseUrl,
  manifestBaseUrl,
  manifestFile,
  ManifestUrlError,
  rewriteManifest,
} from "./manifest.ts";

const xml = readFileSync(manifestFile, "utf8");
const root = parseManifest(xml);
const resources = manifestResources(root);
const host = path(root, ["VersionOverrides", "Hosts", "Host"]);
const taskpaneUrl = `${developmentBaseUrl}/addin/taskpane.html`;
const functionsUrl = `${developmentBaseUrl}/addin/functions.json`;
const assetsDirectory = new URL("../../addin/public/assets/", import.meta.url);

/** The resource kind each element that carries a `resid` must point into. */
const residKinds: Record<string, string> = {
  Runtime: "Urls",
  SourceLocation: "Urls",
  FunctionFile: "Urls",
  LearnMoreUrl: "Urls",
  "bt:Image": "Images",
  Namespace: "ShortStrings",
  Label: "ShortStrings",
  Title: "ShortStrings",
  Description: "LongStrings",
};

function url(element: ManifestElement): string {
  const resid = element.attributes.resid!;
  const value = resources.Urls!.get(resid);
  if (!value) throw new Error(`no bt:Url for ${resid}`);
  return value;
}

function extensionPoint(parent: ManifestElement, type: string): ManifestElement {
  const points = childrenNamed(parent, "ExtensionPoint").filter(
    (point) => point.attributes["xsi:type"] === type,
  );
  expect(points, type).toHaveLength(1);
  return points[0]!;
}

/** Width and height from a PNG's IHDR, after checking the signature and that it inflates. */
function pngSize(file: URL): { width: number; height: number } {
  const png = readFileSync(file);
  expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  expect(png.toString("latin1", 12, 16)).toBe("IHDR");
  const width = png.readUInt32BE(16);
  const height = png.readUInt32BE(20);
  const idat: Buffer[] = [];
  for (let offset = 8; offset < png.length;) {
    const length = png.readUInt32BE(offset);
    if (png.toString("latin1", offset + 4, offset + 8) === "IDAT") {
      idat.push(png.subarray(offset + 8, offset + 8 + length));
    }
    offset += 12 + length;
  }
  // 8-bit RGBA: a filter byte and 4 bytes a pixel on every row.
  expect(inflateSync(Buffer.concat(idat)).length).toBe(height * (1 + width * 4));
  return { width, height };
}

function assetFor(iconUrl: string): URL {
  const prefix = `${developmentBaseUrl}/addin/assets/`;
  expect(iconUrl.startsWith(prefix), iconUrl).toBe(true);
  return new URL(iconUrl.slice(prefix.length), assetsDirectory);
}

describe("the committed manifest", () => {
  it("is well-formed XML for a task pane add-in in Excel", () => {
    expect(XMLValidator.validate(xml)).toBe(true);
    expect(root.attributes["xsi:type"]).toBe("TaskPaneApp");
    expect(childNamed(childNamed(root, "Hosts"), "Host").attributes.Name).toBe("Workbook");
    expect(host.attributes["xsi:type"]).toBe("Workbook");
    expect(childNamed(root, "VersionOverrides").attributes["xsi:type"]).toBe(
      "VersionOverridesV1_0",
    );
  });

  it("has a GUID for Id and a four-part Version", () => {
    expect(childNamed(root, "Id").text).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i,
    );
    expect(childNamed(root, "Version").text).toMatch(/^\d{1,5}\.\d{1,5}\.\d{1,5}\.\d{1,5}$/);
  });

  it("requires the SharedRuntime 1.1 requirement set", () => {
    const sets = childrenNamed(path(root, ["Requirements", "Sets"]), "Set");
    expect(sets.map((set) => set.attributes)).toContainEqual({
      Name: "SharedRuntime",
      MinVersion: "1.1",
    });
  });

  it("runs one long-lived shared runtime on the task pane page", () => {
    const runtime = path(host, ["Runtimes", "Runtime"]);
    expect(runtime.attributes).toEqual({ resid: "Taskpane.Url", lifetime: "long" });
    expect(url(runtime)).toBe(taskpaneUrl);
    expect(path(root, ["DefaultSettings", "SourceLocation"]).attributes.DefaultValue).toBe(
      taskpaneUrl,
    );
  });

  it("declares the LLM custom functions on the task pane page, with functions.json", () => {
    const functions = extensionPoint(childNamed(host, "AllFormFactors"), "CustomFunctions");
    expect(url(path(functions, ["Page", "SourceLocation"]))).toBe(taskpaneUrl);
    expect(url(path(functions, ["Script", "SourceLocation"]))).toBe(taskpaneUrl);
    expect(url(path(functions, ["Metadata", "SourceLocation"]))).toBe(functionsUrl);
    const namespace = childNamed(functions, "Namespace").attributes.resid!;
    expect(resources.ShortStrings!.get(namespace)).toBe("LLM");
  });

  it("puts the function file and a ribbon button that shows the pane on the task pane page", () => {
    const desktop = childNamed(host, "DesktopFormFactor");
    expect(url(childNamed(desktop, "FunctionFile"))).toBe(taskpaneUrl);
    const ribbon = extensionPoint(desktop, "PrimaryCommandSurface");
    const buttons = allElements(ribbon).filter(
      (element) => element.name === "Control" && element.attributes["xsi:type"] === "Button",
    );
    expect(buttons).toHaveLength(1);
    const action = childNamed(buttons[0]!, "Action");
    expect(action.attributes["xsi:type"]).toBe("ShowTaskpane");
    expect(childNamed(action, "TaskpaneId").text).not.toBe("");
    expect(url(childNamed(action, "SourceLocation"))).toBe(taskpaneUrl);
  });

  it("resolves every resid to a resource of the right kind, with ids of at most 32 characters", () => {
    const references = allElements(root).filter((element) => "resid" in element.attributes);
    expect(references.length).toBeGreaterThan(10);
    for (const element of references) {
      const resid = element.attributes.resid!;
      const kind = residKinds[element.name];
      expect(kind, `<${element.name} resid="${resid}">`).toBeDefined();
      expect(resources[kind!]?.has(resid), `<${element.name} resid="${resid}"> in ${kind}`).toBe(
        true,
      );
      expect(resid.length, resid).toBeLessThanOrEqual(32);
    }
  });

  it("defines each resource id once, within Office's length limits", () => {
    const ids = Object.values(resources).flatMap((kind) => [...kind.keys()]);
    expect(new Set(ids).size).toBe(ids.length);
    for (const value of resources.ShortStrings!.values())
      expect(value.length).toBeLessThanOrEqual(125);
    for (const value of resources.LongStrings!.values())
      expect(value.length).toBeLessThanOrEqual(250);
    expect(childNamed(root, "DisplayName").attributes.DefaultValue!.length).toBeLessThanOrEqual(
      125,
    );
    expect(childNamed(root, "Description").attributes.DefaultValue!.length).toBeLessThanOrEqual(
      250,
    );
  });

  it("uses https://localhost:3000 for every URL", () => {
    const urls = manifestUrls(root);
    expect(urls.length).toBeGreaterThan(8);
    for (const value of urls) expect(value.startsWith(`${developmentBaseUrl}/`), value).toBe(true);
    // Nothing that looks like a URL hides anywhere else (comments, namespace names and the
    // AppDomains aside).
    const markup = xml
      .replaceAll(/<!--[\s\S]*?-->/g, "")
      .replaceAll(/\sxmlns(:\w+)?="[^"]*"/g, "")
      .replaceAll(/<AppDomain>[^<]*<\/AppDomain>/g, "");
    expect(markup.match(/[a-z]+:\/\//gi)).toHaveLength(urls.length);
  });

  it("lets Google's consent page open in an Office dialog", () => {
    const domains = allElements(root)
      .filter((element) => element.name === "AppDomain")
      .map((element) => element.text);
    expect(domains).toEqual(["https://accounts.google.com"]);
  });

  it("has every icon in addin/public/assets as a PNG of the size Office asks for", () => {
    const icons = allElements(root)
      .filter((element) => element.name === "bt:Image" && "size" in element.attributes)
      .map((element) => ({
        url: resources.Images!.get(element.attributes.resid!)!,
        size: Number(element.attributes.size),
      }));
    expect(new Set(icons.map((icon) => icon.size))).toEqual(new Set([16, 32, 80]));
    icons.push(
      { url: childNamed(root, "IconUrl").attributes.DefaultValue!, size: 32 },
      { url: childNamed(root, "HighResolutionIconUrl").attributes.DefaultValue!, size: 64 },
    );
    for (const icon of icons) {
      expect(pngSize(assetFor(icon.url)), icon.url).toEqual({
        width: icon.size,
        height: icon.size,
      });
    }
    for (const value of resources.Images!.values()) pngSize(assetFor(value));
  });
});

describe("manifestBaseUrl", () => {
  it("keeps an https origin and a path prefix, without a trailing slash", () => {
    expect(manifestBaseUrl("https://officellm.example.com/")).toBe("https://officellm.example.com");
    expect(manifestBaseUrl("https://example.com/tools/officellm/")).toBe(
      "https://example.com/tools/officellm",
    );
    expect(manifestBaseUrl("https://LLM.Example.com:8443")).toBe("https://llm.example.com:8443");
  });

  it.each([
    ["not a URL", "officellm.example.com"],
    ["http", "http://officellm.example.com"],
    ["another scheme", "ftp://officellm.example.com"],
    ["credentials", "https://user:secret@officellm.example.com"],
    ["a query", "https://officellm.example.com/?a=1"],
    ["a fragment", "https://officellm.example.com/#x"],
  ])("refuses %s", (_what, input) => {
    expect(() => manifestBaseUrl(input)).toThrow(ManifestUrlError);
  });

  it("says why http is refused, and takes it when allowed", () => {
    expect(() => manifestBaseUrl("http://officellm.example.com")).toThrow(/https/);
    expect(manifestBaseUrl("http://127.0.0.1:3000", { allowHttp: true })).toBe(
      "http://127.0.0.1:3000",
    );
  });
});

describe("rewriteManifest", () => {
  const committedUrls = manifestUrls(root);

  function rewritten(baseUrl: string) {
    const text = rewriteManifest(xml, baseUrl);
    expect(XMLValidator.validate(text)).toBe(true);
    return { text, urls: manifestUrls(parseManifest(text)) };
  }

  it("puts the base URL in every URL, keeping each path", () => {
    const { text, urls } = rewritten("https://officellm.example.com");
    expect(urls).toEqual(
      committedUrls.map((value) =>
        value.replace(developmentBaseUrl, "https://officellm.example.com"),
      ),
    );
    expect(text).not.toMatch(/localhost/);
  });

  it("keeps a path prefix and escapes what XML needs escaped", () => {
    const { urls } = rewritten("https://example.com/a&b/officellm");
    expect(urls).toContain("https://example.com/a&b/officellm/addin/taskpane.html");
    for (const value of urls)
      expect(value.startsWith("https://example.com/a&b/officellm/")).toBe(true);
  });

  it("changes nothing but the URLs and the leading comment", () => {
    const { text } = rewritten("https://officellm.example.com");
    const body = (manifest: string) =>
      manifest.slice(manifest.indexOf("<OfficeApp")).replaceAll(/https:\/\/[^/"]+/g, "URL");
    expect(body(text)).toBe(body(xml));
    expect(text).toMatch(/^<\?xml[^>]*\?>\n<!--\n {2}OfficeLLM add-in manifest for one deployment/);
    expect(text).not.toMatch(/npm run dev/);
  });

  it("warns inside the manifest when the base URL is http", () => {
    expect(rewriteManifest(xml, "http://127.0.0.1:3000")).toMatch(/WARNING: these URLs are http/);
    expect(rewriteManifest(xml, "https://officellm.example.com")).not.toMatch(/WARNING/);
  });
});
