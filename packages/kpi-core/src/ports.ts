// The edges of the functional core: everything a run needs from the outside world, as small
// interfaces. packages/cdf implements them on CDF; the in-memory versions below are for tests
// and offline runs, and behave like CDF where it matters (outside points, overwrite by timestamp).

import type { KpiDatapoint, PointColumns, SeriesRef } from "./model.js";
import { STATUS_BAD } from "./model.js";
import { PointColumnsBuilder, type PointInput } from "./points.js";

/** A half-open time range [start, end), epoch milliseconds. */
export interface TimeRange {
  start: number;
  end: number;
}

/** One series' raw points with start <= t < end; with `limit`, only the first `limit` of them. */
export interface PointsRequest {
  series: SeriesRef;
  start: number;
  end: number;
  limit?: number;
}

export interface PointsAnswer {
  /** Ascending, one per timestamp, every status (a later Bad point shadows a Good one). */
  points: PointColumns;
  /** The CDF time series' isStep. */
  isStep: boolean;
}

export interface DatapointSource {
  /**
   * One answer per request, in order: CDF's datapoints/list with many items in one call (the
   * adapter splits and pages as CDF needs). No outside points: the context a window needs is
   * the nearest points that survive cleaning, which readAround.ts finds, not the nearest raw ones.
   */
  read(requests: readonly PointsRequest[]): Promise<PointsAnswer[]>;
}

export interface DatapointSink {
  /** Upserts: a datapoint at an existing timestamp replaces it (CDF semantics), so writes are idempotent. */
  write(ref: SeriesRef, datapoints: readonly KpiDatapoint[]): Promise<void>;
  /** Deletes every datapoint with start <= t < end. */
  delete(ref: SeriesRef, range: TimeRange): Promise<void>;
}

/** What one run did for one KPI, kept for status displays and alerting. */
export interface RunSummary {
  /** When the run started (epoch ms, from the Clock). */
  at: number;
  windowsWritten: number;
  badWindows: number;
  /** Due windows left for later runs (time budget). */
  backlog: number;
  /** Set when the run failed for this KPI. */
  error?: string;
}

/** Per-KPI state: only what cannot be derived from the output time series (design.md, "State"). */
export interface KpiState {
  configHash: string;
  /** Start of the last window whose datapoint was written, for due-window planning. */
  lastFinalizedStart?: number;
  lastRun?: RunSummary;
}

export interface StateStore {
  getKpiState(kpiKey: string): Promise<KpiState | undefined>;
  putKpiState(kpiKey: string, state: KpiState): Promise<void>;
  /** The datapoint subscription cursor of one partition, undefined before the first run. */
  getCursor(subscription: string, partition: number): Promise<string | undefined>;
  putCursor(subscription: string, partition: number, cursor: string): Promise<void>;
}

export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
}

/** A Clock that says what it is told; `set`/`advance` move it. */
export class FixedClock implements Clock {
  constructor(private current: number) {}
  now(): number {
    return this.current;
  }
  set(epochMs: number): void {
    this.current = epochMs;
  }
  advance(ms: number): void {
    this.current += ms;
  }
}

export interface StoredPoint {
  timestamp: number;
  /** NaN when the point has no value (a Bad KPI datapoint). */
  value: number;
  status: number;
}

interface StoredSeries {
  isStep: boolean;
  points: Map<number, StoredPoint>;
}

/**
 * Time series in memory, readable as a DatapointSource and writable as a DatapointSink. A Bad
 * KPI datapoint is stored as CDF stores it: status Bad (2147483648) and no value (NaN here).
 */
export class InMemoryDatapointStore implements DatapointSource, DatapointSink {
  private readonly series = new Map<string, StoredSeries>();

  /** Creates the series if needed and upserts points (same timestamp: the later one wins). */
  insert(ref: SeriesRef, points: readonly PointInput[], opts: { isStep?: boolean } = {}): void {
    const stored = this.ensure(ref);
    if (opts.isStep !== undefined) stored.isStep = opts.isStep;
    for (const p of points) {
      stored.points.set(p.timestamp, {
        timestamp: p.timestamp,
        value: p.value ?? Number.NaN,
        status: p.status ?? 0,
      });
    }
  }

  /** Every stored point of the series, sorted by timestamp (empty for an unknown series). */
  points(ref: SeriesRef): StoredPoint[] {
    const stored = this.series.get(refKey(ref));
    if (stored === undefined) return [];
    return [...stored.points.values()].sort((a, b) => a.timestamp - b.timestamp);
  }

  async read(requests: readonly PointsRequest[]): Promise<PointsAnswer[]> {
    return requests.map((request) => {
      const stored = this.series.get(refKey(request.series));
      if (stored === undefined) {
        throw new Error(
          `time series ${refKey(request.series)} does not exist in the in-memory store; insert it first`,
        );
      }
      const limit = request.limit ?? Number.POSITIVE_INFINITY;
      const builder = new PointColumnsBuilder();
      for (const p of this.points(request.series)) {
        if (builder.length >= limit) break;
        if (p.timestamp >= request.start && p.timestamp < request.end)
          builder.append(p.timestamp, p.value, p.status);
      }
      return { points: builder.build(), isStep: stored.isStep };
    });
  }

  async write(ref: SeriesRef, datapoints: readonly KpiDatapoint[]): Promise<void> {
    this.insert(
      ref,
      datapoints.map((d) =>
        d.status === "Good"
          ? { timestamp: d.timestamp, value: d.value, status: 0 }
          : { timestamp: d.timestamp, value: Number.NaN, status: STATUS_BAD },
      ),
    );
  }

  async delete(ref: SeriesRef, range: TimeRange): Promise<void> {
    const stored = this.series.get(refKey(ref));
    if (stored === undefined) return;
    for (const t of [...stored.points.keys()]) {
      if (t >= range.start && t < range.end) stored.points.delete(t);
    }
  }

  private ensure(ref: SeriesRef): StoredSeries {
    const key = refKey(ref);
    let stored = this.series.get(key);
    if (stored === undefined) {
      stored = { isStep: false, points: new Map() };
      this.series.set(key, stored);
    }
    return stored;
  }
}

/** StateStore in memory; values are copied in and out, as a real store would serialize them. */
export class InMemoryStateStore implements StateStore {
  private readonly states = new Map<string, KpiState>();
  private readonly cursors = new Map<string, string>();

  async getKpiState(kpiKey: string): Promise<KpiState | undefined> {
    const state = this.states.get(kpiKey);
    return state === undefined ? undefined : structuredClone(state);
  }

  async putKpiState(kpiKey: string, state: KpiState): Promise<void> {
    this.states.set(kpiKey, structuredClone(state));
  }

  async getCursor(subscription: string, partition: number): Promise<string | undefined> {
    return this.cursors.get(`${subscription}\u0000${partition}`);
  }

  async putCursor(subscription: string, partition: number, cursor: string): Promise<void> {
    this.cursors.set(`${subscription}\u0000${partition}`, cursor);
  }
}

function refKey(ref: SeriesRef): string {
  return "externalId" in ref
    ? `externalId:${ref.externalId}`
    : `instanceId:${ref.instanceId.space}:${ref.instanceId.externalId}`;
}
