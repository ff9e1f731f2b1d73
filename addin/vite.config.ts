import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";
import { recordBuildInputs } from "./build-inputs-plugin.ts";
import { customFunctionsMetadata } from "./functions-metadata-plugin.ts";
import { preloadDynamicChunks } from "./preload-plugin.ts";

const root = fileURLToPath(new URL(".", import.meta.url));

/**
 * One shared-runtime page (taskpane.html) hosts the task pane and the custom functions; the
 * backend serves the build under /addin/, so API, add-in and manifest share one origin. The admin
 * console (admin/index.html) is built with it and served at /admin/, its assets under /addin/.
 */
export default defineConfig({
  root,
  base: "/addin/",
  plugins: [
    react(),
    customFunctionsMetadata(`${root}src/functions/functions.ts`),
    recordBuildInputs(`${root}..`, [
      `${root}vite.config.ts`,
      `${root}functions-metadata-plugin.ts`,
      `${root}build-inputs-plugin.ts`,
      `${root}preload-plugin.ts`,
      `${root}../package-lock.json`,
    ]),
    // The pane's code and React's renderer, fetched alongside the entry (see main.tsx).
    preloadDynamicChunks(
      "/taskpane.html",
      /\/taskpane\/App\.tsx$|\/react-dom\/client\.js$/,
      "/addin/",
    ),
  ],
  build: {
    outDir: `${root}dist`,
    emptyOutDir: true,
    rollupOptions: {
      input: { taskpane: `${root}taskpane.html`, admin: `${root}admin/index.html` },
    },
  },
  server: { port: 3001 },
});
