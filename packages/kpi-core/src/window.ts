// Window arithmetic. Windows are half-open [start, end) and labelled by start (design.md).
// Fixed windows (every in s/m/h) are pure arithmetic on the epoch grid: start = offset + k·every.
// Calendar windows (day/week/month) follow the wall clock of an IANA zone through luxon, so a
// DST day lasts 23 h or 25 h, weeks start on Monday (ISO 8601), and the offset is local clock time:
// `offset: 6h` starts every day at 06:00 local, DST days included.

import { DateTime, IANAZone } from "luxon";
import type { Window, WindowSpec } from "./model.js";

const DAY_MS = 86_400_000;

type CalendarSpec = Extract<WindowSpec, { kind: "calendar" }>;

/** The window that contains instant t (start <= t < end). */
export function windowContaining(spec: WindowSpec, t: number): Window {
  if (spec.kind === "fixed") {
    const start = spec.offsetMs + Math.floor((t - spec.offsetMs) / spec.everyMs) * spec.everyMs;
    return { start, end: start + spec.everyMs };
  }
  return calendarWindowContaining(spec, t);
}

/** The window right after w (its start is w's end). */
export function nextWindow(spec: WindowSpec, w: Window): Window {
  if (spec.kind === "fixed") return { start: w.end, end: w.end + spec.everyMs };
  return windowContaining(spec, w.end);
}

/** The window right before w (its end is w's start). */
export function previousWindow(spec: WindowSpec, w: Window): Window {
  if (spec.kind === "fixed") return { start: w.start - spec.everyMs, end: w.start };
  return windowContaining(spec, w.start - 1);
}

/** The first window that starts at or after t. */
export function windowAtOrAfter(spec: WindowSpec, t: number): Window {
  const w = windowContaining(spec, t);
  return w.start >= t ? w : nextWindow(spec, w);
}

/** Whether t is the start of a window (a valid `start` for a KPI). */
export function isWindowStart(spec: WindowSpec, t: number): boolean {
  return windowContaining(spec, t).start === t;
}

/** When a window may be computed: its end plus the KPI's settle time. */
export function windowClosesAt(w: Window, settleMs: number): number {
  return w.end + settleMs;
}

/**
 * The windows that lie entirely inside [from, to): start >= from and end <= to, in order. A
 * window cut by either bound is left out, so a range never yields a partial window.
 */
export function windowsBetween(spec: WindowSpec, from: number, to: number): Window[] {
  const windows: Window[] = [];
  for (let w = windowAtOrAfter(spec, from); w.end <= to; w = nextWindow(spec, w)) windows.push(w);
  return windows;
}

/** How many windows windowsBetween(spec, from, to) would list; arithmetic for fixed windows. */
export function countWindowsBetween(spec: WindowSpec, from: number, to: number): number {
  if (spec.kind === "fixed") {
    const first = windowAtOrAfter(spec, from).start;
    return to - first < spec.everyMs ? 0 : Math.floor((to - first) / spec.everyMs);
  }
  let count = 0;
  for (let w = windowAtOrAfter(spec, from); w.end <= to; w = nextWindow(spec, w)) count++;
  return count;
}

/**
 * The windows that share some time with the open interval (from, to): start < to and end > from.
 * A degenerate interval (from === to) yields the window containing that instant.
 */
export function windowsOverlapping(spec: WindowSpec, from: number, to: number): Window[] {
  if (to <= from) return [windowContaining(spec, from)];
  const windows: Window[] = [];
  for (let w = windowContaining(spec, from); w.start < to; w = nextWindow(spec, w)) {
    if (w.end > from) windows.push(w);
  }
  return windows;
}

/** The window's length in seconds (`windowSeconds` in expressions). */
export function windowSeconds(w: Window): number {
  return (w.end - w.start) / 1000;
}

// ---- calendar windows ----
// A calendar period is named by the epoch-day number of its first civil day (a Monday for weeks,
// the 1st for months). Its window starts `offset` after that day's local midnight on the wall
// clock: whole days of the offset move the civil date, the rest is a local time of day.

const zones = new Map<string, IANAZone>();

