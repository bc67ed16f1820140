/** Per window, the five benchmarked aggregates; NaN where there is no value. */
export interface WindowResults {
  twa: Float64Array;
  integral: Float64Array;
  min: Float64Array;
  max: Float64Array;
  count: Float64Array;
}

export const AGGREGATES = ["twa", "integral", "min", "max", "count"] as const;

export function emptyResults(windows: number): WindowResults {
  return {
    twa: new Float64Array(windows).fill(Number.NaN),
    integral: new Float64Array(windows).fill(Number.NaN),
    min: new Float64Array(windows).fill(Number.NaN),
    max: new Float64Array(windows).fill(Number.NaN),
    count: new Float64Array(windows).fill(Number.NaN),
  };
}

/**
 * The largest disagreement between two result sets: relative difference for twa/integral
 * (NaN on one side and not the other counts as a mismatch), exact for min/max/count; `compared`
 * counts the value pairs checked, so an empty comparison cannot pass unnoticed.
 */
export function compareResults(
  a: WindowResults,
  b: WindowResults,
): { maxRelativeError: number; mismatches: string[]; compared: number } {
  let maxRelativeError = 0;
  let compared = 0;
  const mismatches: string[] = [];
  for (const name of AGGREGATES) {
    const x = a[name];
    const y = b[name];
    if (x.length !== y.length) {
      mismatches.push(`${name}: ${x.length} vs ${y.length} windows`);
      continue;
    }
    for (let w = 0; w < x.length; w++) {
      const u = x[w]!;
      const v = y[w]!;
      if (Number.isNaN(u) || Number.isNaN(v)) {
        if (Number.isNaN(u) !== Number.isNaN(v)) mismatches.push(`${name}[${w}]: ${u} vs ${v}`);
        continue;
      }
      compared++;
      const relative = u === v ? 0 : Math.abs(u - v) / Math.max(Math.abs(u), Math.abs(v));
      if (name === "twa" || name === "integral") maxRelativeError = Math.max(maxRelativeError, relative);
      else if (relative !== 0) mismatches.push(`${name}[${w}]: ${u} vs ${v}`);
    }
  }
  return { maxRelativeError, mismatches: mismatches.slice(0, 10), compared };
}
