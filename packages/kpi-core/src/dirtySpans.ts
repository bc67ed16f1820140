// Which finalized windows a data change may have altered (design.md, "One run", step 3). A change
// at t first alters which points survive cleaning, and not only at t: a Hampel step judges each
// point by (window-1)/2 neighbours on each side, a flatline step by the whole run of equal values.
// So the changed region grows step by step over the data as it is now (outside the region the
// old and new data agree at every stage, which is what makes the current data enough). Then the
// region's reach in time: linear segments up to maxGap on each side, a step hold up to the next
// kept point, delta() up to the window holding the next kept point.

import { aggregatesOf } from "./expression.js";
import { type CleanReach, firstReadLookBackMs, type InputReach, inputReach } from "./inputReach.js";
import { lowerBound } from "./interpolate.js";
import type { KpiDefinition } from "./kpiDefinition.js";
import type { InputSpec, WindowSpec } from "./model.js";
import type { DatapointSource } from "./ports.js";
import {
  type Lacking,
  type ReadStats,
  readAround,
  readAroundKey,
  type SeriesRead,
  type Wanted,
} from "./readAround.js";
import { type CleanStage, trustedClean } from "./trustedClean.js";

/** Changes to one input series since the last run, as a datapoint subscription reports them. */
export interface InputChanges {
  /** The input name (kpis.yaml `inputs` key). Without it, every input the KPI reads from the changed series. */
  input?: string;
  /** Timestamps that got an upsert (new, late or corrected points). */
  timestamps: readonly number[];
  /** Deleted ranges, [start, end) like CDF's {inclusiveBegin, exclusiveEnd}. */
  deletedRanges: ReadonlyArray<{ start: number; end: number }>;
}

/** A time span [from, to): the windows with start < to and end > from are dirty. */
export interface Span {
  from: number;
  to: number;
}

// Changes closer than this are read as one stretch; farther apart, separately, so that a change
// nine years back and one today do not read the nine years between them.
const SEPARATE_READS_BEYOND_MS = 86_400_000;
// How near a changed region the caller's next windows must lie to be read along with it.
const ALSO_READ_NEAR_MS = 3_600_000;
// At most this many changed regions per input are planned one by one; past it, the nearest ones
// are joined (a bulk load of millions of points would otherwise take gigabytes to plan).
export const MAX_CHANGED_REGIONS = 20_000;

/**
 * The spans whose windows may have another value now, sorted, merged, clipped to
 * [kpi.startMs, now - settle) (from the KPI's start, if it has one). Windows are not listed
 * here: `windowsOfSpans` walks them lazily.
 */
export async function dirtySpans(
  source: DatapointSource,
  kpi: KpiDefinition,
  changes: readonly InputChanges[],
  now: number,
  stats?: ReadStats,
): Promise<Span[]> {
  return (await dirtySpansOfKpis(source, [{ kpi, changes }], now, stats))[0]!;
}

/** One KPI's changes; `alsoRead`: windows the caller reads next (its due ones), read along where near. */
export interface DirtySpansRequest {
  kpi: KpiDefinition;
  changes: readonly InputChanges[];
  alsoRead?: Span;
}

/**
 * dirtySpans for many KPIs, with one batched read per round for all of them. A KPI's `alsoRead`
 * span, as far as it lies within an hour of a changed region, is read in the same first round
 * (with its look-back), so that a caller reading through a RunReadCache finds it there: a
 * scheduled call's due window lies just before the minutes that just arrived.
 */
