import { INTEGRAL_UNIT_SECONDS } from "./expression.js";
import { lowerBound, type PreparedInput } from "./interpolate.js";
import type { AggregateName, Window } from "./model.js";

/** Carries the position of the previous window between calls, so ordered sweeps stay O(points + windows). */
export interface AggregateHint {
  index: number;
}

/**
 * One aggregate of one input over one window [start, end), or undefined for "no value".
 * For many aggregates or many windows, a WindowAggregates reuses the range search and the
 * one-pass sums between aggregates of the same window.
 */
export function aggregate(
  prepared: PreparedInput,
  fn: AggregateName,
  args: ReadonlyArray<number | string>,
  window: Window,
  hint?: AggregateHint,
): number | undefined {
  const view = new WindowAggregates(prepared);
  if (hint !== undefined) view.cursor = hint.index;
  view.moveTo(window);
  if (hint !== undefined) hint.index = view.cursor;
  return view.value(fn, args);
}

/**
 * The aggregates of one input, window by window. `moveTo` finds the window's points by a
 * galloping search from the previous window's position; `value` computes an aggregate,
 * sharing one pass over the points (count/sum/min/max) and one pass over the interpolant
 * (integral/covered time) between all aggregates that need them.
 */
export class WindowAggregates {
  /** Index of the first point >= the current window's start; the next search starts here. */
  cursor = 0;
  private start = 0;
  private end = 0;
  /** Points inside the window: [lo, hi). */
  private lo = 0;
  private hi = 0;
  private pointsDone = false;
  private sum = 0;
  private min = 0;
  private max = 0;
  private interpolantDone = false;
  /** ∫ f dt over the covered part, value × milliseconds. */
  private integralMs = 0;
  private coveredMs = 0;

  constructor(readonly input: PreparedInput) {}

  moveTo(window: Window): void {
    const { timestamps, length } = this.input;
    this.start = window.start;
    this.end = window.end;
    this.lo = lowerBound(timestamps, length, window.start, this.cursor);
    this.hi = lowerBound(timestamps, length, window.end, this.lo);
    this.cursor = this.lo;
    this.pointsDone = false;
    this.interpolantDone = false;
  }

  /** Number of kept points with start <= t < end. */
  get pointCount(): number {
    return this.hi - this.lo;
  }

  value(fn: AggregateName, args: ReadonlyArray<number | string>): number | undefined {
    switch (fn) {
      case "count":
        return this.hi - this.lo;
      case "coverage":
        this.interpolant();
        return this.coveredMs / (this.end - this.start);
      case "twa":
        this.interpolant();
        return this.coveredMs > 0 ? this.integralMs / this.coveredMs : undefined;
      case "integral": {
        // Nothing covered is "no value", as for twa: a meter that sent nothing did not measure
        // 0 kWh. design.md names its only zero-on-nothing aggregates (coverage, timeAbove/
        // Below/Equal, count); integral is not one of them.
        const unitMs = integralUnitMs(args[0]);
        this.interpolant();
        return this.coveredMs > 0 ? this.integralMs / unitMs : undefined;
      }
      case "timeAbove":
      case "timeBelow":
      case "timeEqual":
        return this.timeRelativeTo(fn, thresholdArgument(fn, args[0])) / 1000;
      case "delta":
        return this.delta();
    }
    if (this.hi === this.lo) return undefined;
    switch (fn) {
      case "first":
        return this.input.values[this.lo]!;
      case "last":
        return this.input.values[this.hi - 1]!;
      case "sum":
        this.points();
        return this.sum;
      case "mean":
        this.points();
        return this.sum / (this.hi - this.lo);
      case "min":
        this.points();
        return this.min;
      case "max":
        this.points();
        return this.max;
      case "stddev":
        return this.stddev();
      case "percentile":
        return this.percentile(percentileArgument(args[0]));
    }
  }

  /** Why `value(fn, ...)` is undefined for the current window, naming the input as `name`. */
  explain(fn: AggregateName, name: string): string {
    const q = JSON.stringify(name);
    if (fn === "twa" || fn === "integral") {
      // Not "no points at all": whether any exist depends on how far the reader looked.
      return `no covered time of ${q} in window (no points in or around it within maxGap)`;
    }
    if (fn === "delta" && this.hi > this.lo) {
      return `delta(${name}) needs a point before the window or two inside it; ${q} has one`;
    }
    return `no points of ${q} in window`;
  }

