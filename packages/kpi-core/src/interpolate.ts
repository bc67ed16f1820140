import type { CleanPoints } from "./clean.js";

/** Linear interpolation's default longest interpolated segment (design.md, "Semantics"). */
export const DEFAULT_LINEAR_MAX_GAP_MS = 3_600_000;

export interface InterpolationOptions {
  /** Step interpolation (each value holds until the next point) instead of linear. */
  step: boolean;
  /** Linear: longest covered segment (default 1 h). Step: longest hold (default unlimited). */
  maxGapMs: number | undefined;
}

/**
 * One input's kept points with the interpolant f that the time-based aggregates integrate:
 * - linear: f goes straight from (t_i, v_i) to (t_j, v_j) for consecutive points, and that
 *   segment is covered only if t_j - t_i <= maxGapMs; never extrapolated outside the points.
 * - step: v_i holds from t_i until the next point, but for at most maxGapMs (the last point
 *   holds for maxGapMs too, so with the default, unlimited, forever).
 */
export interface PreparedInput {
  readonly length: number;
  readonly timestamps: Float64Array;
  readonly values: Float64Array;
  readonly step: boolean;
  /** Resolved: a number for linear, possibly +Infinity for step. */
  readonly maxGapMs: number;
}

export function prepareInput(clean: CleanPoints, opts: InterpolationOptions): PreparedInput {
  const maxGapMs = opts.maxGapMs ?? (opts.step ? Number.POSITIVE_INFINITY : DEFAULT_LINEAR_MAX_GAP_MS);
  if (!(maxGapMs > 0)) {
    throw new RangeError(`maxGap must be a positive duration, got ${maxGapMs} ms; use e.g. 15m or 1h`);
  }
  return {
    length: clean.length,
    timestamps: clean.timestamps,
    values: clean.values,
    step: opts.step,
    maxGapMs,
  };
}

/**
 * Index of the first point with timestamp >= t. `hint` is a guess (e.g. the answer for the
 * previous window); the search gallops outward from it, so a sweep over ordered windows costs
 * O(log distance) per window instead of O(log n), and nothing is scanned point by point.
 */
export function lowerBound(timestamps: Float64Array, length: number, t: number, hint = 0): number {
  let lo: number;
  let hi: number;
  const h = Math.min(Math.max(hint, 0), length);
  if (h < length && timestamps[h]! < t) {
    // Answer is after h: gallop right.
    let step = 1;
    lo = h + 1;
    hi = h + 1;
    while (hi < length && timestamps[hi]! < t) {
      lo = hi + 1;
      hi = h + 1 + step;
      step *= 2;
    }
    if (hi > length) hi = length;
  } else {
    // Answer is at or before h: gallop left.
    let step = 1;
    hi = h;
    lo = h;
    while (lo > 0 && timestamps[lo - 1]! >= t) {
      hi = lo - 1;
      lo = Math.max(0, h - step);
      step *= 2;
    }
  }
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (timestamps[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
