// ESLint flat config: ESLint's and typescript-eslint's recommended rules, Node globals.
import js from "@eslint/js";
import { defineConfig, globalIgnores } from "eslint/config";
import globals from "globals";
import tseslint from "typescript-eslint";

export default defineConfig(
  globalIgnores([
    "**/node_modules/",
    ".tools/",
    "coverage/",
    "dist/",
    "data/",
    "addin/dist/",
    "test-results/",
  ]),
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: "latest",
      sourceType: "module",
      globals: globals.node,
    },
    rules: {
      // One rule for JS and TS; `_`-prefixed names are deliberately unused.
      "no-unused-vars": "off",
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrorsIgnorePattern: "^_" },
      ],
    },
  },
  {
    // Type-aware rules that catch real bugs: a promise nobody awaits or handles, and a promise
    // passed where a callback's result is ignored (an async listener whose rejection is lost).
    files: ["**/*.ts", "**/*.tsx"],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
    },
  },
  {
    // The add-in runs in the browser: of the server it takes the wire types, type-only so the
    // build erases them, and the pure token estimate; nothing else reaches its bundle.
    files: ["addin/src/**/*.ts", "addin/src/**/*.tsx"],
    rules: {
      "@typescript-eslint/no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              regex: "/server/(?!wire\\.ts$|llm/token-estimate\\.ts$)",
              message:
                "Of the server, the add-in takes only server/wire.ts and the token estimate.",
            },
            {
              group: ["**/server/wire.ts"],
              allowTypeImports: true,
              message: "Import the wire types with `import type`: the bundle has no server code.",
            },
          ],
        },
      ],
    },
  },
  {
    // Office Scripts: Excel calls each script's `main`, which nothing in the file uses.
    files: ["office-scripts/*.ts"],
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { varsIgnorePattern: "^main$|^_" }],
      "no-restricted-syntax": [
        "error",
        {
          selector: "ImportDeclaration, ImportExpression",
          message: "Office Scripts have no imports.",
        },
        {
          selector: "ExportNamedDeclaration, ExportDefaultDeclaration, ExportAllDeclaration",
          message: "Office Scripts have no exports.",
        },
      ],
    },
  },
);
