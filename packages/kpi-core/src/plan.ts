// Which windows a run computes. Due windows catch up whatever is closed and not yet finalized, so
// a late or skipped run leaves no hole (design.md, "One run", step 2). Dirty windows are the
// finalized windows whose value a data change may have altered (step 3): late and corrected data.

import { aggregatesOf } from "./expression.js";
import { DEFAULT_LINEAR_MAX_GAP_MS } from "./interpolate.js";
import type { KpiDefinition, Window } from "./model.js";
import {
  countWindowsBetween,
  nextWindow,
  windowAtOrAfter,
  windowContaining,
  windowsBetween,
} from "./window.js";

export interface DueWindows {
  /** Closed windows to compute now, oldest first, at most maxWindows. */
  windows: Window[];
  /** Closed windows left for a later run. */
  backlog: number;
}

/**
 * Every closed window (end + settle <= now) after the last finalized one, from the KPI's start,
 * oldest first. At most `maxWindows` are returned (a run's time budget); the count of the rest is
 * the backlog. `lastFinalizedStart` is the start of the last window written, or undefined if none.
 */
export function dueWindows(
  kpi: KpiDefinition,
  lastFinalizedStart: number | undefined,
  now: number,
  maxWindows = Number.POSITIVE_INFINITY,
): DueWindows {
  if (!(maxWindows >= 0)) throw new RangeError(`maxWindows must be 0 or more, got ${maxWindows}`);
  const from =
    lastFinalizedStart === undefined
      ? kpi.startMs
      : Math.max(kpi.startMs, windowContaining(kpi.window, lastFinalizedStart).end);
  const closedBefore = now - kpi.settleMs;
  const windows: Window[] = [];
  for (let w = windowAtOrAfter(kpi.window, from); w.end <= closedBefore && windows.length < maxWindows; ) {
    windows.push(w);
    w = nextWindow(kpi.window, w);
  }
  const rest = windows.length === 0 ? from : windows[windows.length - 1]!.end;
  return { windows, backlog: countWindowsBetween(kpi.window, rest, closedBefore) };
}

/** Changes to one input since the last run, as a datapoint subscription reports them. */
export interface InputChanges {
  /** The input name (kpis.yaml `inputs` key). Without it the rules of every input apply. */
  input?: string;
  /** Timestamps that got an upsert (new, late or corrected points). */
  timestamps: readonly number[];
  /** Deleted ranges, [start, end) like CDF's {inclusiveBegin, exclusiveEnd}. */
  deletedRanges: ReadonlyArray<{ start: number; end: number }>;
}

export interface DirtyWindowContext {
  /** The current time: only windows closed by now (end + settle <= now) are dirty. */
  now: number;
  /**
   * The first point of the input strictly after t in the current data, or undefined if none.
   * Needed to bound the reach of a step input's hold and of delta(); without it a step change
   * reaches up to now (or maxGap), and a delta change reaches the next window only.
   */
  nextPointAfter?: (input: string, t: number) => number | undefined;
  /** Whether the input's CDF time series is a step series (isStep); defaults to the input's `step`. */
  isStep?: (input: string) => boolean;
}

/** A time range [from, to) whose windows are dirty: those with start < to and end > from. */
interface Span {
  from: number;
  to: number;
}

/**
 * The closed windows, from the KPI's start on, whose value may change because of these changes;
 * sorted and without duplicates. For a changed point at t (an upsert, or the ends of a deleted
 * range [s, e), which then stands for the points in it) on an input the expression uses:
 *
 * - the window containing t: every point aggregate (mean ... percentile, count) sees it;
 * - linear input: t takes part in the segments to its neighbours, which are interpolated only
 *   when no longer than maxGap (default 1 h), so windows overlapping (t - maxGap, t + maxGap);
 *   a deleted range [s, e): (s - maxGap, e + maxGap), which includes the new segment that
 *   bridges the hole (it counts only if no longer than maxGap);
 * - step input: the value of t holds until the next point, at most maxGap (default unlimited),
 *   so [t, min(next point after t, t + maxGap)); with no next point (or no nextPointAfter), up to
 *   now; a deleted range [s, e): [s, min(next point after e, e + maxGap)), as the point before s
 *   now holds across the hole;
 * - delta() of the input (and any counter input): the window containing t uses it, and so does the
 *   next window that has a point inside (its delta starts from the last point before it, however
 *   old), so windows through the one containing the next point after t; without nextPointAfter,
 *   the window after t's only.
 */
