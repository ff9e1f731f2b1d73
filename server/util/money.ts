/**
 * Money is kept and summed as whole nano-dollars (10⁻⁹ USD): every catalog price, in USD per
 * million tokens with at most three decimals, is a whole number of nano-dollars per token, so a
 * call's cost is exact integer arithmetic. Figures become USD numbers only at the API's edge.
 * Integers stay exact up to 2⁵³ nano-dollars (about $9 million a figure).
 */

export const NANO_USD_PER_USD = 1_000_000_000;

/** A USD amount (a budget as set, a price) in whole nano-dollars. */
export function usdToNanoUsd(usd: number): number {
  return Math.round(usd * NANO_USD_PER_USD);
}

/**
 * Nano-dollars as a USD number, for a response: the division is correctly rounded, so the number
 * prints as the exact decimal (0.00008775, never 0.00008774999999999999) below $1 million.
 */
export function nanoUsdToUsd(nanoUsd: number): number {
  return nanoUsd / NANO_USD_PER_USD;
}

/** A price in USD per million tokens as whole nano-dollars per token. */
export function nanoUsdPerToken(usdPerMillionTokens: number): number {
  return Math.round(usdPerMillionTokens * 1000);
}

/** "$1.25", "$0.00008775": the exact amount, for messages. */
export function formatUsd(nanoUsd: number): string {
  const whole = Math.floor(nanoUsd / NANO_USD_PER_USD);
  const fraction = String(nanoUsd - whole * NANO_USD_PER_USD)
    .padStart(9, "0")
    .replace(/0+$/, "")
    .padEnd(2, "0");
  return `$${whole}.${fraction}`;
}
