/** An answer as rows: one per non-empty line, list bullets and numbering taken off. */
export function answerLines(answer: string): string[] {
  return answer
    .split(/\r?\n/)
    .map((line) => line.trim().replace(/^(?:[-*•+]|\d{1,3}[.)])\s+/, ""))
    .filter((line) => line.length > 0);
}

/** Fills a template's {{variables}} for a preview (the backend does the real filling). */
export function previewTemplate(body: string, variables: Record<string, string>): string {
  return body.replace(/\{\{\s*([^{}]+?)\s*\}\}/g, (whole, name: string) =>
    variables[name] ? variables[name] : whole,
  );
}
