import { XMLParser } from "fast-xml-parser";

/**
 * A small reading of an add-in manifest for tests: its elements as a tree, every
 * attribute with the element that carries it, and every URL. `office-addin-manifest validate`
 * needs Microsoft's online service, so the manifest's structure is checked with this instead.
 */

export interface ManifestElement {
  name: string;
  attributes: Record<string, string>;
  text: string;
  children: ManifestElement[];
}

type Parsed = Record<string, unknown>;

function toElement(name: string, value: unknown): ManifestElement {
  if (typeof value !== "object" || value === null) {
    return { name, attributes: {}, text: String(value ?? ""), children: [] };
  }
  const element: ManifestElement = { name, attributes: {}, text: "", children: [] };
  for (const [key, inner] of Object.entries(value as Parsed)) {
    if (key.startsWith("@_")) element.attributes[key.slice(2)] = String(inner);
    else if (key === "#text") element.text = String(inner);
    else for (const item of inner as unknown[]) element.children.push(toElement(key, item));
  }
  return element;
}

/** Parses a manifest into its root element (namespace prefixes kept, e.g. `bt:Image`). */
export function parseManifest(xml: string): ManifestElement {
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: "@_",
    parseTagValue: false,
    parseAttributeValue: false,
    ignoreDeclaration: true,
    commentPropName: false,
    isArray: (_name, _path, _leaf, isAttribute) => !isAttribute,
  });
  const document = parser.parse(xml) as Parsed;
  const [root] = document.OfficeApp as unknown[];
  return toElement("OfficeApp", root);
}

/** Every element below (and including) `element`, depth first. */
export function allElements(element: ManifestElement): ManifestElement[] {
  return [element, ...element.children.flatMap(allElements)];
}

/** The children of `element` named `name`. */
export function childrenNamed(element: ManifestElement, name: string): ManifestElement[] {
  return element.children.filter((child) => child.name === name);
}

/** The one child of `element` named `name`; throws when there is not exactly one. */
export function childNamed(element: ManifestElement, name: string): ManifestElement {
  const found = childrenNamed(element, name);
  if (found.length !== 1) {
    throw new Error(`<${element.name}> has ${found.length} <${name}> elements, not one`);
  }
  return found[0]!;
}

/** Follows a path of single children, e.g. `["VersionOverrides", "Hosts", "Host"]`. */
export function path(element: ManifestElement, names: string[]): ManifestElement {
  return names.reduce(childNamed, element);
}

/**
 * Every URL of the add-in in the manifest: attribute values and texts that start with a scheme,
 * except the XML namespace names (`xmlns`), which are names and never fetched, and the
 * AppDomains, which are other sites the add-in may open.
 */
export function manifestUrls(root: ManifestElement): string[] {
  const elements = allElements(root).filter((element) => element.name !== "AppDomain");
  return elements.flatMap((element) =>
    [
      ...Object.entries(element.attributes)
        .filter(([name]) => name !== "xmlns" && !name.startsWith("xmlns:"))
        .map(([, value]) => value),
      element.text,
    ].filter((value) => /^[a-z][a-z0-9+.-]*:\/\//i.test(value)),
  );
}

/** The manifest's resources by kind: `Images`, `Urls`, `ShortStrings`, `LongStrings`. */
export function manifestResources(root: ManifestElement): Record<string, Map<string, string>> {
  const resources = path(root, ["VersionOverrides", "Resources"]);
  const kinds: Record<string, Map<string, string>> = {};
  for (const group of resources.children) {
    const kind = group.name.replace(/^bt:/, "");
    kinds[kind] = new Map(
      group.children.map((item) => [item.attributes.id!, item.attributes.DefaultValue!]),
    );
  }
  return kinds;
}