export async function dirtySpansOfKpis(
  source: DatapointSource,
  requests: readonly DirtySpansRequest[],
  now: number,
  stats?: ReadStats,
  /** At most this many changed regions per input (see changedRegions); tests set it low. */
  maxRegions = MAX_CHANGED_REGIONS,
  /** Join changed points less than a window apart (see changedRegions); tests turn it off to compare. */
  joinNearby = true,
): Promise<Span[][]> {
  const questions: Array<{
    k: number;
    spec: InputSpec;
    usesDelta: boolean;
    group: RegionGroup;
    settings: string;
  }> = [];
  const wanted: Wanted[] = [];
  // KPIs that read one input alike with the same changes ask one question: its answer, per read,
  // by the input's settings and by the very region group (shared when the changes are).
  const answers = new WeakMap<SeriesRead, Map<string, Map<RegionGroup, Answer>>>();
  const answer = (
    read: SeriesRead,
    spec: InputSpec,
    usesDelta: boolean,
    group: RegionGroup,
    settings: string,
  ) => {
    let bySettings = answers.get(read);
    if (bySettings === undefined) answers.set(read, (bySettings = new Map()));
    let known = bySettings.get(settings);
    if (known === undefined) bySettings.set(settings, (known = new Map()));
    let found = known.get(group);
    if (found === undefined) {
      found = affected(read, spec, inputReach(spec, read.isStep, usesDelta), group.regions, now);
      // Merged once here, not in each KPI that shares it: 600 appended points give 1,200 spans.
      if ("spans" in found) found = { spans: mergeSpans(found.spans) };
      known.set(group, found);
    }
    return found;
  };
  // The changed regions of one input's changes, grouped: computed once for the KPIs that share
  // the changes (runKpis hands each of them the same timestamps array, and equal deleted ranges).
  const regionsOf = new Map<readonly number[], Map<string, RegionGroup[]>>();
  const regionGroups = (matching: readonly InputChanges[], joinBelowMs: number): RegionGroup[] => {
    const only = matching.length === 1 ? matching[0]! : undefined;
    // String() spells NaN, Infinity and -Infinity apart (JSON would write each as null).
    let deleted = `${joinBelowMs}|`;
    if (only !== undefined) for (const r of only.deletedRanges) deleted += `${r.start},${r.end};`;
    const known = only === undefined ? undefined : regionsOf.get(only.timestamps)?.get(deleted);
    if (known !== undefined) return known;
    const found = groups(changedRegions(matching, maxRegions, joinBelowMs)).map((group) => ({
      regions: group,
    }));
    if (only !== undefined) {
      let byDeleted = regionsOf.get(only.timestamps);
      if (byDeleted === undefined) regionsOf.set(only.timestamps, (byDeleted = new Map()));
      byDeleted.set(deleted, found);
    }
    return found;
  };
  requests.forEach(({ kpi, changes, alsoRead }, k) => {
    const aggregates = aggregatesOf(kpi.expression);
    const used = new Set(aggregates.map((node) => node.input));
    const withDelta = new Set(aggregates.filter((node) => node.fn === "delta").map((node) => node.input));
    for (const spec of kpi.inputs) {
      if (!used.has(spec.name)) continue;
      const matching = changes.filter((c) => c.input === undefined || c.input === spec.name);
      const usesDelta = withDelta.has(spec.name);
      const settings = settingsKey(spec, usesDelta);
      for (const group of regionGroups(matching, joinNearby ? shortestWindowMs(kpi.window) : 0)) {
        questions.push({ k, spec, usesDelta, group, settings });
        const from = group.regions[0]!.from;
        const to = group.regions[group.regions.length - 1]!.to;
        const near =
          alsoRead === undefined
            ? undefined
            : {
                // Whole milliseconds, as CDF takes them, whatever the caller's clock gave.
                from: Math.floor(Math.max(alsoRead.from, from - ALSO_READ_NEAR_MS)),
                to: Math.ceil(Math.min(alsoRead.to, to + ALSO_READ_NEAR_MS)),
              };
        const both = near !== undefined && near.to > near.from;
        wanted.push({
          series: spec.series,
          group: `${from}`,
          from: Math.min(
            from - (spec.step ? 0 : firstReadLookBackMs(spec)),
            both ? near.from - firstReadLookBackMs(spec) : from,
          ),
          to: both ? Math.max(to, near.to) : to,
          lacking: (read) => {
            const found = answer(read, spec, usesDelta, group, settings);
            return "spans" in found ? { before: false, after: false } : found;
          },
        });
      }
    }
  });
  const reads = await readAround(source, wanted, stats);
  const spans: Span[][] = requests.map(() => []);
  wanted.forEach((w, i) => {
    const read = reads.get(readAroundKey(w))!;
    const { k, spec, usesDelta, group, settings } = questions[i]!;
    const found = answer(read, spec, usesDelta, group, settings);
    // readAround stops only at CDF's time range, where nothing can lack any more; were that ever
    // wrong, every window is the answer that cannot miss one.
    // A loop, not push(...): a million changed points would overflow the call's arguments.
    if ("spans" in found) for (const s of found.spans) spans[k]!.push(s);
    else spans[k]!.push({ from: Number.NEGATIVE_INFINITY, to: now });
  });
  return requests.map(({ kpi }, k) => {
    const closedBefore = now - kpi.settleMs;
    const first = kpi.startMs ?? Number.NEGATIVE_INFINITY;
    return mergeSpans(
      spans[k]!.map((s) => ({ from: Math.max(s.from, first), to: Math.min(s.to, closedBefore) })).filter(
        (s) => s.to > s.from,
      ),
    );
  });
}

