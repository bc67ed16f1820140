// Reading series until a question about them can be answered exactly: from a span, outward in
// growing steps, until the caller says nothing more is lacking on either side. Backwards the
// read doubles (x4) its reach in time, as CDF cannot list points newest-first; forwards it asks
// for the next N points (CDF's limit), N growing x4, so the series' end is proven by a short
// answer instead of a walk to the year 2099. Both stop at CDF's time range, so it terminates.

import { CDF_MAX_TIME, CDF_MIN_TIME, type PointColumns, type SeriesRef } from "./model.js";
import { PointColumnsBuilder } from "./points.js";
import type { DatapointSource, PointsRequest } from "./ports.js";
import { seriesLookupKey } from "./series.js";
import type { ReadExtent } from "./trustedClean.js";

/** What has been read of one series so far. */
export interface SeriesRead {
  points: PointColumns;
  isStep: boolean;
  extent: ReadExtent;
}

/** Which sides still lack data for an exact answer. */
export interface Lacking {
  before: boolean;
  after: boolean;
}

export interface Wanted {
  series: SeriesRef;
  /** Wanted reads of one series with different groups are read separately (far-apart spans). */
  group?: string;
  /** The span the question is about, [from, to). */
  from: number;
  to: number;
  lacking(read: SeriesRead): Lacking;
}

export interface ReadStats {
  /** Points received. */
  points: number;
  /** Calls to the source (each one batched read, for every series that needed more). */
  requests: number;
}

const FIRST_FORWARD_LIMIT = 256;
const GROWTH = 4;

interface State {
  series: SeriesRef;
  wanted: Wanted[];
  points: PointColumns;
  isStep: boolean;
  extent: ReadExtent;
  backStep: number;
  forwardLimit: number;
  /** The read handed to the questions, kept while nothing new arrives (their answers are remembered per read). */
  read: SeriesRead | undefined;
}

/** Reads every wanted series until none lacks anything; one batched source call per round. */
export async function readAround(
  source: DatapointSource,
  wanted: readonly Wanted[],
  stats: ReadStats = { points: 0, requests: 0 },
): Promise<Map<string, SeriesRead>> {
  const states = new Map<string, State>();
  for (const w of wanted) {
    if (!(w.to > w.from)) continue;
    const key = readAroundKey(w);
    const state = states.get(key);
    if (state === undefined) {
      states.set(key, {
        series: w.series,
        wanted: [w],
        points: new PointColumnsBuilder(0).build(),
        isStep: false,
        extent: { start: w.from, end: w.from, startIsSeriesStart: false, endIsSeriesEnd: false },
        backStep: 0,
        forwardLimit: FIRST_FORWARD_LIMIT,
        read: undefined,
      });
    } else state.wanted.push(w);
  }
  // First round: each series' whole span, then the next points after it.
  const first: Array<{ state: State; request: PointsRequest; side: "span" | "before" | "after" }> = [];
  for (const state of states.values()) {
    const from = clampTime(Math.min(...state.wanted.map((w) => w.from)));
    const to = clampTime(Math.max(...state.wanted.map((w) => w.to)));
    state.extent = {
      start: from,
      end: from,
      startIsSeriesStart: from <= CDF_MIN_TIME,
      endIsSeriesEnd: false,
    };
    state.backStep = Math.max(to - from, 3_600_000);
    first.push({ state, request: { series: state.series, start: from, end: to }, side: "span" });
    first.push({
      state,
      request: { series: state.series, start: to, end: CDF_MAX_TIME + 1, limit: state.forwardLimit },
      side: "after",
    });
  }
  let round = first;
  while (round.length > 0) {
    const answers = await source.read(round.map((r) => r.request));
    stats.requests++;
    round.forEach(({ state, request, side }, i) => {
      const answer = answers[i]!;
      state.read = undefined;
      stats.points += answer.points.length;
      state.isStep = answer.isStep;
      if (side === "span") {
        state.points = answer.points;
        state.extent = { ...state.extent, end: request.end };
      } else if (side === "before") {
        state.points = concat(answer.points, state.points);
        state.extent = {
          ...state.extent,
          start: request.start,
          startIsSeriesStart: request.start <= CDF_MIN_TIME,
        };
      } else {
        const n = answer.points.length;
        const complete = request.limit === undefined || n < request.limit;
        state.points = concat(state.points, answer.points);
        state.extent = {
          ...state.extent,
          end: complete ? request.end : answer.points.timestamps[n - 1]! + 1,
          endIsSeriesEnd: complete,
        };
      }
    });
    round = [];
    for (const state of states.values()) {
      state.read ??= { points: state.points, isStep: state.isStep, extent: state.extent };
      const read = state.read;
      let before = false;
      let after = false;
      for (const w of state.wanted) {
        const lacking = w.lacking(read);
        before ||= lacking.before && !state.extent.startIsSeriesStart;
        after ||= lacking.after && !state.extent.endIsSeriesEnd;
      }
      if (before) {
        const start = clampTime(state.extent.start - state.backStep);
        state.backStep *= GROWTH;
        round.push({
          state,
          request: { series: state.series, start, end: state.extent.start },
          side: "before",
        });
      }
      if (after) {
        state.forwardLimit *= GROWTH;
        round.push({
          state,
          request: {
            series: state.series,
            start: state.extent.end,
            end: CDF_MAX_TIME + 1,
            limit: state.forwardLimit,
          },
          side: "after",
        });
      }
    }
  }
  const reads = new Map<string, SeriesRead>();
  for (const [key, state] of states) {
    reads.set(key, state.read ?? { points: state.points, isStep: state.isStep, extent: state.extent });
  }
  return reads;
}

/** The key of a wanted read in readAround's answer: its series, and its group if any. */
export function readAroundKey(w: Pick<Wanted, "series" | "group">): string {
  const key = seriesLookupKey(w.series);
  return w.group === undefined ? key : `${key}\u0000${w.group}`;
}

function clampTime(t: number): number {
  return Math.min(Math.max(t, CDF_MIN_TIME), CDF_MAX_TIME + 1);
}

function concat(a: PointColumns, b: PointColumns): PointColumns {
  if (a.length === 0) return b;
  if (b.length === 0) return a;
  const builder = new PointColumnsBuilder(a.length + b.length);
  for (const p of [a, b]) {
    builder.appendColumns({
      timestamps: p.timestamps.subarray(0, p.length),
      values: p.values.subarray(0, p.length),
      statuses: p.statuses.subarray(0, p.length),
    });
  }
  return builder.build();
}
