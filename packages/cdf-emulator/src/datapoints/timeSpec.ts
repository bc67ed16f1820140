// Times in datapoint queries: ms since epoch, "now", or `N[w|d|h|m|s]-ago` (the spec's
// TimestampOrStringStart/End and `before` of /timeseries/data/latest), resolved against the
// emulator's virtual clock so "2d-ago" is deterministic in tests.

import { CdfError } from "../context.js";

/** The range CDF accepts for datapoint timestamps (years 1900 through 2099). */
export const MIN_TIMESTAMP = -2208988800000;
export const MAX_TIMESTAMP = 4102444799999;

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

export function parseTimeSpec(value: unknown, now: number, field: string): number {
  if (typeof value === "number") {
    if (!Number.isInteger(value))
      throw new CdfError(400, `${field}: ${value} is not an integer number of ms`);
    return value;
  }
  if (typeof value === "string") {
    if (value === "now") return now;
    const m = /^(\d+)([wdhms])-ago$/.exec(value);
    if (m) return now - Number(m[1]) * UNIT_MS[m[2]!]!;
    // CDF also takes the integer as a string (the spec types `before` as a string).
    if (/^-?\d+$/.test(value)) return Number(value);
  }
  throw new CdfError(
    400,
    `${field}: ${JSON.stringify(value)} is not a time; use ms since epoch, "now" or N[w|d|h|m|s]-ago (e.g. "2d-ago")`,
  );
}
