// Aggregates over intervals, computed in one forward pass over the stored points (no copy of the
// range), as docs.cognite.com/dev/concepts/aggregation defines them:
// - count/sum/min/max/discreteVariance/minDatapoint/maxDatapoint: over the points in the interval
//   (Good ones, or Uncertain too when treatUncertainAsBad is false). discreteVariance is the
//   population variance (the docs' formula divides by n).
// - average: time-weighted, the integral of the interpolated function over the part of the
//   interval where it is defined, divided by that duration (the docs' status-code example: points
//   1, 2, 3 at +0, +1, +2 ms in a 1 s interval average to 2). A continuous (non-step) series is
//   interpolated linearly between consecutive points; the last point before the interval and the
//   first after it take part only if they are at most 1 h away from the interval ("Previous and
//   next data point"). Points inside the interval are joined whatever their distance; for hour,
//   day and month intervals the rule applies to each hour instead (see `#reach`). A step series
//   holds each value until the next point at any distance. Nothing is extrapolated past the last
//   point (the docs' "Previous and next data point" section; its average section says otherwise).
// - interpolation / stepInterpolation: the function's value at the interval start (step: the last
//   value at or before it, at any distance).
// - continuousVariance / totalVariation: of the interpolated function over the defined part.
// - countGood/Uncertain/Bad: every stored point by its own status; durationGood/Uncertain/Bad: how
//   long the previous stored point had that status (within the same 1 h rule).
// An interval is returned only when at least one stored point lies in it ("Missing data").

import type { Bucketing } from "./bucketing.js";
import { STATUS_GOOD, statusObject } from "./statusCode.js";

/** A continuous series ignores the previous/next point further than this from an interval (CDF's rule). */
export const MAX_INTERPOLATION_GAP_MS = 3_600_000;

export const AGGREGATE_NAMES = [
  "average",
  "max",
  "maxDatapoint",
  "min",
  "minDatapoint",
  "count",
  "sum",
  "interpolation",
  "stepInterpolation",
  "totalVariation",
  "continuousVariance",
  "discreteVariance",
  "countGood",
  "countUncertain",
  "countBad",
  "durationGood",
  "durationUncertain",
  "durationBad",
] as const;

export type AggregateName = (typeof AGGREGATE_NAMES)[number];

export interface AggregateOptions {
  aggregates: readonly AggregateName[];
  bucketing: Bucketing;
  isStep: boolean;
  /** ignoreBadDataPoints: Bad (and, with treatUncertainAsBad, Uncertain) points do not exist. */
  ignoreBad: boolean;
  uncertainIsBad: boolean;
  /** Maximum number of intervals to return. */
  limit: number;
  /** Show the status of non-Good minDatapoint/maxDatapoint (the only aggregates with a status). */
  includeStatus?: boolean;
}

/** One stored point: value NaN when it has none. */
export interface AggregatePoint {
  t: number;
  v: number;
  code: number;
}

interface Bucket {
  start: number;
  end: number;
  count: number;
  sum: number;
  mean: number;
  m2: number;
  min: number;
  minT: number;
  minCode: number;
  max: number;
  maxT: number;
  maxCode: number;
  countGood: number;
  countUncertain: number;
  countBad: number;
  durationGood: number;
  durationUncertain: number;
  durationBad: number;
  integral: number;
  integralSq: number;
  covered: number;
  totalVariation: number;
  interpolation: number | undefined;
  stepInterpolation: number | undefined;
}

export type AggregateDatapoint = { timestamp: number } & Record<string, unknown>;

export class AggregateBuilder {
  readonly datapoints: AggregateDatapoint[] = [];
  /** Start of the next interval with data when `limit` cut the result short. */
  nextStart: number | undefined;
  readonly #o: AggregateOptions;
  readonly #pending: Bucket[] = [];
  #opened = 0;
  #stopping = false;
  #lastKept: AggregatePoint | undefined;
  #lastStored: AggregatePoint | undefined;

  constructor(options: AggregateOptions) {
    this.#o = options;
  }

  /** The stored point just before the range, and the last point before it that is not ignored. */
  setPrevious(stored: AggregatePoint | undefined, kept: AggregatePoint | undefined): void {
    this.#lastStored = stored;
    this.#lastKept = kept;
  }

