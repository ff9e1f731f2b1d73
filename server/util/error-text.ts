/**
 * What an error says. A connection refused on a name with both an IPv4 and an IPv6 address is an
 * AggregateError with no message of its own: its errors say what happened.
 */
export function errorText(error: unknown): string {
  if (error instanceof AggregateError && !error.message) {
    return [...new Set(error.errors.map(errorText))].join("; ");
  }
  if (error instanceof Error) {
    return error.message || (error as NodeJS.ErrnoException).code || error.name;
  }
  return String(error);
}
