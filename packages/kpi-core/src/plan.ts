// Which windows a run computes. Due windows catch up whatever is closed and not yet finalized, so
// a late or skipped run leaves no hole (design.md, "One run", step 2). Dirty windows are the
// finalized windows whose value a data change may have altered (step 3): late and corrected data.

import type { Span } from "./dirtySpans.js";
import type { KpiDefinition } from "./kpiDefinition.js";
import type { Window } from "./model.js";
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
 * The start of the KPI's first window: its `start`, or for a KPI without one, the first window
 * that closes (end + settle) after `liveSince`, the time of its first run.
 */
export function firstWindowStart(kpi: KpiDefinition, liveSince: number | undefined): number {
  if (kpi.startMs !== undefined) return kpi.startMs;
  if (liveSince === undefined) {
    throw new RangeError(`KPI ${kpi.key} has no start; give the time of its first run (liveSince)`);
  }
  return windowContaining(kpi.window, liveSince - kpi.settleMs).start;
}

/**
 * Every closed window (end + settle <= now) after the last one present in the output series
 * (`lastPresentStart`, the start of the output's latest datapoint, Bad ones included; undefined
 * when the output is empty), from the KPI's first window on, oldest first. At most `maxWindows`
 * are returned (a run's time budget); the count of the rest is the backlog. `liveSince`: the
 * first run's time, for a KPI without `start`.
 */
export function dueWindows(
  kpi: KpiDefinition,
  lastPresentStart: number | undefined,
  now: number,
  maxWindows = Number.POSITIVE_INFINITY,
  liveSince?: number,
): DueWindows {
  if (!(maxWindows >= 0)) throw new RangeError(`maxWindows must be 0 or more, got ${maxWindows}`);
  const first = firstWindowStart(kpi, liveSince);
  const from =
    lastPresentStart === undefined
      ? first
      : Math.max(first, windowContaining(kpi.window, lastPresentStart).end);
  const closedBefore = now - kpi.settleMs;
  const windows: Window[] = [];
  for (let w = windowAtOrAfter(kpi.window, from); w.end <= closedBefore && windows.length < maxWindows; ) {
    windows.push(w);
    w = nextWindow(kpi.window, w);
  }
  const rest = windows.length === 0 ? from : windows[windows.length - 1]!.end;
  return { windows, backlog: countWindowsBetween(kpi.window, rest, closedBefore) };
}

/**
 * The windows of these spans (sorted and merged, as dirtySpans returns them) that start at or
 * after `firstStart` (the KPI's first window) and are closed by now, oldest first, each once. A generator: a change nine
 * years back on a step input with no later point makes millions of windows dirty, and they are
 * walked a chunk at a time, never held in one array.
 */
export function* windowsOfSpans(
  kpi: KpiDefinition,
  spans: readonly Span[],
  now: number,
  firstStart = kpi.startMs ?? Number.NEGATIVE_INFINITY,
): Generator<Window> {
  const closedBefore = now - kpi.settleMs;
  let lastStart = Number.NEGATIVE_INFINITY;
  for (const span of spans) {
    const from = Math.max(span.from, firstStart);
    for (let w = windowContaining(kpi.window, from); w.start < span.to && w.end <= closedBefore; ) {
      if (w.start >= firstStart && w.start > lastStart) {
        lastStart = w.start;
        yield w;
      }
      w = nextWindow(kpi.window, w);
    }
  }
}

/** All closed windows of a KPI from its first window up to now; the full recompute a config change needs. */
export function allClosedWindows(kpi: KpiDefinition, now: number, liveSince?: number): Window[] {
  return windowsBetween(kpi.window, firstWindowStart(kpi, liveSince), now - kpi.settleMs);
}
