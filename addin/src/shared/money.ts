/**
 * Money for people. The API gives USD numbers that are exact decimals of whole nano-dollars
 * (server/util/money.ts); they are turned back into integers before any rounding or sum, so no
 * float artefact (0.30000000000000004) can reach the screen or a CSV file.
 */

const NANO_PER_USD = 1_000_000_000;

/** A USD figure from the API as whole nano-dollars. */
export function usdToNano(usd: number): number {
  return Math.round(usd * NANO_PER_USD);
}

/** Sums USD figures exactly, in nano-dollars; answers USD. */
export function sumUsd(values: readonly number[]): number {
  return values.reduce((total, usd) => total + usdToNano(usd), 0) / NANO_PER_USD;
}

/** Rounds half away from zero to `digits` decimals, in integers: "12.35". */
function fixed(nano: number, digits: number): string {
  const unit = 10 ** (9 - digits);
  const rounded = Math.round(Math.abs(nano) / unit);
  const whole = Math.floor(rounded / 10 ** digits);
  const fraction = String(rounded % 10 ** digits).padStart(digits, "0");
  return digits === 0 ? String(whole) : `${whole.toLocaleString("en-US")}.${fraction}`;
}

/**
 * "$12.34" from a cent up, "$0.0042" below (four decimals: a single cheap call stays visible),
 * "< $0.0001" for less than that but more than nothing, "$0.00" for nothing.
 */
export function formatUsd(usd: number): string {
  const nano = usdToNano(usd);
  const sign = nano < 0 ? "−" : "";
  const size = Math.abs(nano);
  if (size === 0) return "$0.00";
  // From what four decimals would show as $0.0100 (0.00995) up: cents.
  if (size >= 9_950_000) return `${sign}$${fixed(size, 2)}`;
  if (size < 50_000) return `${sign}< $0.0001`;
  return `${sign}$${fixed(size, 4)}`;
}
