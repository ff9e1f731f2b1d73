import { generateCustomFunctionsMetadata } from "custom-functions-metadata";
import type { Plugin } from "vite";

/**
 * Generates functions.json from the custom functions' JSDoc at build time. The tool reports
 * problems in `errors` but does not fail, so any reported error fails the build here.
 */
export function customFunctionsMetadata(source: string): Plugin {
  return {
    name: "officellm-custom-functions-metadata",
    async generateBundle() {
      const result = await generateCustomFunctionsMetadata(source, false);
      if (result.errors.length > 0) {
        this.error(
          `custom-functions-metadata found errors in ${source}:\n${result.errors.join("\n")}`,
        );
      }
      this.emitFile({ type: "asset", fileName: "functions.json", source: result.metadataJson });
    },
  };
}
