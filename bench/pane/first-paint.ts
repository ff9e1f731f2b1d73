/**
 * The task pane's first load with a cold cache, in Chromium at 350 × 700: the JavaScript it
 * fetches before it is usable (as sent, gzip-compressed by the backend) and its first contentful
 * paint (the static skeleton) and first React render. Serves the build in addin/dist (run
 * `npm run build` first), or another build's directory, from the real backend on loopback.
 *
 *   sh scripts/node24.sh node bench/pane/first-paint.ts [runs] [add-in build directory]
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { startTestServer } from "../../server/test/harness.ts";

const addinDirectory =
  process.argv[3] ?? fileURLToPath(new URL("../../addin/dist", import.meta.url));
if (!existsSync(addinDirectory)) throw new Error("Build the add-in first: npm run build");
const runs = Number(process.argv[2] ?? 5);

const server = await startTestServer({ addinDirectory });
const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-component-update"],
});
const results: { jsBytes: number; jsFiles: number; fcp: number; rendered: number }[] = [];
try {
  for (let run = 0; run < runs; run++) {
    // A new context each time: an empty cache.
    const context = await browser.newContext({ viewport: { width: 350, height: 700 } });
    const page = await context.newPage();
    await page.route("https://appsforoffice.microsoft.com/**", (route) =>
      route.abort("internetdisconnected"),
    );
    const cdp = await context.newCDPSession(page);
    await cdp.send("Network.enable");
    const scripts = new Map<string, boolean>();
    let jsBytes = 0;
    cdp.on("Network.responseReceived", (event) => {
      if (event.response.url.endsWith(".js")) scripts.set(event.requestId, true);
    });
    cdp.on("Network.loadingFinished", (event) => {
      if (scripts.has(event.requestId)) jsBytes += event.encodedDataLength;
    });
    const started = Date.now();
    await page.goto(`${server.url}/addin/taskpane.html`);
    // The first tab list is React's: the pane is drawn and usable.
    await page.getByRole("tablist").waitFor();
    const rendered = Date.now() - started;
    await page.waitForLoadState("networkidle");
    const fcp = await page.evaluate(
      () => performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? -1,
    );
    results.push({ jsBytes, jsFiles: scripts.size, fcp, rendered });
    await context.close();
  }
} finally {
  await browser.close();
  await server.close();
}
const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
console.log(
  JSON.stringify(
    {
      runs,
      initialJsKiB: Math.round(median(results.map((r) => r.jsBytes)) / 102.4) / 10,
      jsFiles: median(results.map((r) => r.jsFiles)),
      firstContentfulPaintMs: Math.round(median(results.map((r) => r.fcp))),
      firstRenderMs: Math.round(median(results.map((r) => r.rendered))),
    },
    null,
    2,
  ),
);
