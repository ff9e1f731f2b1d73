import { defineConfig } from "vitest/config";

/**
 * Two projects: `unit` (fast, in-process, run before every commit) and `integration`
 * (real HTTP servers, databases, Redis and child processes).
 */
export default defineConfig({
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: ["server/**/*.test.ts"],
          exclude: ["**/*.int.test.ts", "**/node_modules/**"],
        },
      },
      {
        extends: true,
        test: {
          name: "integration",
          include: ["server/**/*.int.test.ts"],
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
    ],
    coverage: {
      provider: "v8",
      include: ["server/**/*.ts"],
      exclude: ["server/**/*.test.ts", "server/test/**"],
      reporter: ["text-summary", "text"],
    },
  },
});