  /** Whether a point takes part at all (false: ignored as if it did not exist). */
  isKept(code: number): boolean {
    return !(this.#o.ignoreBad && this.#isBad(code));
  }

  /** Feed the next stored point of the range (ascending); false means: stop, the result is full. */
  push(p: AggregatePoint): boolean {
    const current = this.#pending[this.#pending.length - 1];
    if (!this.#stopping && (current === undefined || p.t >= current.end)) {
      if (this.#opened === this.#o.limit) {
        this.#stopping = true;
        this.nextStart = this.#o.bucketing.startOf(p.t);
      } else {
        this.#open(p);
      }
    }
    this.#durationSegment(this.#lastStored, p);
    this.#lastStored = p;
    if (!this.#stopping) this.#countPoint(p);
    if (!this.isKept(p.code)) return true;
    this.#functionSegment(this.#lastKept, p);
    this.#lastKept = p;
    this.#completeBefore(p.t);
    return !this.#stopping;
  }

  /** End of the range: the first stored and first kept point after it close the last intervals. */
  finish(nextStored: AggregatePoint | undefined, nextKept: AggregatePoint | undefined): void {
    if (!this.#stopping) {
      this.#durationSegment(this.#lastStored, nextStored);
      this.#functionSegment(this.#lastKept, nextKept);
    }
    this.#completeBefore(Number.POSITIVE_INFINITY);
  }

  #isBad(code: number): boolean {
    if (code === 0) return false; // Good
    // The two severity bits: 1 Uncertain, 2 Bad (statusCode.ts); inlined on this per-point path.
    const severity = code >>> 30;
    return severity >= 2 || (severity === 1 && this.#o.uncertainIsBad);
  }

  #open(p: AggregatePoint): void {
    const start = this.#o.bucketing.startOf(p.t);
    const last = this.#lastKept;
    this.#opened++;
    this.#pending.push({
      start,
      end: this.#o.bucketing.endOf(start),
      count: 0,
      sum: 0,
      mean: 0,
      m2: 0,
      min: Number.POSITIVE_INFINITY,
      minT: 0,
      minCode: 0,
      max: Number.NEGATIVE_INFINITY,
      maxT: 0,
      maxCode: 0,
      countGood: 0,
      countUncertain: 0,
      countBad: 0,
      durationGood: 0,
      durationUncertain: 0,
      durationBad: 0,
      integral: 0,
      integralSq: 0,
      covered: 0,
      totalVariation: 0,
      interpolation: undefined,
      stepInterpolation: last && this.#usable(last) ? last.v : undefined,
    });
  }

  #usable(p: AggregatePoint): boolean {
    return !this.#isBad(p.code) && Number.isFinite(p.v);
  }

  #countPoint(p: AggregatePoint): void {
    const b = this.#pending[this.#pending.length - 1]!;
    const severity = p.code >>> 30;
    if (severity === 0) b.countGood++;
    else if (severity === 1) b.countUncertain++;
    else b.countBad++;
    if (!this.isKept(p.code) || !this.#usable(p)) return;
    b.count++;
    b.sum += p.v;
    const delta = p.v - b.mean;
    b.mean += delta / b.count;
    b.m2 += delta * (p.v - b.mean);
    if (p.v < b.min) {
      b.min = p.v;
      b.minT = p.t;
      b.minCode = p.code;
    }
    if (p.v > b.max) {
      b.max = p.v;
      b.maxT = p.t;
      b.maxCode = p.code;
    }
    if (p.t === b.start) {
      b.interpolation = p.v;
      b.stepInterpolation = p.v;
    }
  }

  /** The interpolated function between consecutive kept points a < b, added to every open interval it crosses. */
  #functionSegment(a: AggregatePoint | undefined, b: AggregatePoint | undefined): void {
    if (!a || !b || this.#pending.length === 0) return;
    if (this.#isBad(a.code) || !Number.isFinite(a.v)) return;
    // ignoreBadDataPoints=false: the value before a Bad point holds until it (CDF's documented rule).
    const constant = this.#o.isStep || this.#isBad(b.code) || !Number.isFinite(b.v);
    const slope = constant ? 0 : (b.v - a.v) / (b.t - a.t);
    // No closures here: this runs once per point, and transpilers wrap each closure creation.
    for (const k of this.#pending) {
      const reach = this.#reach(a, b, k);
      if (reach === undefined) continue;
      const defined = k.start >= reach[0] && k.start < reach[1];
      if (k.start > a.t && k.start < b.t && k.interpolation === undefined && defined)
        k.interpolation = a.v + slope * (k.start - a.t);
      if (this.#o.isStep && this.#usable(b) && b.t >= k.start && b.t < k.end) {
        k.totalVariation += Math.abs(b.v - a.v);
      }
      const x0 = reach[0];
      const x1 = reach[1];
      if (x1 <= x0) continue;
      const f0 = a.v + slope * (x0 - a.t);
      const f1 = a.v + slope * (x1 - a.t);
      const d = x1 - x0;
      k.integral += (d * (f0 + f1)) / 2;
      k.integralSq += (d * (f0 * f0 + f0 * f1 + f1 * f1)) / 3;
      k.covered += d;
      if (!constant) k.totalVariation += Math.abs(f1 - f0);
    }
  }

  /**
   * Where, within interval k, the segment between consecutive points a < b defines the series:
   * [from, to] (to <= from when the segment does not cross k), or undefined when it defines none
   * of k. A step series: the whole segment, however long. A continuous one follows CDF's
   * "previous and next data point" rule, within 1 h:
   * - for second and minute intervals, on the interval itself: a at most 1 h before it starts and
   *   b at most 1 h after it ends (points inside it are joined whatever their distance);
   * - for hour, day and month intervals, on each hour of the interval, as if they were built from
   *   hourly aggregates: the segment counts in an hour when a is at most 1 h before the hour and b
   *   at most 1 h after it. A day or month is then the time-weighted sum of its hours, so a segment
   *   longer than 3 h counts nowhere. This is what CDF answers for monthly averages (README.md,
   *   "Aggregates"); for 1h intervals the two rules agree.
   * A segment of at most 1 h always counts whole, under either rule.
   */
  #reach(a: AggregatePoint, b: AggregatePoint, k: Bucket): [number, number] | undefined {
    const from = Math.max(a.t, k.start);
    const to = Math.min(b.t, k.end);
    if (this.#o.isStep || b.t - a.t <= MAX_INTERPOLATION_GAP_MS) return [from, to];
    const hourOf = this.#o.bucketing.hourOf;
    if (hourOf === undefined) {
      return k.start - a.t <= MAX_INTERPOLATION_GAP_MS && b.t - k.end <= MAX_INTERPOLATION_GAP_MS
        ? [from, to]
        : undefined;
    }
    // The hours H with H.start <= a.t + 1 h and H.end >= b.t - 1 h.
    const earliest = b.t - 2 * MAX_INTERPOLATION_GAP_MS;
    let firstHour = hourOf(earliest);
    if (firstHour < earliest) firstHour += MAX_INTERPOLATION_GAP_MS;
    const lastHourEnd = hourOf(a.t + MAX_INTERPOLATION_GAP_MS) + MAX_INTERPOLATION_GAP_MS;
    return firstHour < lastHourEnd ? [Math.max(from, firstHour), Math.min(to, lastHourEnd)] : undefined;
  }

  #durationSegment(a: AggregatePoint | undefined, b: AggregatePoint | undefined): void {
    if (!a || !b || this.#pending.length === 0) return;
    const severity = a.code >>> 30;
    for (const k of this.#pending) {
      const reach = this.#reach(a, b, k);
      if (reach === undefined) continue;
      const d = reach[1] - reach[0];
      if (d <= 0) continue;
      if (severity === 0) k.durationGood += d;
      else if (severity === 1) k.durationUncertain += d;
      else k.durationBad += d;
    }
  }

  #completeBefore(t: number): void {
    while (this.#pending.length > 0 && this.#pending[0]!.end <= t) this.#emit(this.#pending.shift()!);
    // The interval holding t stays open for the segment to the next kept point.
  }

  #emit(b: Bucket): void {
    const out: AggregateDatapoint = { timestamp: b.start };
    const hasValues = b.count > 0;
    const average = b.covered > 0 ? b.integral / b.covered : hasValues ? b.mean : undefined;
    for (const name of this.#o.aggregates) {
      switch (name) {
        case "average":
          if (average !== undefined) out.average = average;
          break;
        case "max":
          if (hasValues) out.max = b.max;
          break;
        case "min":
          if (hasValues) out.min = b.min;
          break;
        case "maxDatapoint":
          if (hasValues)
            out.maxDatapoint = datapointJson(b.maxT, b.max, this.#o.includeStatus ? b.maxCode : 0);
          break;
        case "minDatapoint":
          if (hasValues)
            out.minDatapoint = datapointJson(b.minT, b.min, this.#o.includeStatus ? b.minCode : 0);
          break;
        case "count":
          out.count = b.count;
          break;
        case "sum":
          if (hasValues) out.sum = b.sum;
          break;
        case "interpolation":
          if (b.interpolation !== undefined) out.interpolation = b.interpolation;
          break;
        case "stepInterpolation":
          if (b.stepInterpolation !== undefined) out.stepInterpolation = b.stepInterpolation;
          break;
        case "totalVariation":
          if (b.covered > 0 || hasValues) out.totalVariation = b.totalVariation;
          break;
        case "continuousVariance":
          if (b.covered > 0)
            out.continuousVariance = Math.max(0, b.integralSq / b.covered - average! * average!);
          else if (hasValues) out.continuousVariance = 0;
          break;
        case "discreteVariance":
          if (hasValues) out.discreteVariance = b.m2 / b.count;
          break;
        case "countGood":
          out.countGood = b.countGood;
          break;
        case "countUncertain":
          out.countUncertain = b.countUncertain;
          break;
        case "countBad":
          out.countBad = b.countBad;
          break;
        case "durationGood":
          out.durationGood = b.durationGood;
          break;
        case "durationUncertain":
          out.durationUncertain = b.durationUncertain;
          break;
        case "durationBad":
          out.durationBad = b.durationBad;
          break;
      }
    }
    this.datapoints.push(out);
  }
}

function datapointJson(timestamp: number, value: number, code: number): Record<string, unknown> {
  return code === STATUS_GOOD ? { timestamp, value } : { timestamp, value, status: statusObject(code) };
}
