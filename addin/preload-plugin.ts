import type { Plugin } from "vite";

/**
 * The task pane's code is loaded by a dynamic import (so the custom functions start first), and
 * Vite preloads only an entry's static imports: this adds `<link rel="modulepreload">` for the
 * chunks of the modules named (and what they import), so the browser fetches them in parallel
 * with the entry instead of after it has run. Only on `page` (the task pane): the admin console,
 * built alongside, needs none of the pane's chunks.
 */
export function preloadDynamicChunks(page: string, modules: RegExp, base: string): Plugin {
  return {
    name: "officellm-preload-dynamic-chunks",
    apply: "build",
    transformIndexHtml: {
      order: "post",
      handler(_html, context) {
        const bundle = context.bundle;
        if (!bundle || !context.path.endsWith(page)) return [];
        const chunks = Object.values(bundle).flatMap((output) =>
          output.type === "chunk" ? [output] : [],
        );
        const withImports = (roots: string[]) => {
          const found = new Set<string>();
          const add = (fileName: string) => {
            if (found.has(fileName)) return;
            found.add(fileName);
            for (const imported of chunks.find((c) => c.fileName === fileName)?.imports ?? [])
              add(imported);
          };
          roots.forEach(add);
          return found;
        };
        // What the page loads anyway: the entry and its static imports (Vite preloads those).
        const loaded = withImports(chunks.filter((c) => c.isEntry).map((c) => c.fileName));
        const wanted = withImports(
          chunks
            .filter((c) => c.isDynamicEntry && c.moduleIds.some((id) => modules.test(id)))
            .map((c) => c.fileName),
        );
        return [...wanted]
          .filter((fileName) => !loaded.has(fileName))
          .map((fileName) => ({
            tag: "link",
            attrs: { rel: "modulepreload", crossorigin: true, href: `${base}${fileName}` },
            injectTo: "head" as const,
          }));
      },
    },
  };
}
