// What one run has read, kept so that it is not read again. Planning reads around the changes
// (dirtySpans.ts), and a scheduled call's due window then wants the same minutes again, with the
// same context; consecutive batches want each other's edges. A run is one snapshot of its
// inputs either way: a change that lands after the subscription was polled is the next run's,
// whether a read saw it or not, so an answer read a moment earlier in the run is as good.
//
// Bounded: at most `maxPoints` points are kept (oldest answers go first), so a catch-up that
// reads millions of points keeps only the last of them.

import { lowerBound } from "./interpolate.js";
import type { PointColumns, SeriesRef } from "./model.js";
import { PointColumnsBuilder } from "./points.js";
import type {
  AggregatesAnswer,
  AggregatesRequest,
  DatapointSource,
  PointsAnswer,
  PointsRequest,
} from "./ports.js";
import { seriesLookupKey } from "./series.js";

export const DEFAULT_READ_CACHE_POINTS = 500_000;

/** Every raw point of one series with start <= t < end, as one answer brought it. */
interface Segment {
  start: number;
  end: number;
  points: PointColumns;
  isStep: boolean;
  /** Order of arrival: the oldest segment is dropped first. */
  seq: number;
}

export class RunReadCache implements DatapointSource {
  readonly aggregates?: (requests: readonly AggregatesRequest[]) => Promise<AggregatesAnswer[]>;
  /** The calls made to the source (reads and aggregates), and the points (or intervals) they brought. */
  readonly forwarded = { calls: 0, points: 0 };
  readonly #source: DatapointSource;
  readonly #maxPoints: number;
  readonly #segments = new Map<string, Segment[]>();
  #points = 0;
  #seq = 0;

  constructor(source: DatapointSource, maxPoints = DEFAULT_READ_CACHE_POINTS) {
    this.#source = source;
    this.#maxPoints = maxPoints;
    const aggregates = source.aggregates;
    if (aggregates !== undefined) {
      this.aggregates = async (requests) => {
        const answers = await aggregates.call(source, requests);
        this.forwarded.calls++;
        for (const a of answers) this.forwarded.points += a.intervals.length;
        return answers;
      };
    }
  }

  async read(requests: readonly PointsRequest[]): Promise<PointsAnswer[]> {
    const answers = requests.map((r) => this.#serve(r));
    const missing = answers.flatMap((a, i) => (a === undefined ? [i] : []));
    if (missing.length > 0) {
      const fetched = await this.#source.read(missing.map((i) => requests[i]!));
      this.forwarded.calls++;
      missing.forEach((i, k) => {
        const answer = fetched[k]!;
        this.forwarded.points += answer.points.length;
        answers[i] = answer;
        this.#remember(requests[i]!, answer);
      });
    }
    return answers as PointsAnswer[];
  }

  /** Drops everything kept. */
  forgetAll(): void {
    this.#segments.clear();
    this.#points = 0;
  }

  /** Drops what is kept of these series (the run wrote them: they may be another KPI's input). */
  forget(series: readonly SeriesRef[]): void {
    for (const ref of series) {
      const key = seriesLookupKey(ref);
      for (const s of this.#segments.get(key) ?? []) this.#points -= s.points.length;
      this.#segments.delete(key);
    }
  }

  #serve(request: PointsRequest): PointsAnswer | undefined {
    const segments = this.#segments.get(seriesLookupKey(request.series));
    const s = segments?.find((seg) => seg.start <= request.start && request.start < seg.end);
    if (s === undefined || !(request.end > request.start)) return undefined;
    const { timestamps, length } = s.points;
    const i = lowerBound(timestamps, length, request.start);
    const j = lowerBound(timestamps, length, Math.min(request.end, s.end), i);
    if (request.limit !== undefined && j - i >= request.limit) {
      return { points: slice(s.points, i, i + request.limit), isStep: s.isStep };
    }
    // Fewer points than asked for are the answer only where the segment covers the whole range.
    if (s.end < request.end) return undefined;
    return { points: slice(s.points, i, j), isStep: s.isStep };
  }

  #remember(request: PointsRequest, answer: PointsAnswer): void {
    const n = answer.points.length;
    if (n > this.#maxPoints || !(request.end > request.start)) return;
    const start = request.start;
    // A limited answer that came back full covers up to its last point only.
    const end =
      request.limit !== undefined && n >= request.limit ? answer.points.timestamps[n - 1]! + 1 : request.end;
    if (!(end > start)) return;
    const key = seriesLookupKey(request.series);
    const segments = this.#segments.get(key) ?? [];
    const touching = segments.filter((s) => s.start <= end && s.end >= start);
    const kept = segments.filter((s) => !touching.includes(s));
    // A copy: the caller owns the answer it was given.
    let segment: Segment = {
      start,
      end,
      points: slice(answer.points, 0, n),
      isStep: answer.isStep,
      seq: this.#seq++,
    };
    if (touching.length > 0) {
      // The new answer decides its own range; older ones what lies outside it.
      const b = new PointColumnsBuilder(n);
      for (const s of touching) append(b, s.points, Number.NEGATIVE_INFINITY, start);
      append(b, answer.points, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY);
      for (const s of touching) append(b, s.points, end, Number.POSITIVE_INFINITY);
      segment = {
        ...segment,
        start: Math.min(start, ...touching.map((s) => s.start)),
        end: Math.max(end, ...touching.map((s) => s.end)),
        points: b.build(),
      };
      for (const s of touching) this.#points -= s.points.length;
    }
    kept.push(segment);
    kept.sort((a, b) => a.start - b.start);
    this.#segments.set(key, kept);
    this.#points += segment.points.length;
    this.#evict();
  }

  #evict(): void {
    while (this.#points > this.#maxPoints) {
      let oldest: { key: string; segment: Segment } | undefined;
      for (const [key, segments] of this.#segments) {
        for (const segment of segments)
          if (oldest === undefined || segment.seq < oldest.segment.seq) oldest = { key, segment };
      }
      if (oldest === undefined) return;
      const rest = this.#segments.get(oldest.key)!.filter((s) => s !== oldest.segment);
      if (rest.length > 0) this.#segments.set(oldest.key, rest);
      else this.#segments.delete(oldest.key);
      this.#points -= oldest.segment.points.length;
    }
  }
}

/** Points i..j-1 as new columns: callers own what they are given. */
function slice(points: PointColumns, i: number, j: number): PointColumns {
  return {
    length: j - i,
    timestamps: points.timestamps.slice(i, j),
    values: points.values.slice(i, j),
    statuses: points.statuses.slice(i, j),
  };
}

/** Appends the points with from <= t < to. */
function append(b: PointColumnsBuilder, points: PointColumns, from: number, to: number): void {
  const i = lowerBound(points.timestamps, points.length, from);
  const j = lowerBound(points.timestamps, points.length, to, i);
  if (j > i) {
    b.appendColumns({
      timestamps: points.timestamps.subarray(i, j),
      values: points.values.subarray(i, j),
      statuses: points.statuses.subarray(i, j),
    });
  }
}
