/**
 * The custom functions' answer cache in Chromium's real IndexedDB: more than the 4 MB the add-in
 * storage could hold survives a reload.
 */
import { fileURLToPath } from "node:url";
import type { Browser } from "playwright-core";
import { rolldown } from "rolldown";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "./pane.ts";

let browser: Browser;
let script: string;

beforeAll(async () => {
  const bundle = await rolldown({
    input: fileURLToPath(new URL("../src/functions/cache.ts", import.meta.url)),
  });
  const { output } = await bundle.generate({ format: "iife", name: "OfficeLLMCache" });
  script = output[0].code;
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

interface CacheModule {
  AnswerCache: new (storage: unknown) => {
    set(key: string, answer: { text: string }): void;
    get(key: string): Promise<{ text: string } | undefined>;
    flush(): Promise<void>;
  };
}
declare const OfficeLLMCache: CacheModule;

describe("custom functions' cache in a browser", () => {
  it("keeps 6 MB of answers across a reload, in IndexedDB", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.route("http://addin.test/**", (route) =>
      route.fulfill({ contentType: "text/html", body: `<script>${script}</script>` }),
    );
    await page.goto("http://addin.test/");
    // localStorage as the (unused) fallback: only IndexedDB can hold this much.
    await page.evaluate(async () => {
      const cache = new OfficeLLMCache.AnswerCache(localStorage);
      for (let i = 0; i < 600; i++) cache.set(`key ${i}`, { text: `${i} `.padEnd(10_000, "y") });
      await cache.flush();
    });
    await page.reload();
    const found = await page.evaluate(async () => {
      const cache = new OfficeLLMCache.AnswerCache(localStorage);
      let count = 0;
      for (let i = 0; i < 600; i++) {
        const answer = await cache.get(`key ${i}`);
        if (answer?.text === `${i} `.padEnd(10_000, "y")) count += 1;
      }
      return { count, localStorage: localStorage.length };
    });
    expect(found).toEqual({ count: 600, localStorage: 0 });
    await context.close();
  });
});
