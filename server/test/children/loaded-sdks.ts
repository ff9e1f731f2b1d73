/**
 * Builds the gateway from this process's settings, then prints (as JSON) which provider SDKs it
 * loaded. Run by server/llm/providers/lazy-sdks.int.test.ts.
 */
import { registerHooks } from "node:module";

const sdks = {
  openai: "/node_modules/openai/",
  anthropic: "/node_modules/@anthropic-ai/sdk/",
  google: "/node_modules/@google/genai/",
};
const loaded = new Set<string>();
registerHooks({
  resolve(specifier, context, nextResolve) {
    const resolved = nextResolve(specifier, context);
    for (const [name, folder] of Object.entries(sdks))
      if (resolved.url.includes(folder)) loaded.add(name);
    return resolved;
  },
});

// Imported after the hook, so that every module the gateway loads passes through it.
const { loadConfig } = await import("../../config.ts");
const { createGateway } = await import("../../llm/gateway.ts");
await createGateway(loadConfig(process.env));
process.stdout.write(`${JSON.stringify([...loaded].sort())}\n`);
