/**
 * Money for people, the same everywhere in the pane: whole cents from a cent up ("$12.34"),
 * four decimals below ("$0.0042"), and never a float artefact.
 */
export function formatUsd(usd: number): string {
  if (usd === 0) return "$0.00";
  if (usd < 0.0001) return "under $0.0001";
  if (usd < 0.01) return `$${usd.toFixed(4)}`;
  return `$${usd.toFixed(2)}`;
}
