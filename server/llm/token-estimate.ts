/**
 * A rough token count (about four characters a token), where no tokenizer or usage report is at
 * hand. The add-in's cost estimate before a fill imports it too: keep it pure.
 */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}