function zoneOf(name: string): IANAZone {
  let zone = zones.get(name);
  if (zone === undefined) {
    zone = IANAZone.create(name);
    if (!zone.isValid) {
      throw new RangeError(`unknown time zone "${name}"; use an IANA name such as Europe/Oslo or UTC`);
    }
    zones.set(name, zone);
  }
  return zone;
}

interface CivilDate {
  year: number;
  month: number;
  day: number;
}

function civilOf(dayNumber: number): CivilDate {
  const date = new Date(dayNumber * DAY_MS);
  return { year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate() };
}

function dayNumberOf(civil: CivilDate): number {
  return Date.UTC(civil.year, civil.month - 1, civil.day) / DAY_MS;
}

/** The civil day (epoch-day number) that instant t falls on in the zone. */
function localDayNumber(zone: IANAZone, t: number): number {
  return Math.floor((t + zone.offset(t) * 60_000) / DAY_MS);
}

function periodFirstDay(unit: CalendarSpec["unit"], dayNumber: number): number {
  switch (unit) {
    case "day":
      return dayNumber;
    case "week":
      // Epoch day 0 (1970-01-01) was a Thursday: Monday-based weekday index is (day + 3) mod 7.
      return dayNumber - ((((dayNumber + 3) % 7) + 7) % 7);
    case "month": {
      const civil = civilOf(dayNumber);
      return dayNumberOf({ year: civil.year, month: civil.month, day: 1 });
    }
  }
}

function shiftPeriod(unit: CalendarSpec["unit"], firstDay: number, periods: number): number {
  switch (unit) {
    case "day":
      return firstDay + periods;
    case "week":
      return firstDay + 7 * periods;
    case "month": {
      const civil = civilOf(firstDay);
      return dayNumberOf({ year: civil.year, month: civil.month + periods, day: 1 });
    }
  }
}

/**
 * The instant the period starting on civil day `firstDay` opens. A local time that does not exist
 * (skipped by a spring-forward jump) resolves to the same wall time after the jump, as luxon does;
 * the mapping stays monotonic, so windows still tile time.
 */
function periodStart(spec: CalendarSpec, zone: IANAZone, firstDay: number): number {
  // luxon's zone lookups cost tens of microseconds; the same boundaries are asked for again and
  // again (each window is the next one's neighbour), so remember them.
  const key = `${spec.timeZone}|${spec.offsetMs}|${firstDay}`;
  const known = periodStarts.get(key);
  if (known !== undefined) return known;
  const start = computePeriodStart(spec, zone, firstDay);
  if (periodStarts.size >= PERIOD_START_CACHE_SIZE) periodStarts.clear();
  periodStarts.set(key, start);
  return start;
}

const PERIOD_START_CACHE_SIZE = 100_000;
const periodStarts = new Map<string, number>();

function computePeriodStart(spec: CalendarSpec, zone: IANAZone, firstDay: number): number {
  const offsetDays = Math.floor(spec.offsetMs / DAY_MS);
  let rest = spec.offsetMs - offsetDays * DAY_MS;
  const hour = Math.floor(rest / 3_600_000);
  rest -= hour * 3_600_000;
  const minute = Math.floor(rest / 60_000);
  rest -= minute * 60_000;
  const second = Math.floor(rest / 1000);
  const millisecond = rest - second * 1000;
  const civil = civilOf(firstDay + offsetDays);
  return DateTime.fromObject(
    { ...civil, hour, minute, second, millisecond },
    { zone, locale: "en-US" },
  ).toMillis();
}

function calendarWindowContaining(spec: CalendarSpec, t: number): Window {
  const zone = zoneOf(spec.timeZone);
  const offsetDays = Math.floor(spec.offsetMs / DAY_MS);
  let first = periodFirstDay(spec.unit, localDayNumber(zone, t) - offsetDays);
  let start = periodStart(spec, zone, first);
  while (start > t) {
    first = shiftPeriod(spec.unit, first, -1);
    start = periodStart(spec, zone, first);
  }
  let next = shiftPeriod(spec.unit, first, 1);
  let end = periodStart(spec, zone, next);
  while (end <= t) {
    first = next;
    start = end;
    next = shiftPeriod(spec.unit, first, 1);
    end = periodStart(spec, zone, next);
  }
  return { start, end };
}