type Answer = { spans: Span[] } | Lacking;

/** Changed regions within a day of each other; one object per group, shared by the KPIs it concerns. */
interface RegionGroup {
  regions: Span[];
}

/**
 * Everything `affected` depends on besides the read and the regions: the input's settings but
 * its name (which the value expression alone uses), and whether delta() applies. Numbers JSON
 * cannot spell (Infinity) are spelled as text, so no two settings share a key.
 */
function settingsKey(spec: InputSpec, usesDelta: boolean): string {
  return JSON.stringify(
    [spec.series, spec.clean, spec.maxGapMs ?? "none", spec.step, spec.counter, spec.uncertain, usesDelta],
    (_, v) => (typeof v === "number" && !Number.isFinite(v) ? String(v) : v),
  );
}

/** The spans these changed regions affect, or which side lacks data to tell. */
function affected(
  read: SeriesRead,
  spec: InputSpec,
  reach: InputReach,
  regions: readonly Span[],
  now: number,
): Answer {
  const stages = trustedClean(read.points, spec, reach.clean, read.extent);
  const lacking = { before: false, after: false };
  // Stage by stage over all regions at once, merged after each: outside their union the old and
  // new data agree at that stage, which is what lets each region grow over the data as it is now.
  let current: Span[] = [...regions];
  for (let k = 0; k < reach.clean.length; k++) {
    const grown: Span[] = [];
    for (const c of current) {
      const g = grow(stages[k]!, reach.clean[k]!, c);
      if ("before" in g) {
        lacking.before ||= g.before;
        lacking.after ||= g.after;
      } else grown.push(g);
    }
    current = mergeSpans(grown);
  }
  if (lacking.before || lacking.after) return lacking;
  const spans: Span[] = [];
  const final = stages[stages.length - 1]!;
  const step = spec.step || read.isStep;
  const needNext = step || reach.keptBeforeMs === Number.POSITIVE_INFINITY;
  for (const c of current) {
    spans.push(c);
    let next: number | undefined;
    if (needNext) {
      const found = nextKept(final, c.to);
      if (typeof found === "object") {
        lacking.before ||= found.before;
        lacking.after ||= found.after;
        continue;
      }
      next = found;
    }
    // A kept point at p is in segments reaching [p - maxGap, p + maxGap]; a window starting at
    // p + maxGap only touches the segment's end. Nearer than that, the kept points on each side
    // of the region bound it: outside them the curve and every window's context are as before.
    // Where the read does not show them, maxGap is the bound that cannot miss a window.
    if (!step) {
      const before = keptBefore(final, c.from);
      const after = keptAtOrAfter(final, c.to);
      spans.push({
        from: Math.max(c.from - reach.keptAfterMs, before ?? Number.NEGATIVE_INFINITY),
        to: Math.min(c.to - 1 + reach.keptAfterMs, after ?? Number.POSITIVE_INFINITY),
      });
    } else {
      spans.push({ from: c.from, to: Math.max(c.to, Math.min(next ?? now, c.to - 1 + holdLimit(spec))) });
    }
    // delta() of the next window with a point starts from the last kept point before it.
    if (reach.keptBeforeMs === Number.POSITIVE_INFINITY && next !== undefined)
      spans.push({ from: c.from, to: next + 1 });
  }
  if (lacking.before || lacking.after) return lacking;
  return { spans };
}

function holdLimit(spec: InputSpec): number {
  return spec.maxGapMs ?? Number.POSITIVE_INFINITY;
}

