import type { CleanStep, InputSpec, PointColumns } from "./model.js";
import { STATUS_UNCERTAIN } from "./model.js";

/** The kept points of one input: sorted, unique timestamps, finite values. */
export interface CleanPoints {
  readonly length: number;
  readonly timestamps: Float64Array;
  readonly values: Float64Array;
}

// Scale factor that makes the MAD a consistent estimator of the standard deviation for normal
// data (the usual Hampel constant, as in R's mad() and pandas/hampel implementations).
const MAD_TO_SIGMA = 1.4826;

/**
 * The points of one input that aggregates see. `points` is already de-duplicated (the last
 * written point wins before any filtering, see PointColumnsBuilder), so a later Bad point at a
 * timestamp has already removed an earlier Good value. Then: status filter (Uncertain only if
 * the input says `uncertain: true`), non-finite drop,
 * and the input's `clean` steps in order, each on the output of the previous one.
 */
export function cleanInput(points: PointColumns, spec: InputSpec): CleanPoints {
  let current = keepUsable(points, spec.uncertain);
  for (const step of spec.clean) current = applyCleanStep(current, step);
  return current;
}

export function keepUsable(points: PointColumns, includeUncertain: boolean): CleanPoints {
  const n = points.length;
  const { timestamps, values, statuses } = points;
  // Good is below 0x40000000, Uncertain below 0x80000000 (see statusClass).
  const statusLimit = includeUncertain ? STATUS_UNCERTAIN * 2 : STATUS_UNCERTAIN;
  let kept = 0;
  for (let i = 0; i < n; i++) {
    if (statuses[i]! < statusLimit && Number.isFinite(values[i]!)) kept++;
  }
  if (kept === n) return { length: n, timestamps: timestamps.subarray(0, n), values: values.subarray(0, n) };
  const outT = new Float64Array(kept);
  const outV = new Float64Array(kept);
  let k = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    if (statuses[i]! < statusLimit && Number.isFinite(v)) {
      outT[k] = timestamps[i]!;
      outV[k] = v;
      k++;
    }
  }
  return { length: kept, timestamps: outT, values: outV };
}

/** One clean step on the output of the previous one. */
export function applyCleanStep(points: CleanPoints, step: CleanStep): CleanPoints {
  if ("range" in step) return keepWhere(points, rangeMask(points, step.range[0], step.range[1]));
  if ("spike" in step) return keepWhere(points, hampelMask(points, step.spike.window, step.spike.k));
  return keepWhere(points, flatlineMask(points, step.flatline.durationMs));
}

function keepWhere(points: CleanPoints, keep: Uint8Array | undefined): CleanPoints {
  if (keep === undefined) return points;
  let kept = 0;
  for (let i = 0; i < points.length; i++) kept += keep[i]!;
  const timestamps = new Float64Array(kept);
  const values = new Float64Array(kept);
  let k = 0;
  for (let i = 0; i < points.length; i++) {
    if (keep[i] === 1) {
      timestamps[k] = points.timestamps[i]!;
      values[k] = points.values[i]!;
      k++;
    }
  }
  return { length: kept, timestamps, values };
}

/** `range: [lo, hi]`: keep lo <= v <= hi. Undefined mask: everything kept. */
function rangeMask(points: CleanPoints, lo: number, hi: number): Uint8Array | undefined {
  const n = points.length;
  const keep = new Uint8Array(n);
  let dropped = false;
  for (let i = 0; i < n; i++) {
    const v = points.values[i]!;
    if (v >= lo && v <= hi) keep[i] = 1;
    else dropped = true;
  }
  return dropped ? keep : undefined;
}

/**
 * Hampel filter. For each point, the `window` points centred on it (window odd; truncated at
 * the series' ends, so the first point sees itself and the (window-1)/2 after it) give a median
 * m and MAD = median(|x - m|). The point is dropped when |v - m| > k · 1.4826 · MAD.
 *
 * MAD = 0 (more than half the neighbourhood sits exactly on the median): the formula taken
 * literally drops every v != m, which wipes out a signal that alternates between two levels
 * (9.9, 10.1, 9.9, ...). Then a point is dropped only when its value occurs once in the
 * neighbourhood: a value seen twice is a level, not a spike (with window 3 the alternating signal
 * is still dropped: [9.9, 10.1, 9.9] is a lone 10.1, so use 5 or more). This keeps what the literal rule
 * is for (a lone spike on a flat signal, at any window size, truncated ends included); the
 * modified z-score's mean-absolute-deviation fallback was rejected because with window 3, or at
 * a series' end, it lets a lone spike of any height through.
 *
 * All decisions use this step's input, not the output so far (not iterative), so the result
 * does not depend on scan direction, and point i depends on exactly the (window-1)/2 step-input
 * points on each side of it (reach.ts).
 */
function hampelMask(points: CleanPoints, window: number, k: number): Uint8Array | undefined {
  const n = points.length;
  const half = Math.floor(window / 2);
  const values = points.values;
  const scratch = new Float64Array(2 * half + 1);
  const keep = new Uint8Array(n);
  let dropped = false;
  for (let i = 0; i < n; i++) {
    const from = Math.max(0, i - half);
    const to = Math.min(n - 1, i + half);
    const m = to - from + 1;
    const neighbourhood = scratch.subarray(0, m);
    neighbourhood.set(values.subarray(from, to + 1));
    neighbourhood.sort();
    const median = sortedMedian(neighbourhood);
    for (let j = 0; j < m; j++) neighbourhood[j] = Math.abs(neighbourhood[j]! - median);
    neighbourhood.sort();
    const mad = sortedMedian(neighbourhood);
    const v = values[i]!;
    const spike =
      mad > 0
        ? Math.abs(v - median) > k * MAD_TO_SIGMA * mad
        : v !== median && occursOnce(values, from, to, i);
    if (spike) dropped = true;
    else keep[i] = 1;
  }
  return dropped ? keep : undefined;
}

function occursOnce(values: Float64Array, from: number, to: number, i: number): boolean {
  const v = values[i]!;
  for (let j = from; j <= to; j++) if (j !== i && values[j] === v) return false;
  return true;
}

function sortedMedian(sorted: Float64Array): number {
  const m = sorted.length;
  const mid = m >> 1;
  return m % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Flatline: a run is a maximal sequence of consecutive points with exactly the same value. When
 * its span (last timestamp - first timestamp) exceeds `durationMs`, the run's points after the
 * first are dropped. The first is kept because the value really was reached then; what is not
 * trusted is a sensor repeating it for too long (stuck). A run of exactly `durationMs` is kept.
 */
function flatlineMask(points: CleanPoints, durationMs: number): Uint8Array | undefined {
  const n = points.length;
  const { timestamps, values } = points;
  const keep = new Uint8Array(n).fill(1);
  let dropped = false;
  let runStart = 0;
  for (let i = 1; i <= n; i++) {
    if (i < n && values[i] === values[runStart]) continue;
    const last = i - 1;
    if (timestamps[last]! - timestamps[runStart]! > durationMs) {
      keep.fill(0, runStart + 1, i);
      dropped = true;
    }
    runStart = i;
  }
  return dropped ? keep : undefined;
}
