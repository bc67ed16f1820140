// How far outside a span of windows one input's data still decides their values. A window's
// value depends on the input's kept points inside it, on the nearest kept points on each side,
// and each kept point's fate depends on its neighbours through the clean steps. Reading less
// than this makes a result depend on where a read happened to start (README, "Reading inputs").

import { DEFAULT_LINEAR_MAX_GAP_MS } from "./interpolate.js";
import type { InputSpec } from "./model.js";

/** What one clean step needs around a point to decide whether it stays. */
export type CleanReach =
  /** range: the point alone. */
  | { kind: "point" }
  /** spike (Hampel): this many points of the step's input on each side (the series' end, if closer). */
  | { kind: "points"; eachSide: number }
  /** flatline: the whole run of equal values the point is in, as far as `durationMs` from its first point. */
  | { kind: "run"; durationMs: number };

export interface InputReach {
  /**
   * Before the windows, the nearest kept point matters when it is at most this far (ms) before
   * them: maxGap for interpolation; Infinity for delta() and an unlimited step hold.
   */
  keptBeforeMs: number;
  /** After the windows, the nearest kept point matters at most this far (linear: maxGap; step: 0). */
  keptAfterMs: number;
  /** Each clean step's reach, in order; they compound (the second step judges the first's output). */
  clean: readonly CleanReach[];
}

/**
 * The context one input needs around a span of windows. `isStep` is the CDF series' isStep
 * (the input's own `step: true` forces step); `usesDelta` whether the value applies delta() to it.
 */
export function inputReach(spec: InputSpec, isStep: boolean, usesDelta: boolean): InputReach {
  const step = spec.step || isStep;
  const maxGapMs = spec.maxGapMs ?? (step ? Number.POSITIVE_INFINITY : DEFAULT_LINEAR_MAX_GAP_MS);
  return {
    // delta() starts from the last kept point before the window, however old.
    keptBeforeMs: usesDelta || spec.counter ? Number.POSITIVE_INFINITY : maxGapMs,
    // A step value holds until the next point, and a hold is clipped at the window's end anyway.
    keptAfterMs: step ? 0 : maxGapMs,
    clean: spec.clean.map((step): CleanReach => {
      if ("range" in step) return { kind: "point" };
      if ("spike" in step) return { kind: "points", eachSide: Math.floor(step.spike.window / 2) };
      return { kind: "run", durationMs: step.flatline.durationMs };
    }),
  };
}

/** The most a first read looks back before a span for the kept point just before it. */
const FIRST_LOOK_BACK_MS = 15 * 60_000;

/**
 * How far before a span the first read of an input starts: far enough to show the kept point just
 * before it in dense data, which saves a second request; never past maxGap, beyond which the
 * point does not matter. Sparse data still reads further back in later rounds (readAround.ts).
 */
export function firstReadLookBackMs(spec: InputSpec): number {
  return Math.min(spec.maxGapMs ?? Number.POSITIVE_INFINITY, FIRST_LOOK_BACK_MS);
}
