/**
 * Vectors as OpenAI's `encoding_format: "base64"` gives them: float32 values, little-endian, in
 * base64. The response cache keeps them so too: a quarter of their size as JSON numbers.
 */
export function toBase64(vector: Float32Array): string {
  return littleEndian(vector).toString("base64");
}

export function fromBase64(text: string): Float32Array {
  const bytes = Buffer.from(text, "base64");
  const vector = new Float32Array(bytes.length / 4);
  for (let index = 0; index < vector.length; index++) vector[index] = bytes.readFloatLE(index * 4);
  return vector;
}

function littleEndian(vector: Float32Array): Buffer {
  const bytes = Buffer.alloc(vector.length * 4);
  vector.forEach((value, index) => bytes.writeFloatLE(value, index * 4));
  return bytes;
}
