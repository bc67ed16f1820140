import { CDF_MAX_TIME, CDF_MIN_TIME } from "./model.js";
import { quoteForMessage } from "./quoteForMessage.js";

// Durations as kpis.yaml writes them: one integer and one unit (`10s`, `5m`, `1h`, `1d`, `1w`, `1mo`).
// One unit per value keeps the grammar unambiguous (`1m` is a minute, `1mo` a month), the same
// unit letters CDF uses for `N[w|d|h|m|s]-ago` and aggregate granularities.

export type DurationUnit = "s" | "m" | "h" | "d" | "w" | "mo";

export interface Duration {
  amount: number;
  unit: DurationUnit;
}

/** Milliseconds per fixed unit. A month has no fixed length, so it is absent. */
export const UNIT_MS: Readonly<Record<Exclude<DurationUnit, "mo">, number>> = {
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** The text form every duration field accepts; also the JSON Schema `pattern`. */
export const DURATION_PATTERN = "^(0|[0-9]+(s|m|h|d|w|mo))$";
const DURATION_REGEX = /^([0-9]+)(mo|s|m|h|d|w)$/;

export const DURATION_HINT = "use e.g. 10m, 1h, 1d, 1w, 1mo";

/** CDF stores timestamps from 1900-01-01T00:00:00Z to 2099-12-31T23:59:59.999Z; this is their span. */
export const MAX_DURATION_MS = CDF_MAX_TIME + 1 - CDF_MIN_TIME;

export class DurationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DurationError";
  }
}

/**
 * Parses `10s`, `5m`, `1h`, `1d`, `1w`, `1mo`; `0` (string or number) is zero seconds, for offsets
 * and settle. Throws DurationError with a message that shows the fix.
 */
export function parseDuration(text: string | number): Duration {
  if (text === 0 || text === "0") return { amount: 0, unit: "s" };
  if (typeof text !== "string") {
    throw new DurationError(`${quoteForMessage(text)} is not a duration; ${DURATION_HINT}`);
  }
  const match = DURATION_REGEX.exec(text.trim());
  if (!match) throw new DurationError(`${quoteForMessage(text)} is not a duration; ${DURATION_HINT}`);
  const amount = Number(match[1]);
  const unit = match[2] as DurationUnit;
  // A month is at least 28 days; a duration longer than CDF's whole time range can be no window,
  // gap or settle time, and its milliseconds would run past the dates a Date can hold.
  const ms = amount * (unit === "mo" ? 28 * UNIT_MS.d : UNIT_MS[unit]);
  if (!Number.isSafeInteger(amount) || ms > MAX_DURATION_MS) {
    throw new DurationError(
      `${quoteForMessage(text)} is longer than CDF's whole time range (1900-01-01 to 2099-12-31, ${MAX_DURATION_MS / UNIT_MS.h}h); ${DURATION_HINT}`,
    );
  }
  return { amount, unit };
}

/** Milliseconds of a fixed-length duration (`1d` counts as 24 h here). Months have no fixed length. */
export function durationMs(duration: Duration): number {
  if (duration.unit === "mo") {
    throw new DurationError(
      `"${formatDuration(duration)}" has no fixed length (months differ); use days instead, e.g. 30d`,
    );
  }
  return duration.amount * UNIT_MS[duration.unit];
}

/** parseDuration + durationMs: for settle, maxGap, offsets and flatline durations. */
export function parseFixedDuration(text: string | number): number {
  return durationMs(parseDuration(text));
}

export function formatDuration(duration: Duration): string {
  return `${duration.amount}${duration.unit}`;
}

/** The shortest single-unit text for a millisecond duration (`5400000` -> `90m`); ms only if it must. */
export function formatDurationMs(ms: number): string {
  if (ms === 0) return "0s";
  for (const unit of ["w", "d", "h", "m", "s"] as const) {
    if (ms % UNIT_MS[unit] === 0) return `${ms / UNIT_MS[unit]}${unit}`;
  }
  return `${ms}ms`;
}
