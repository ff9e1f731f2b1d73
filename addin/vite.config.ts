import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";
import { customFunctionsMetadata } from "./functions-metadata-plugin.ts";
import { preloadDynamicChunks } from "./preload-plugin.ts";

const root = fileURLToPath(new URL(".", import.meta.url));

/**
 * One shared-runtime page (taskpane.html) hosts the task pane and the custom functions; the
 * backend serves the build under /addin/, so API, add-in and manifest share one origin.
 */
export default defineConfig({
  root,
  base: "/addin/",
  plugins: [
    react(),
    customFunctionsMetadata(`${root}src/functions/functions.ts`),
    // The pane's code and React's renderer, fetched alongside the entry (see main.tsx).
    preloadDynamicChunks(/\/taskpane\/App\.tsx$|\/react-dom\/client\.js$/, "/addin/"),
  ],
  build: {
    outDir: `${root}dist`,
    emptyOutDir: true,
    rollupOptions: { input: { taskpane: `${root}taskpane.html` } },
  },
  server: { port: 3001 },
});
