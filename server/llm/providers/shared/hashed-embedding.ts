/**
 * A deterministic embedding that needs no model, for the offline demo and the tests' fake
 * provider: a hashed bag of words and of the words' letter trigrams, scaled to length 1. Texts
 * that share words (or parts of words: "Corp" and "Corporation") point the same way, so cosine
 * similarity shows how much two texts have in common, and the same text always gives the same
 * vector.
 */
export function hashedEmbedding(text: string, dimensions: number): number[] {
  const vector = new Array<number>(dimensions).fill(0);
  for (const word of text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) {
    vector[bucket(word, dimensions)]! += 1;
    const padded = ` ${word} `;
    for (let at = 0; at + 3 <= padded.length; at++)
      vector[bucket(padded.slice(at, at + 3), dimensions)]! += 0.5;
  }
  const length = Math.sqrt(vector.reduce((sum, value) => sum + value * value, 0));
  return length === 0 ? vector : vector.map((value) => value / length);
}

/** FNV-1a of the text, as one of `dimensions` buckets. */
function bucket(text: string, dimensions: number): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % dimensions;
}
