import { emptyResults, type WindowResults } from "./windowResults.js";

/**
 * The speed-of-light baseline: one hand-written pass over Float64Arrays computing all five
 * aggregates of every fixed window in [from, to), with the same semantics as kpi-core (linear
 * segments covered when no longer than maxGap, split at window edges; points with
 * start <= t < end for min/max/count). No cleaning, no status filter, no expression.
 */
export function loopBaseline(
  timestamps: Float64Array,
  values: Float64Array,
  from: number,
  to: number,
  windowMs: number,
  maxGapMs: number,
): WindowResults {
  const windows = Math.floor((to - from) / windowMs);
  const area = new Float64Array(windows);
  const covered = new Float64Array(windows);
  const min = new Float64Array(windows).fill(Number.POSITIVE_INFINITY);
  const max = new Float64Array(windows).fill(Number.NEGATIVE_INFINITY);
  const count = new Float64Array(windows);
  const n = timestamps.length;
  for (let i = 0; i < n; i++) {
    const t = timestamps[i]!;
    const v = values[i]!;
    if (t >= from && t < to) {
      const w = Math.floor((t - from) / windowMs);
      count[w]!++;
      if (v < min[w]!) min[w] = v;
      if (v > max[w]!) max[w] = v;
    }
    if (i + 1 === n) break;
    const t1 = timestamps[i + 1]!;
    const dt = t1 - t;
    if (dt > maxGapMs || t1 <= from || t >= to) continue;
    const v1 = values[i + 1]!;
    const stop = Math.min(t1, to);
    let a = Math.max(t, from);
    let fa = a === t ? v : v + (v1 - v) * ((a - t) / dt);
    while (a < stop) {
      const w = Math.floor((a - from) / windowMs);
      const windowEnd = from + (w + 1) * windowMs;
      const b = Math.min(stop, windowEnd);
      const fb = b === t1 ? v1 : v + (v1 - v) * ((b - t) / dt);
      area[w]! += ((b - a) * (fa + fb)) / 2;
      covered[w]! += b - a;
      a = b;
      fa = fb;
    }
  }
  const results = emptyResults(windows);
  for (let w = 0; w < windows; w++) {
    // twa and integral have no value (NaN) when nothing in the window is covered.
    if (covered[w]! > 0) {
      results.twa[w] = area[w]! / covered[w]!;
      results.integral[w] = area[w]! / 3_600_000;
    }
    if (count[w]! > 0) {
      results.min[w] = min[w]!;
      results.max[w] = max[w]!;
    }
    results.count[w] = count[w]!;
  }
  return results;
}
