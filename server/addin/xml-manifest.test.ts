import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { addinFacts } from "./addin-facts.ts";
import { manifestFile } from "./manifest.ts";
import { developmentManifest } from "./xml-manifest.ts";

describe("manifest.xml", () => {
  it("is what addin-facts.ts produces (npm run manifest -- --development writes it)", () => {
    expect(readFileSync(manifestFile, "utf8")).toBe(developmentManifest());
  });

  it("carries the facts the unified manifest is built from", () => {
    const xml = developmentManifest();
    expect(xml).toContain(`<Id>${addinFacts.id}</Id>`);
    expect(xml).toContain(`<Version>${addinFacts.version}.0</Version>`);
    expect(xml).toContain(`<Group id="${addinFacts.ribbon.groupId}">`);
    for (const size of addinFacts.ribbonIconSizes)
      expect(xml).toContain(`DefaultValue="https://localhost:3000/addin/assets/icon-${size}.png"`);
  });
});
