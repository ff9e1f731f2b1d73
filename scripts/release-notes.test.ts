import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { addinFacts } from "../server/addin/addin-facts.ts";
import { version } from "../server/version.ts";
import { ReleaseNotesError, releaseNotes } from "./release-notes.ts";

const changelog = `# Changelog

## [Unreleased]

### Added

- Something new.

## [1.1.0] - 2026-03-02

### Fixed

- A fix.

## [1.0.0] - 2026-01-15

### Added

- The first release.

[Unreleased]: https://github.com/example/officellm/compare/v1.1.0...HEAD
[1.1.0]: https://github.com/example/officellm/compare/v1.0.0...v1.1.0
[1.0.0]: https://github.com/example/officellm/releases/tag/v1.0.0
`;

describe("releaseNotes", () => {
  it("takes the tagged version's section, up to the next one", () => {
    expect(releaseNotes(changelog, "v1.1.0", "1.1.0")).toBe("### Fixed\n\n- A fix.\n");
  });

  it("stops the last section at the link references", () => {
    expect(releaseNotes(changelog, "v1.0.0", "1.0.0")).toBe("### Added\n\n- The first release.\n");
  });

  it("refuses a tag that is not package.json's version", () => {
    expect(() => releaseNotes(changelog, "v1.1.0", "1.2.0")).toThrow(
      /does not match package.json's version 1.2.0/,
    );
  });

  it("refuses a version without a section, or whose section has no date", () => {
    expect(() => releaseNotes(changelog, "v2.0.0", "2.0.0")).toThrow(ReleaseNotesError);
    const undated = changelog.replace("## [1.1.0] - 2026-03-02", "## [1.1.0]");
    expect(() => releaseNotes(undated, "v1.1.0", "1.1.0")).toThrow(/no release date/);
  });

  it("refuses a tag that is not a version", () => {
    expect(() => releaseNotes(changelog, "nightly", "1.1.0")).toThrow(/not a version tag/);
  });
});

describe("CHANGELOG.md", () => {
  const text = readFileSync(new URL("../CHANGELOG.md", import.meta.url), "utf8");

  it("keeps an Unreleased section first, for the next release's notes", () => {
    expect(text.match(/^## .*$/m)?.[0]).toBe("## [Unreleased]");
  });

  it("has notes for every dated version it lists", () => {
    const versions = [...text.matchAll(/^## \[(\d+\.\d+\.\d+[^\]]*)\]/gm)].map((m) => m[1]!);
    for (const version of versions) expect(releaseNotes(text, `v${version}`, version)).not.toBe("");
  });
});

describe("the version", () => {
  it("of the add-in's manifests is package.json's, the server's", () => {
    expect(addinFacts.version).toBe(version);
  });
});
