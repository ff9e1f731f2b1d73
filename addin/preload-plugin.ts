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
        // What the page loads anyway: its own entry and that entry's static imports (Vite
        // preloads those). Not another page's entry: the console's chunks are not loaded here.
        const loaded = withImports(context.chunk ? [context.chunk.fileName] : []);
        // The page's dynamic imports of the modules named (a chunk another page imports
        // statically, such as React's renderer, is not marked a dynamic entry, so ask the page).
        const dynamic = new Set(context.chunk?.dynamicImports ?? []);
        const wanted = withImports(
          chunks
            .filter((c) => dynamic.has(c.fileName) && c.moduleIds.some((id) => modules.test(id)))
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
