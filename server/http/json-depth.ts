/**
 * Whether parsed JSON nests objects and arrays more than `maxDepth` levels deep (`[]` and `{}`
 * are one level, `[[]]` two). Walks with its own stack, not by recursion, so a body nested
 * 100,000 deep is answered rather than overflowing the call stack; and it stops at the first
 * container past the limit.
 */
export function nestsDeeperThan(value: unknown, maxDepth: number): boolean {
  const pending: unknown[] = [value];
  const depths: number[] = [1];
  while (pending.length > 0) {
    const node = pending.pop();
    const depth = depths.pop()!;
    if (typeof node !== "object" || node === null) continue;
    if (depth > maxDepth) return true;
    for (const child of Array.isArray(node) ? node : Object.values(node)) {
      if (typeof child === "object" && child !== null) {
        pending.push(child);
        depths.push(depth + 1);
      }
    }
  }
  return false;
}
