import { defineConfig } from "vitest/config";

/**
 * Projects: `unit` (fast, in-process, run before every commit), `integration` (real HTTP
 * servers, databases, Redis and child processes), `hostile` (the hostile-input suite: fuzzer,
 * stall guard and memory test) and `e2e` (the built add-in served by the real backend, driven
 * in Chromium).
 *
 * Tests wait for events, never for fixed times, so a test's timeout only catches a hang: each is
 * sized for a machine whose cores are busy with other work (`npm run test:stress`).
 */
export default defineConfig({
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          sequence: { groupOrder: 0 },
          include: [
            "server/**/*.test.ts",
            "addin/src/**/*.test.{ts,tsx}",
            "scripts/**/*.test.ts",
            "bench/**/*.test.ts",
            "office-scripts/**/*.test.ts",
            "power-automate/**/*.test.ts",
            "deploy/**/*.test.ts",
          ],
          exclude: ["**/*.int.test.ts", "**/node_modules/**"],
          testTimeout: 20_000,
        },
      },
      {
        extends: true,
        test: {
          name: "integration",
          sequence: { groupOrder: 0 },
          include: [
            "server/**/*.int.test.ts",
            "addin/test/**/*.int.test.ts",
            "office-scripts/**/*.int.test.ts",
            "power-automate/**/*.int.test.ts",
            "deploy/**/*.int.test.ts",
          ],
          exclude: ["server/test/hostile/**", "**/node_modules/**"],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: {
          name: "hostile",
          include: ["server/test/hostile/**/*.int.test.ts"],
          // One file at a time, after the other projects have finished (groupOrder): the stall
          // guard times the event loop and the memory test weighs the heap, both best measured
          // without the rest of the suite competing for a 2-core machine.
          fileParallelism: false,
          sequence: { groupOrder: 1 },
          testTimeout: 120_000,
          hookTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: {
          name: "e2e",
          sequence: { groupOrder: 0 },
          include: ["addin/e2e/**/*.e2e.test.ts"],
          globalSetup: ["addin/e2e/build-addin.ts"],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // One browser at a time keeps a 2-core machine responsive.
          fileParallelism: false,
        },
      },
    ],
    coverage: {
      provider: "v8",
      include: ["server/**/*.ts", "addin/src/**/*.{ts,tsx}"],
      exclude: ["**/*.test.ts", "**/*.test.tsx", "server/test/**"],
      reporter: ["text-summary"],
      // The summary is printed when a test fails too.
      reportOnFailure: true,
    },
  },
});
