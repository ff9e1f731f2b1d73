/**
 * Finds a Chromium-family browser for the add-in's browser tests, on Linux, macOS and Windows:
 * the CHROMIUM_PATH setting first, then the browser Playwright installed, then Chrome, Chromium
 * or Edge where their installers put them (and on PATH). With none, the error names the setting.
 *
 *   node scripts/find-chromium.ts     prints the browser's path, or the message and exits 1
 */
import { accessSync, constants, existsSync, readFileSync, statSync } from "node:fs";
import { homedir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseEnv } from "node:util";
import { chromium } from "playwright-core";

/** What the search looks at, so that any machine's layout can be described (and tested). */
export interface BrowserSearch {
  env: Readonly<Record<string, string | undefined>>;
  platform: NodeJS.Platform;
  home: string;
  /** Where Playwright keeps the Chromium of its version (whether installed or not). */
  playwrightChromium: () => string | undefined;
  /** Whether a file is there that can be run. */
  isExecutable: (file: string) => boolean;
}

export class BrowserNotFoundError extends Error {
  override name = "BrowserNotFoundError";
}

const names: Partial<Record<NodeJS.Platform, string[]>> = {
  linux: ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome"],
  darwin: ["chromium", "google-chrome"],
  win32: ["chrome.exe", "msedge.exe"],
};

/** The places Chrome's, Chromium's and Edge's installers use, most specific first. */
function usualPlaces(search: BrowserSearch): string[] {
  const { env, home, platform } = search;
  if (platform === "darwin") {
    const apps = [
      "Google Chrome.app/Contents/MacOS/Google Chrome",
      "Chromium.app/Contents/MacOS/Chromium",
      "Microsoft Edge.app/Contents/MacOS/Microsoft Edge",
    ];
    return ["/Applications", path.posix.join(home, "Applications")].flatMap((dir) =>
      apps.map((app) => path.posix.join(dir, app)),
    );
  }
  if (platform === "win32") {
    const roots = [env.LOCALAPPDATA, env.PROGRAMFILES, env["PROGRAMFILES(X86)"]].filter(
      (root): root is string => Boolean(root),
    );
    const apps = [
      "Google\\Chrome\\Application\\chrome.exe",
      "Chromium\\Application\\chrome.exe",
      "Microsoft\\Edge\\Application\\msedge.exe",
    ];
    return apps.flatMap((app) => roots.map((root) => path.win32.join(root, app)));
  }
  return [
    "/usr/bin/chromium",
    "/usr/bin/chromium-browser",
    "/usr/bin/google-chrome",
    "/usr/bin/google-chrome-stable",
    "/opt/google/chrome/chrome",
    "/snap/bin/chromium",
    "/usr/bin/microsoft-edge",
  ];
}

function onPath(search: BrowserSearch): string[] {
  const paths = search.platform === "win32" ? path.win32 : path.posix;
  const dirs = (search.env.PATH ?? search.env.Path ?? "").split(paths.delimiter).filter(Boolean);
  return (names[search.platform] ?? []).flatMap((name) => dirs.map((dir) => paths.join(dir, name)));
}

/** Every place looked at after CHROMIUM_PATH, in order. */
export function browserCandidates(search: BrowserSearch): string[] {
  const playwright = search.playwrightChromium();
  return [
    ...new Set([...(playwright ? [playwright] : []), ...usualPlaces(search), ...onPath(search)]),
  ];
}

/** The browser to launch; throws a BrowserNotFoundError that says how to name one. */
export function findChromium(search: BrowserSearch = thisMachine()): string {
  const setting = search.env.CHROMIUM_PATH?.trim();
  if (setting) {
    if (search.isExecutable(setting)) return setting;
    throw new BrowserNotFoundError(
      `CHROMIUM_PATH is set to ${setting}, but no browser can be run there. ` +
        "Set CHROMIUM_PATH to the executable of Chrome, Chromium or Edge.",
    );
  }
  const found = browserCandidates(search).find((file) => search.isExecutable(file));
  if (found) return found;
  throw new BrowserNotFoundError(
    "No Chrome, Chromium or Edge found for the browser tests. Install one, or set CHROMIUM_PATH " +
      "to a browser's executable (see CONTRIBUTING.md, Browser tests).",
  );
}

function isExecutableFile(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false;
    // Windows has no execute bit: a file there is enough.
    if (process.platform !== "win32") accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** CHROMIUM_PATH from the environment, else from the project's .env (nothing else of it). */
function chromiumSetting(): string | undefined {
  if (process.env.CHROMIUM_PATH !== undefined) return process.env.CHROMIUM_PATH;
  const dotEnv = fileURLToPath(new URL("../.env", import.meta.url));
  return existsSync(dotEnv) ? parseEnv(readFileSync(dotEnv, "utf8")).CHROMIUM_PATH : undefined;
}

export function thisMachine(): BrowserSearch {
  return {
    env: { ...process.env, CHROMIUM_PATH: chromiumSetting() },
    platform: process.platform,
    home: homedir(),
    playwrightChromium: () => {
      try {
        return chromium.executablePath();
      } catch {
        return undefined;
      }
    },
    isExecutable: isExecutableFile,
  };
}

if (import.meta.main) {
  try {
    process.stdout.write(`${findChromium()}\n`);
  } catch (error) {
    if (!(error instanceof BrowserNotFoundError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exitCode = 1;
  }
}
