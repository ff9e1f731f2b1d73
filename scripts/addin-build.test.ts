import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BUILD_INPUTS_FILE } from "../addin/build-inputs-plugin.ts";
import { staleAddinBuild } from "./addin-build.ts";

let root: string;
let dist: string;
const builtAt = new Date("2026-12-01T10:00:00Z");
const before = new Date("2026-12-01T09:00:00Z");
const after = new Date("2026-12-01T11:00:00Z");

function write(file: string, when: Date, text = "x"): void {
  mkdirSync(join(root, file, ".."), { recursive: true });
  writeFileSync(join(root, file), text);
  utimesSync(join(root, file), when, when);
}

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "officellm-addin-build-"));
  dist = join(root, "addin", "dist");
  write("addin/src/main.tsx", before);
  write("server/llm/token-estimate.ts", before);
  write("addin/public/assets/icon-32.png", before);
  write(
    `addin/dist/${BUILD_INPUTS_FILE}`,
    builtAt,
    JSON.stringify(["addin/src/main.tsx", "server/llm/token-estimate.ts"]),
  );
  write("addin/dist/taskpane.html", builtAt);
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe("whether npm start builds the add-in again", () => {
  it("not while every source is older than the build", () => {
    expect(staleAddinBuild(root, dist)).toBeUndefined();
  });

  it("when there is no build", () => {
    rmSync(dist, { recursive: true });
    expect(staleAddinBuild(root, dist)).toBe("there is no build yet");
  });

  it("when the build does not list its sources (made before they were listed)", () => {
    rmSync(join(dist, BUILD_INPUTS_FILE));
    expect(staleAddinBuild(root, dist)).toBe("the build does not list its sources");
  });

  it("when a source of the add-in, or of the server it imports, changed after the build", () => {
    write("addin/src/main.tsx", after);
    expect(staleAddinBuild(root, dist)).toBe("addin/src/main.tsx changed after the build");
    write("addin/src/main.tsx", before);
    write("server/llm/token-estimate.ts", after);
    expect(staleAddinBuild(root, dist)).toBe(
      "server/llm/token-estimate.ts changed after the build",
    );
  });

  it("when a file of addin/public changed, or a source is gone", () => {
    write("addin/public/assets/icon-32.png", after);
    expect(staleAddinBuild(root, dist)).toMatch(/icon-32\.png changed after the build/);
    write("addin/public/assets/icon-32.png", before);
    rmSync(join(root, "server/llm/token-estimate.ts"));
    expect(staleAddinBuild(root, dist)).toBe("server/llm/token-estimate.ts is gone");
  });
});
