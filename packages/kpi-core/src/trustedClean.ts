// Cleaning a part of a series, and knowing where the part's result can be trusted. Cleaning the
// raw points of [start, end) treats the part's edges as the series' ends: a Hampel window is
// truncated there and a flatline run is cut. So the kept points equal those of the whole series
// only inside a trusted range that shrinks, step by step, by each step's reach (inputReach.ts).
// The reader (readInputs.ts) widens its read until the windows and their context lie inside.

import { applyCleanStep, type CleanPoints, keepUsable } from "./clean.js";
import type { CleanReach } from "./inputReach.js";
import { lowerBound } from "./interpolate.js";
import type { InputSpec, PointColumns } from "./model.js";

/** What was read of one series: every raw point with start <= t < end. */
export interface ReadExtent {
  start: number;
  end: number;
  /** Nothing exists before `start` (it is at or before CDF's earliest time). */
  startIsSeriesStart: boolean;
  /** Nothing exists at or after `end`. */
  endIsSeriesEnd: boolean;
}

/**
 * One stage of cleaning: the points after the usable filter (stage 0) or after clean step k
 * (stage k + 1). Its points with lo <= t < hi are exactly the whole series' points at this stage;
 * lo is -Infinity / hi +Infinity where the read reached the series' end.
 */
export interface CleanStage {
  points: CleanPoints;
  lo: number;
  hi: number;
}

export function trustedClean(
  raw: PointColumns,
  spec: Pick<InputSpec, "clean" | "uncertain">,
  reach: readonly CleanReach[],
  extent: ReadExtent,
): CleanStage[] {
  let current: CleanStage = {
    points: keepUsable(raw, spec.uncertain),
    lo: extent.startIsSeriesStart ? Number.NEGATIVE_INFINITY : extent.start,
    hi: extent.endIsSeriesEnd ? Number.POSITIVE_INFINITY : extent.end,
  };
  const stages = [current];
  spec.clean.forEach((step, k) => {
    const points = applyCleanStep(current.points, step);
    const { lo, hi } = narrowed(current, reach[k]!);
    current = { points, lo, hi };
    stages.push(current);
  });
  return stages;
}

/** The trusted range after a step with this reach, given its input stage. */
function narrowed(input: CleanStage, reach: CleanReach): { lo: number; hi: number } {
  const { lo, hi } = input;
  if (reach.kind === "point" || !(hi > lo)) return { lo, hi };
  const { timestamps: t, values: v, length } = input.points;
  const i0 = lowerBound(t, length, lo);
  const i1 = lowerBound(t, length, hi, i0);
  const openLeft = lo !== Number.NEGATIVE_INFINITY;
  const openRight = hi !== Number.POSITIVE_INFINITY;
  // Nothing to decide: the range stays exact.
  if (i0 === i1) return { lo, hi };
  // [first, last]: the indices whose decision is certain.
  let first = i0;
  let last = i1 - 1;
  if (reach.kind === "points") {
    if (openLeft) first += reach.eachSide;
    if (openRight) last -= reach.eachSide;
  } else {
    // Only the run cut by an open edge is uncertain. Cut on the left: its true first point may lie
    // before, so its first point here is uncertain; the others are certain (dropped) once the part
    // seen already lasts longer than the duration. Cut on the right: its later points are
    // uncertain until the part seen lasts longer than the duration.
    const d = reach.durationMs;
    if (openLeft && i0 < i1) {
      let b = i0;
      while (b + 1 < i1 && v[b + 1] === v[i0]) b++;
      first = t[b]! - t[i0]! > d ? i0 + 1 : b + 1;
    }
    if (openRight && i0 < i1) {
      let a = i1 - 1;
      while (a - 1 >= i0 && v[a - 1] === v[i1 - 1]) a--;
      if (!(t[i1 - 1]! - t[a]! > d)) last = Math.min(last, a);
      // A run cut on both sides has an uncertain first point even when it lasts long.
      if (a === i0 && openLeft) last = Math.min(last, t[i1 - 1]! - t[a]! > d ? i1 - 1 : a - 1);
    }
  }
  // Nothing certain: an empty range that lacks on both sides.
  if (first > last) return { lo: Number.POSITIVE_INFINITY, hi: Number.NEGATIVE_INFINITY };
  return { lo: first > i0 ? t[first]! : lo, hi: last + 1 < i1 ? t[last + 1]! : hi };
}