/** The last kept point before t that the read shows, if any. */
function keptBefore(stage: CleanStage, t: number): number | undefined {
  const { timestamps, length } = stage.points;
  const i = lowerBound(timestamps, length, t) - 1;
  return i >= 0 && timestamps[i]! >= stage.lo ? timestamps[i]! : undefined;
}

/** The first kept point at or after t that the read shows, if any. */
function keptAtOrAfter(stage: CleanStage, t: number): number | undefined {
  const { timestamps, length } = stage.points;
  const j = lowerBound(timestamps, length, t);
  return j < length && timestamps[j]! < stage.hi ? timestamps[j]! : undefined;
}

/** The first kept point at or after t, undefined if there is none, or which side the read lacks to tell. */
function nextKept(stage: CleanStage, t: number): number | undefined | Lacking {
  if (!(stage.lo <= t)) return { before: true, after: false };
  const { timestamps, length } = stage.points;
  const j = lowerBound(timestamps, length, t);
  if (j < length && timestamps[j]! < stage.hi) return timestamps[j]!;
  if (stage.hi === Number.POSITIVE_INFINITY) return undefined;
  return { before: false, after: true };
}

/** The region whose points' fate at the next stage may differ, given where this stage's may. */
function grow(stage: CleanStage, reach: CleanReach, c: Span): Span | Lacking {
  if (reach.kind === "point") return c;
  const { lo, hi } = stage;
  if (!(lo <= c.from && c.to <= hi)) return { before: !(lo <= c.from), after: !(c.to <= hi) };
  const { timestamps: t, values: v, length } = stage.points;
  const iLo = lowerBound(t, length, lo);
  const iHi = lowerBound(t, length, hi, iLo);
  const i = lowerBound(t, length, c.from, iLo); // first point at or after c.from
  const j = lowerBound(t, length, c.to, i); // first point at or after c.to
  const startKnown = lo === Number.NEGATIVE_INFINITY;
  const endKnown = hi === Number.POSITIVE_INFINITY;
  let from = c.from;
  let to = c.to;
  if (reach.kind === "points") {
    // A point's verdict depends on eachSide neighbours per side: the last eachSide before the
    // region and the first eachSide after it may change.
    const h = reach.eachSide;
    if (i - h >= iLo) from = Math.min(from, t[i - h]!);
    else if (startKnown) from = i > iLo ? Math.min(from, t[iLo]!) : from;
    else return { before: true, after: false };
    if (j + h - 1 < iHi) to = Math.max(to, h > 0 ? t[j + h - 1]! + 1 : to);
    else if (endKnown) to = iHi > j ? Math.max(to, t[iHi - 1]! + 1) : to;
    else return { before: false, after: true };
    return { from, to };
  }
  const d = reach.durationMs;
  // The run just before the region: it may join points in the region, so its span may cross d;
  // if what lies outside already lasts longer than d, its fate is sealed either way.
  if (i - 1 >= iLo) {
    const last = i - 1;
    let first = last;
    while (first - 1 >= iLo && v[first - 1] === v[last] && t[last]! - t[first - 1]! <= d) first--;
    const sealed = first - 1 >= iLo && v[first - 1] === v[last];
    if (!sealed) {
      if (first === iLo && !startKnown) return { before: true, after: false };
      from = Math.min(from, t[first]!);
    }
  } else if (!startKnown) return { before: true, after: false };
  // The run just after: its first point may stop being first; the rest as above.
  if (j < iHi) {
    let last = j;
    while (last + 1 < iHi && v[last + 1] === v[j] && t[last + 1]! - t[j]! <= d) last++;
    const sealed = last + 1 < iHi && v[last + 1] === v[j];
    if (sealed) to = Math.max(to, t[j]! + 1);
    else {
      if (last === iHi - 1 && !endKnown) return { before: false, after: true };
      to = Math.max(to, t[last]! + 1);
    }
  } else if (!endKnown) return { before: false, after: true };
  return { from, to };
}

