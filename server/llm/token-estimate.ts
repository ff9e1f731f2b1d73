/** A rough token count (about four characters a token), where no tokenizer or usage report is at hand. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}
