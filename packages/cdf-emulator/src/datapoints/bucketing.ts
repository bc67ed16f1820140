// Aggregate intervals. CDF aligns them to the granularity UNIT (not the multiple): the start is
// rounded down to a whole second/minute/hour/day/month, and intervals of N units follow from
// there (docs.cognite.com/dev/concepts/aggregation: "1h vs 60 min granularity"). With a timeZone,
// day and month intervals follow local midnight, so a DST day lasts 23 or 25 hours; hour
// intervals stay 3,600,000 ms but start on a local hour (which differs from UTC only in zones
// with a non-whole-hour offset).

import { DateTime, type DurationLikeObject } from "luxon";
import { CdfError } from "../context.js";

export type GranularityUnit = "second" | "minute" | "hour" | "day" | "month";

export interface Granularity {
  multiple: number;
  unit: GranularityUnit;
}

const UNIT_NAMES: Record<string, GranularityUnit> = {
  s: "second",
  sec: "second",
  second: "second",
  seconds: "second",
  m: "minute",
  min: "minute",
  minute: "minute",
  minutes: "minute",
  h: "hour",
  hour: "hour",
  hours: "hour",
  d: "day",
  day: "day",
  days: "day",
  mo: "month",
  month: "month",
  months: "month",
};

const FIXED_MS: Record<Exclude<GranularityUnit, "month">, number> = {
  second: 1000,
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
};

export function parseGranularity(text: unknown, where: string): Granularity {
  const m = typeof text === "string" ? /^(\d*)([a-z]+)$/.exec(text) : null;
  const unit = m ? UNIT_NAMES[m[2]!] : undefined;
  if (!m || !unit) {
    throw new CdfError(
      400,
      `${where}: invalid granularity ${JSON.stringify(text)}; use N followed by s, m, h, d or mo (or second, minute, hour, day, month), e.g. "1h"`,
    );
  }
  const multiple = m[1] === "" ? 1 : Number(m[1]);
  const max = unit === "second" || unit === "minute" ? 120 : 100_000;
  if (!(multiple >= 1 && multiple <= max)) {
    throw new CdfError(
      400,
      `${where}: granularity ${text}: the multiple of a ${unit} must be between 1 and ${max}`,
    );
  }
  return { multiple, unit };
}

/** Validate a `timeZone` (IANA name or UTC+/-HH:MM in 15-minute steps) and return luxon's name for it. */
export function parseTimeZone(text: unknown, where: string): string {
  if (text === undefined || text === null || text === "UTC" || text === "Z") return "UTC";
  if (typeof text === "string") {
    const fixed = /^UTC([+-])(\d{2}):(\d{2})$/.exec(text);
    if (fixed) {
      const minutes = Number(fixed[2]) * 60 + Number(fixed[3]);
      if (minutes % 15 === 0 && minutes <= 14 * 60) return text;
    } else if (DateTime.fromMillis(0, { zone: text }).isValid) {
      return text;
    }
  }
  throw new CdfError(
    400,
    `${where}: invalid timeZone ${JSON.stringify(text)}; use an IANA name (e.g. "Europe/Oslo") or UTC+HH:MM in 15-minute steps`,
  );
}

/** The intervals of one aggregate query, aligned from the query's start. */
export interface Bucketing {
  /** Start of the interval containing t. */
  startOf(t: number): number;
  /** Exclusive end of the interval that starts at `start`. */
  endOf(start: number): number;
  /**
   * For hour, day and month granularities: the start of the hour (in the query's time zone) that
   * holds t. Those aggregates are built from hourly ones (aggregateBuilder.ts, `#reach`).
   */
  hourOf?(t: number): number;
}

const HOUR_MS = 3_600_000;

/** The start of the local hour holding t; only zones with a non-whole-hour offset differ from UTC. */
function hourOfIn(timeZone: string): (t: number) => number {
  if (isUtc(timeZone)) return (t) => Math.floor(t / HOUR_MS) * HOUR_MS;
  return (t) => {
    const offsetMs = DateTime.fromMillis(t, { zone: timeZone }).offset * 60_000;
    return Math.floor((t + offsetMs) / HOUR_MS) * HOUR_MS - offsetMs;
  };
}

export function createBucketing(g: Granularity, rangeStart: number, timeZone: string): Bucketing {
  const buckets = createIntervals(g, rangeStart, timeZone);
  return g.unit === "second" || g.unit === "minute" ? buckets : { ...buckets, hourOf: hourOfIn(timeZone) };
}

function createIntervals(g: Granularity, rangeStart: number, timeZone: string): Bucketing {
  const calendar = g.unit === "month" || (g.unit === "day" && !isUtc(timeZone));
  if (!calendar) {
    const unitMs = FIXED_MS[g.unit as Exclude<GranularityUnit, "month">];
    const origin =
      g.unit === "hour" && !isUtc(timeZone)
        ? DateTime.fromMillis(rangeStart, { zone: timeZone }).startOf("hour").toMillis()
        : Math.floor(rangeStart / unitMs) * unitMs;
    const length = unitMs * g.multiple;
    return {
      startOf: (t) => origin + Math.floor((t - origin) / length) * length,
      endOf: (start) => start + length,
    };
  }
  const unit = g.unit === "month" ? "month" : "day";
  const origin = DateTime.fromMillis(rangeStart, { zone: timeZone }).startOf(unit);
  const approxMs = (g.unit === "month" ? 30.436875 : 1) * 86_400_000 * g.multiple;
  const plus = (k: number): DurationLikeObject => (unit === "month" ? { months: k } : { days: k });
  const startK = (k: number): number => origin.plus(plus(k * g.multiple)).toMillis();
  const indexOf = (t: number): number => {
    let k = Math.floor((t - origin.toMillis()) / approxMs);
    while (startK(k + 1) <= t) k++;
    while (startK(k) > t) k--;
    return k;
  };
  return {
    startOf: (t) => startK(indexOf(t)),
    endOf: (start) => startK(indexOf(start) + 1),
  };
}

function isUtc(timeZone: string): boolean {
  return timeZone === "UTC" || timeZone === "UTC+00:00" || timeZone === "UTC-00:00";
}