/** The union of spans, as sorted spans that neither overlap nor touch. */
export function mergeSpans(spans: readonly Span[]): Span[] {
  const merged: Span[] = [];
  for (const s of [...spans].sort((a, b) => a.from - b.from)) {
    const previous = merged[merged.length - 1];
    if (previous !== undefined && s.from <= previous.to) previous.to = Math.max(previous.to, s.to);
    else merged.push({ ...s });
  }
  return merged;
}

/**
 * The changed regions of these changes, sorted and merged: one per upserted point ([t, t + 1)) and
 * per deleted range. Past `maxRegions`, regions whose gap is at most g are joined, g the
 * smallest gap that leaves few enough. Joining only adds the time between two changes to
 * what may have changed, so the dirty windows can only grow: never a hole, at worst a window
 * computed again. The points are sorted as numbers, without an object per point.
 */
/**
 * Changed points as regions: points one millisecond apart or less are one region, and so are
 * points at most `joinBelowMs` apart, given no window of the KPI is shorter. Joining those
 * dirties no other window: a window that meets the stretch between two changed points at most a
 * window apart holds one of them (one that holds neither needs them a window and 1 ms apart), so it was dirty already, and the
 * neighbours each region grows to are those of the outer points. What it saves is planning every
 * point of 1 Hz data that arrived on time as a region of its own (600 a scheduled call and input).
 */
export function changedRegions(
  changes: readonly InputChanges[],
  maxRegions = MAX_CHANGED_REGIONS,
  joinBelowMs = 0,
): Span[] {
  let n = 0;
  for (const change of changes) n += change.timestamps.length;
  const points = new Float64Array(n);
  let k = 0;
  for (const change of changes) for (const t of change.timestamps) points[k++] = t;
  points.sort();
  // Runs of points one millisecond apart or less are one region [first, last + 1).
  const from = new Float64Array(n);
  const to = new Float64Array(n);
  let m = 0;
  for (let i = 0; i < n; i++) {
    const t = points[i]!;
    if (m > 0 && (t <= to[m - 1]! || t - to[m - 1]! < joinBelowMs)) to[m - 1] = Math.max(to[m - 1]!, t + 1);
    else {
      from[m] = t;
      to[m] = t + 1;
      m++;
    }
  }
  // Too many: the smallest gap that leaves few enough regions, from the gaps sorted.
  let join = 0;
  if (m > maxRegions) {
    const gaps = new Float64Array(m - 1);
    for (let i = 1; i < m; i++) gaps[i - 1] = from[i]! - to[i - 1]!;
    gaps.sort();
    join = gaps[m - maxRegions]!;
  }
  const regions: Span[] = [];
  for (let i = 0; i < m; i++) {
    const last = regions[regions.length - 1];
    if (last !== undefined && from[i]! - last.to <= join) last.to = to[i]!;
    else regions.push({ from: from[i]!, to: to[i]! });
  }
  for (const change of changes)
    for (const r of change.deletedRanges) if (r.end > r.start) regions.push({ from: r.start, to: r.end });
  let merged = mergeSpans(regions);
  // Many deleted ranges besides: joined the same way, the gap doubling.
  for (let gap = 1; merged.length > maxRegions; gap *= 2) {
    const joined: Span[] = [];
    for (const r of merged) {
      const last = joined[joined.length - 1];
      if (last !== undefined && r.from - last.to <= gap) last.to = Math.max(last.to, r.to);
      else joined.push(r);
    }
    merged = joined;
  }
  return merged;
}

/** Merged regions in groups, a new group wherever the gap to the previous exceeds a day. */
function groups(regions: readonly Span[]): Span[][] {
  const out: Span[][] = [];
  for (const r of regions) {
    const current = out[out.length - 1];
    if (current !== undefined && r.from - current[current.length - 1]!.to <= SEPARATE_READS_BEYOND_MS)
      current.push(r);
    else out.push([r]);
  }
  return out;
}

/**
 * How near changed points must be to be planned as one region: no longer than any window of the
 * grid (a calendar day may be 23 hours or less where a zone moved by more, so calendar windows
 * count as one hour), and at most an hour, so that two corrections days apart under a weekly
 * window do not read the days between (a review helper measured 476,357 points against 2,314).
 */
function shortestWindowMs(spec: WindowSpec): number {
  return spec.kind === "fixed" ? Math.min(spec.everyMs, 3_600_000) : 3_600_000;
}
