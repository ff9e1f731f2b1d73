import { generateCustomFunctionsMetadata } from "custom-functions-metadata";
import type { Plugin } from "vite";

/**
 * The parameters Excel should call the function for even when a cell they read holds an error
 * (the error then arrives as a value, shown to the model as "#N/A"…): the ranges given as context
 * and SUMMARIZE's text. Without it one error cell in a context range stops the formula. The JSDoc
 * tool has no tag for this setting, so it is added to functions.json here.
 */
export const ERROR_TOLERANT_PARAMETERS: Readonly<Record<string, readonly string[]>> = {
  PROMPT: ["context"],
  "PROMPT.TOROW": ["context"],
  "PROMPT.TOCOLUMN": ["context"],
  LIST: ["context"],
  TABLE: ["context"],
  SUMMARIZE: ["text"],
};

interface Metadata {
  functions: { id: string; parameters: { name: string; type?: string }[] }[];
}

/**
 * Sets allowErrorForDataTypeAny on the error-tolerant parameters; throws when one is missing or
 * not of type any (the only type the setting applies to), so a renamed parameter cannot silently
 * lose it.
 */
export function allowErrorsInContext(metadataJson: string): string {
  const metadata = JSON.parse(metadataJson) as Metadata;
  for (const [id, names] of Object.entries(ERROR_TOLERANT_PARAMETERS)) {
    for (const name of names) {
      const parameter = metadata.functions
        .find((fn) => fn.id === id)
        ?.parameters.find((candidate) => candidate.name === name);
      if (parameter?.type !== "any") {
        throw new Error(`functions.json has no parameter ${name} of type any in ${id}`);
      }
      Object.assign(parameter, { allowErrorForDataTypeAny: true });
    }
  }
  return JSON.stringify(metadata, null, 2);
}

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
      const metadataJson = allowErrorsInContext(result.metadataJson);
      this.emitFile({ type: "asset", fileName: "functions.json", source: metadataJson });
    },
  };
}
