/**
 * First load of OfficeLLM's browser pages with a cold cache: the JavaScript a page loads before
 * anyone touches it (its entry script and the chunks it pulls in, gzipped as the backend sends
 * them) and its first contentful paint, in Debian's Chromium, against the real backend serving
 * the add-in's production build (addin/dist: `npm run build:addin` first).
 *
 *   npm run bench:pages [-- --runs 5] [-- --page /admin/ --page /addin/taskpane.html]
 *
 * Each run is a fresh browser context (no HTTP cache); the median FCP of the runs is printed.
 * Loopback, no network throttling: the figure is the page's own cost (parse, execute, render),
 * the floor under what a user on a real network sees. Sizes are gzipped here, at zlib's default
 * level, as the backend's compression sends them.
 */
import { existsSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { parseArgs } from "node:util";
import { chromium } from "playwright-core";
import { addinDistDirectory } from "../../server/routes/addin.ts";
import { startTestServer } from "../../server/test/harness.ts";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "5" },
    page: { type: "string", multiple: true, default: ["/admin/", "/addin/taskpane.html"] },
  },
});
if (!existsSync(addinDistDirectory)) throw new Error("No build in addin/dist: npm run build:addin");

const server = await startTestServer({ addinDirectory: addinDistDirectory });
const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
});

const median = (numbers: number[]) => [...numbers].sort((a, b) => a - b)[numbers.length >> 1]!;

try {
  for (const path of values.page) {
    const paints: number[] = [];
    let scripts: { url: string; bytes: number }[] = [];
    for (let run = 0; run < Number(values.runs); run++) {
      const context = await browser.newContext();
      const page = await context.newPage();
      // office.js (the task pane's, from Microsoft's CDN) is not ours to measure.
      await page.route("https://appsforoffice.microsoft.com/**", (route) =>
        route.fulfill({ status: 200, contentType: "text/javascript", body: "" }),
      );
      const loaded: Promise<{ url: string; bytes: number }>[] = [];
      page.on("response", (response) => {
        if (
          response.request().resourceType() !== "script" ||
          !response.url().startsWith(server.url)
        )
          return;
        // Gzipped as the backend's compression sends it (zlib's default level).
        loaded.push(
          response.body().then((body) => ({
            url: new URL(response.url()).pathname,
            bytes: gzipSync(body).length,
          })),
        );
      });
      await page.goto(`${server.url}${path}`, { waitUntil: "networkidle" });
      const fcp = await page.evaluate(
        () => performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? NaN,
      );
      paints.push(fcp);
      scripts = await Promise.all(loaded);
      await context.close();
    }
    const total = scripts.reduce((sum, script) => sum + script.bytes, 0);
    console.log(`\n${path}`);
    for (const script of scripts)
      console.log(`  ${script.url}  ${(script.bytes / 1024).toFixed(1)} KB`);
    console.log(`  initial JavaScript: ${(total / 1024).toFixed(1)} KB on the wire`);
    console.log(
      `  first contentful paint: median ${median(paints).toFixed(0)} ms of ${paints.map((p) => p.toFixed(0)).join(", ")}`,
    );
  }
} finally {
  await browser.close();
  await server.close();
}