export function dirtyWindows(
  kpi: KpiDefinition,
  changes: InputChanges | readonly InputChanges[],
  context: DirtyWindowContext,
): Window[] {
  const list: readonly InputChanges[] = Array.isArray(changes) ? changes : [changes as InputChanges];
  const aggregates = aggregatesOf(kpi.expression);
  const used = new Set(aggregates.map((node) => node.input));
  const withDelta = new Set(aggregates.filter((node) => node.fn === "delta").map((node) => node.input));
  const spans: Span[] = [];
  for (const change of list) {
    const inputs = kpi.inputs.filter(
      (input) => used.has(input.name) && (change.input === undefined || change.input === input.name),
    );
    for (const input of inputs) {
      const step = context.isStep?.(input.name) ?? input.step;
      const usesDelta = input.counter || withDelta.has(input.name);
      const rules = {
        step,
        usesDelta,
        maxGapMs: input.maxGapMs ?? (step ? Number.POSITIVE_INFINITY : DEFAULT_LINEAR_MAX_GAP_MS),
        nextPointAfter: context.nextPointAfter && ((t: number) => context.nextPointAfter!(input.name, t)),
      };
      for (const t of change.timestamps) addSpans(spans, kpi, rules, t, t + 1, context.now);
      for (const range of change.deletedRanges) {
        if (range.end > range.start) addSpans(spans, kpi, rules, range.start, range.end, context.now);
      }
    }
  }
  return windowsOfSpans(kpi, spans, context.now);
}

interface InputRules {
  step: boolean;
  usesDelta: boolean;
  maxGapMs: number;
  nextPointAfter: ((t: number) => number | undefined) | undefined;
}

/** The spans a change to the points in [from, to) affects (a single point t is [t, t + 1)). */
function addSpans(
  spans: Span[],
  kpi: KpiDefinition,
  rules: InputRules,
  from: number,
  to: number,
  now: number,
): void {
  spans.push({ from, to });
  const last = to - 1;
  const next = rules.nextPointAfter?.(last);
  if (rules.step) {
    const holdUntil = Math.min(next ?? now, last + rules.maxGapMs);
    spans.push({ from, to: Math.max(holdUntil, to) });
  } else {
    spans.push({ from: from - rules.maxGapMs, to: last + rules.maxGapMs });
  }
  if (rules.usesDelta) {
    if (rules.nextPointAfter === undefined) {
      spans.push({ from, to: windowContaining(kpi.window, last).end + 1 });
    } else if (next !== undefined) {
      spans.push({ from, to: next + 1 });
    }
  }
}

function windowsOfSpans(kpi: KpiDefinition, spans: Span[], now: number): Window[] {
  const closedBefore = now - kpi.settleMs;
  const merged: Span[] = [];
  for (const span of [...spans].sort((a, b) => a.from - b.from)) {
    const from = Math.max(span.from, kpi.startMs);
    const to = Math.min(span.to, closedBefore);
    if (to <= from) continue;
    const previous = merged[merged.length - 1];
    if (previous !== undefined && from <= previous.to) previous.to = Math.max(previous.to, to);
    else merged.push({ from, to });
  }
  const windows: Window[] = [];
  for (const span of merged) {
    for (let w = windowContaining(kpi.window, span.from); w.start < span.to && w.end <= closedBefore; ) {
      if (w.start >= kpi.startMs && (windows.length === 0 || windows[windows.length - 1]!.start < w.start)) {
        windows.push(w);
      }
      w = nextWindow(kpi.window, w);
    }
  }
  return windows;
}

/** All closed windows of a KPI from its start up to now; the full recompute a config change needs. */
export function allClosedWindows(kpi: KpiDefinition, now: number): Window[] {
  return windowsBetween(kpi.window, kpi.startMs, now - kpi.settleMs);
}
