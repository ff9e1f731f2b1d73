const units: Record<string, number> = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** Parses "90s", "15m", "24h", "30d" or "2w" into milliseconds. */
export function parseDuration(value: string): number {
  const match = /^(\d+)\s*([smhdw])$/.exec(value.trim());
  if (!match || Number(match[1]) <= 0) {
    throw new Error(`"${value}" is not a duration such as 90s, 15m, 24h, 30d or 2w`);
  }
  return Number(match[1]) * units[match[2]!]!;
}
