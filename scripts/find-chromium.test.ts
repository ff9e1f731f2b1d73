import { mkdtempSync, rmSync, symlinkSync, writeFileSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  BrowserNotFoundError,
  browserCandidates,
  findChromium,
  thisMachine,
  type BrowserSearch,
} from "./find-chromium.ts";

/** A machine on which exactly the files in `present` can be run. */
function machine(
  platform: NodeJS.Platform,
  present: string[],
  env: Record<string, string> = {},
): BrowserSearch {
  return {
    env,
    platform,
    home:
      platform === "win32" ? "C:\\Users\\ada" : platform === "darwin" ? "/Users/ada" : "/home/ada",
    playwrightChromium: () =>
      platform === "win32"
        ? "C:\\Users\\ada\\AppData\\Local\\ms-playwright\\chromium-1255\\chrome-win\\chrome.exe"
        : "/home/ada/.cache/ms-playwright/chromium-1255/chrome-linux64/chrome",
    isExecutable: (file) => present.includes(file),
  };
}

describe("findChromium", () => {
  it("takes CHROMIUM_PATH before anything else", () => {
    const search = machine("linux", ["/usr/bin/chromium", "/opt/browsers/chrome"], {
      CHROMIUM_PATH: "/opt/browsers/chrome",
    });
    expect(findChromium(search)).toBe("/opt/browsers/chrome");
  });

  it("names CHROMIUM_PATH when it points at nothing, instead of looking elsewhere", () => {
    const search = machine("linux", ["/usr/bin/chromium"], { CHROMIUM_PATH: "/nowhere/chrome" });
    expect(() => findChromium(search)).toThrow(BrowserNotFoundError);
    expect(() => findChromium(search)).toThrow(/CHROMIUM_PATH is set to \/nowhere\/chrome/);
  });

  it("prefers the browser Playwright installed to the system's", () => {
    const playwright = "/home/ada/.cache/ms-playwright/chromium-1255/chrome-linux64/chrome";
    expect(findChromium(machine("linux", ["/usr/bin/chromium", playwright]))).toBe(playwright);
  });

  it("finds Debian's Chromium, and Google Chrome as GitHub's Ubuntu runners carry it", () => {
    expect(findChromium(machine("linux", ["/usr/bin/chromium"]))).toBe("/usr/bin/chromium");
    expect(findChromium(machine("linux", ["/usr/bin/google-chrome"]))).toBe(
      "/usr/bin/google-chrome",
    );
  });

  it("finds a browser on PATH", () => {
    const search = machine("linux", ["/nix/profile/bin/chromium"], {
      PATH: "/usr/local/bin:/nix/profile/bin",
    });
    expect(findChromium(search)).toBe("/nix/profile/bin/chromium");
  });

  it("finds Chrome on macOS, in /Applications or the user's own Applications", () => {
    const system = "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome";
    const users = "/Users/ada/Applications/Chromium.app/Contents/MacOS/Chromium";
    expect(findChromium(machine("darwin", [system]))).toBe(system);
    expect(findChromium(machine("darwin", [users]))).toBe(users);
  });

  it("finds Chrome on Windows per user or per machine, and Edge when Chrome is absent", () => {
    const env = {
      LOCALAPPDATA: "C:\\Users\\ada\\AppData\\Local",
      PROGRAMFILES: "C:\\Program Files",
      "PROGRAMFILES(X86)": "C:\\Program Files (x86)",
    };
    const perUser = "C:\\Users\\ada\\AppData\\Local\\Google\\Chrome\\Application\\chrome.exe";
    const edge = "C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe";
    expect(findChromium(machine("win32", [perUser, edge], env))).toBe(perUser);
    expect(findChromium(machine("win32", [edge], env))).toBe(edge);
  });

  it("says how to name a browser when there is none", () => {
    expect(() => findChromium(machine("linux", []))).toThrow(
      /No Chrome, Chromium or Edge found.*set CHROMIUM_PATH/,
    );
  });

  it("looks at each place once", () => {
    const search = machine("linux", [], { PATH: "/usr/bin:/usr/bin" });
    const candidates = browserCandidates(search);
    expect(new Set(candidates).size).toBe(candidates.length);
  });
});

describe("findChromium on this machine", () => {
  const dir = mkdtempSync(join(tmpdir(), "officellm-browser-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("follows CHROMIUM_PATH through a link, and refuses a file that cannot be run", () => {
    const browser = join(dir, "browser");
    writeFileSync(browser, "#!/bin/sh\n");
    chmodSync(browser, 0o755);
    symlinkSync(browser, join(dir, "link"));
    const notRunnable = join(dir, "notes.txt");
    writeFileSync(notRunnable, "");
    const search = (setting: string) => ({
      ...thisMachine(),
      env: { ...process.env, CHROMIUM_PATH: setting },
    });
    expect(findChromium(search(join(dir, "link")))).toBe(join(dir, "link"));
    expect(() => findChromium(search(notRunnable))).toThrow(/CHROMIUM_PATH/);
    expect(() => findChromium(search(dir))).toThrow(/CHROMIUM_PATH/);
  });
});