  private points(): void {
    if (this.pointsDone) return;
    const values = this.input.values;
    let sum = 0;
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    for (let i = this.lo; i < this.hi; i++) {
      const v = values[i]!;
      sum += v;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    this.sum = sum;
    this.min = min;
    this.max = max;
    this.pointsDone = true;
  }

  /**
   * Integral and covered time of f over [start, end). Segments fully inside the window take the
   * fast path; only the two that cross an edge (from the last point before, to the first after)
   * are clipped.
   */
  private interpolant(): void {
    if (this.interpolantDone) return;
    const { timestamps: t, values: v, length: n, maxGapMs, step } = this.input;
    const { start, end, lo, hi } = this;
    let integral = 0;
    let covered = 0;
    const first = Math.max(lo - 1, 0);
    // Segment j runs from point j to point j + 1; the last one may end at the first point after.
    const last = Math.min(hi, n - 1) - 1;
    for (let j = first; j <= last; j++) {
      const t0 = t[j]!;
      const t1 = t[j + 1]!;
      const v0 = v[j]!;
      if (step) {
        const holdEnd = Math.min(t1, t0 + maxGapMs);
        const a = Math.max(t0, start);
        const b = Math.min(holdEnd, end);
        if (b > a) {
          integral += v0 * (b - a);
          covered += b - a;
        }
        continue;
      }
      const dt = t1 - t0;
      if (dt > maxGapMs) continue;
      const v1 = v[j + 1]!;
      if (t0 >= start && t1 <= end) {
        integral += (v0 + v1) * 0.5 * dt;
        covered += dt;
        continue;
      }
      const a = Math.max(t0, start);
      const b = Math.min(t1, end);
      if (b > a) {
        const slope = (v1 - v0) / dt;
        const fa = v0 + slope * (a - t0);
        const fb = v0 + slope * (b - t0);
        integral += (fa + fb) * 0.5 * (b - a);
        covered += b - a;
      }
    }
    // A step series' last point holds after it (for at most maxGap); a linear one is never extrapolated.
    if (step && n > 0 && hi === n) {
      const t0 = t[n - 1]!;
      const a = Math.max(t0, start);
      const holdEnd = t0 + maxGapMs;
      const b = Math.min(holdEnd, end);
      if (b > a) {
        integral += v[n - 1]! * (b - a);
        covered += b - a;
      }
    }
    this.integralMs = integral;
    this.coveredMs = covered;
    this.interpolantDone = true;
  }

  /**
   * Milliseconds of the covered part where f > c, < c or = c. A crossing inside a linear segment
   * is placed by its fraction of the segment, in offsets from the segment's start (small exact
   * integers), not as an epoch timestamp, whose ulp (~0.2 µs) would leak into the sums.
   */
  private timeRelativeTo(fn: "timeAbove" | "timeBelow" | "timeEqual", c: number): number {
    const { timestamps: t, values: v, length: n, maxGapMs, step } = this.input;
    const { start, end, lo, hi } = this;
    let total = 0;
    const first = Math.max(lo - 1, 0);
    const last = Math.min(hi, n - 1) - 1;
    for (let j = first; j <= last; j++) {
      const t0 = t[j]!;
      const t1 = t[j + 1]!;
      const v0 = v[j]!;
      if (step) {
        const holdEnd = Math.min(t1, t0 + maxGapMs);
        const b = Math.min(holdEnd, end) - t0;
        const a = Math.max(t0, start) - t0;
        if (b > a && holds(fn, v0, c)) total += b - a;
        continue;
      }
      const dt = t1 - t0;
      if (dt > maxGapMs) continue;
      const a = Math.max(t0, start) - t0;
      const b = Math.min(t1, end) - t0;
      if (b <= a) continue;
      total += linearTimeRelativeTo(fn, v0, v[j + 1]!, dt, a, b, c);
    }
    if (step && n > 0 && hi === n) {
      const t0 = t[n - 1]!;
      const holdEnd = t0 + maxGapMs;
      const b = Math.min(holdEnd, end);
      const a = Math.max(t0, start);
      if (b > a && holds(fn, v[n - 1]!, c)) total += b - a;
    }
    return total;
  }

  /**
   * Counter increase from the last point before the window (however old: maxGap does not apply)
   * to the last point inside. A decrease is a reset to zero, so it adds the new value: design.md
   * defines delta() this way for every input (`counter: true` marks intent and feeds planning).
   */
  private delta(): number | undefined {
    const { lo, hi } = this;
    if (hi === lo) return undefined;
    const from = lo > 0 ? lo - 1 : lo;
    if (hi - from < 2) return undefined;
    const v = this.input.values;
    let total = 0;
    for (let i = from + 1; i < hi; i++) {
      const d = v[i]! - v[i - 1]!;
      total += d >= 0 ? d : v[i]!;
    }
    return total;
  }

  /** Population standard deviation, two passes (mean first) to avoid cancellation in Σv². */
  private stddev(): number {
    this.points();
    const n = this.hi - this.lo;
    const mean = this.sum / n;
    const v = this.input.values;
    let squares = 0;
    for (let i = this.lo; i < this.hi; i++) {
      const d = v[i]! - mean;
      squares += d * d;
    }
    return Math.sqrt(squares / n);
  }

  /** numpy's default ("linear"): rank h = (n - 1) p / 100, interpolated between the closest ranks. */
  private percentile(p: number): number {
    const sorted = this.input.values.slice(this.lo, this.hi).sort();
    const h = ((sorted.length - 1) * p) / 100;
    const below = Math.floor(h);
    const lower = sorted[below]!;
    if (below + 1 >= sorted.length) return lower;
    return lower + (h - below) * (sorted[below + 1]! - lower);
  }
}

function holds(fn: "timeAbove" | "timeBelow" | "timeEqual", value: number, c: number): boolean {
  if (fn === "timeAbove") return value > c;
  if (fn === "timeBelow") return value < c;
  return value === c;
}

/**
 * Time within offsets [a, b] of a linear segment from v0 (offset 0) to v1 (offset dt) where
 * f > c, < c or = c. A sloped segment equals c at a single instant only, so timeEqual counts
 * only segments flat at c.
 */
function linearTimeRelativeTo(
  fn: "timeAbove" | "timeBelow" | "timeEqual",
  v0: number,
  v1: number,
  dt: number,
  a: number,
  b: number,
  c: number,
): number {
  if (v0 === v1) return holds(fn, v0, c) ? b - a : 0;
  if (fn === "timeEqual") return 0;
  const crossing = ((c - v0) / (v1 - v0)) * dt;
  // Rising: f > c after the crossing; falling: before it.
  const aboveAfterCrossing = v1 > v0;
  const wantAbove = fn === "timeAbove";
  if (aboveAfterCrossing === wantAbove) {
    const from = Math.max(crossing, a);
    return b > from ? b - from : 0;
  }
  const to = Math.min(crossing, b);
  return to > a ? to - a : 0;
}

function integralUnitMs(unit: number | string | undefined): number {
  if (unit === undefined) return 1000;
  const seconds =
    typeof unit === "string" && Object.hasOwn(INTEGRAL_UNIT_SECONDS, unit)
      ? INTEGRAL_UNIT_SECONDS[unit as keyof typeof INTEGRAL_UNIT_SECONDS]
      : undefined;
  if (seconds === undefined) {
    throw new RangeError(`integral unit ${JSON.stringify(unit)} is not one of "s", "m", "h", "d"`);
  }
  return seconds * 1000;
}

function thresholdArgument(fn: string, c: number | string | undefined): number {
  if (typeof c !== "number" || !Number.isFinite(c)) {
    throw new RangeError(`${fn} needs a finite number threshold as its second argument, got ${String(c)}`);
  }
  return c;
}

function percentileArgument(p: number | string | undefined): number {
  if (typeof p !== "number" || !(p >= 0 && p <= 100)) {
    throw new RangeError(`percentile needs p between 0 and 100 as its second argument, got ${String(p)}`);
  }
  return p;
}
