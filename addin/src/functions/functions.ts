/**
 * Echoes a value (placeholder until the LLM functions land).
 * @customfunction
 * @param value The value to echo.
 * @returns The same value.
 */
export function echo(value: string): string {
  return value;
}
