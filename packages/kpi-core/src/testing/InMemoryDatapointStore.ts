import type { KpiDatapoint, PointColumns, SeriesRef } from "../model.js";
import { STATUS_BAD } from "../model.js";
import { PointColumnsBuilder, type PointInput } from "../points.js";
import type {
  DatapointSource,
  KpiOutput,
  OutputRemoval,
  OutputWrite,
  PointsAnswer,
  PointsRequest,
  SeriesChange,
  TimeRange,
} from "../ports.js";
import { seriesLookupKey } from "../series.js";

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
 * Time series in memory: the inputs (a DatapointSource) and the outputs (a KpiOutput). `insert`
 * and `delete` are the outside world changing the inputs, and are told to change listeners (a
 * subscription); KPI writes and removals are not. `failWrites` makes the next write batches fail,
 * as CDF can; a failed batch writes nothing. `failRemovals` does the same to removals.
 */
export class InMemoryDatapointStore implements DatapointSource, KpiOutput {
  private readonly series = new Map<string, StoredSeries>();
  private readonly listeners: Array<(change: SeriesChange) => void> = [];
  private writesToFail = 0;
  private removalsToFail = 0;
  private removalsBeforeFailing = 0;
  /** Calls to remove() that removed something, and the ranges they sent. */
  removals = { calls: 0, ranges: 0 };
  /** Calls to read() so far. */
  reads = 0;

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
    if (points.length > 0)
      this.tell({ series: ref, timestamps: points.map((p) => p.timestamp), deletedRanges: [] });
  }

  /** Deletes every point with start <= t < end. */
  async delete(ref: SeriesRef, range: TimeRange): Promise<void> {
    const stored = this.series.get(seriesLookupKey(ref));
    if (stored !== undefined) {
      for (const t of [...stored.points.keys()]) {
        if (t >= range.start && t < range.end) stored.points.delete(t);
      }
    }
    this.tell({ series: ref, timestamps: [], deletedRanges: [range] });
  }

  onChange(listener: (change: SeriesChange) => void): void {
    this.listeners.push(listener);
  }

  /** The next `count` write batches fail (nothing of them is written). */
  failWrites(count: number): void {
    this.writesToFail = count;
  }

  /** The next `count` calls to remove() after the next `after` fail (nothing of them is removed). */
  failRemovals(count: number, after = 0): void {
    this.removalsToFail = count;
    this.removalsBeforeFailing = after;
  }

  /** Every stored point of the series, sorted by timestamp (empty for an unknown series). */
  points(ref: SeriesRef): StoredPoint[] {
    const stored = this.series.get(seriesLookupKey(ref));
    if (stored === undefined) return [];
    return [...stored.points.values()].sort((a, b) => a.timestamp - b.timestamp);
  }

  async read(requests: readonly PointsRequest[]): Promise<PointsAnswer[]> {
    this.reads++;
    return requests.map((request) => {
      // CDF refuses a range that is not whole milliseconds; so does this store.
      if (!Number.isInteger(request.start) || !Number.isInteger(request.end)) {
        throw new Error(
          `read of ${describe(request.series)}: the range is not whole milliseconds (${request.start} to ${request.end})`,
        );
      }
      const stored = this.series.get(seriesLookupKey(request.series));
      if (stored === undefined) {
        throw new Error(
          `time series ${describe(request.series)} does not exist in the in-memory store; insert it first`,
        );
      }
      const limit = request.limit ?? Number.POSITIVE_INFINITY;
      const builder = new PointColumnsBuilder();
      for (const p of this.points(request.series)) {
        if (builder.length >= limit) break;
        if (p.timestamp >= request.start && p.timestamp < request.end)
          builder.append(p.timestamp, p.value, p.status);
      }
      return { points: builder.build() as PointColumns, isStep: stored.isStep };
    });
  }

  async latest(series: readonly SeriesRef[]): Promise<Array<number | undefined>> {
    return series.map((ref) => this.points(ref).at(-1)?.timestamp);
  }

  async write(items: readonly OutputWrite[]): Promise<void> {
    if (this.writesToFail > 0) {
      this.writesToFail--;
      throw new Error("write batch failed (injected)");
    }
    for (const { series, datapoints } of items) {
      const stored = this.ensure(series);
      for (const d of datapoints) stored.points.set(d.timestamp, storedOf(d));
    }
  }

  async remove(items: readonly OutputRemoval[]): Promise<void> {
    if (this.removalsBeforeFailing > 0) this.removalsBeforeFailing--;
    else if (this.removalsToFail > 0) {
      this.removalsToFail--;
      throw new Error("remove failed (injected)");
    }
    this.removals.calls++;
    for (const { series, ranges } of items) {
      this.removals.ranges += ranges.length;
      const stored = this.series.get(seriesLookupKey(series));
      if (stored === undefined) continue;
      for (const t of [...stored.points.keys()]) {
        if (ranges.some((r) => t >= r.start && t < r.end)) stored.points.delete(t);
      }
    }
  }

  private tell(change: SeriesChange): void {
    for (const listener of this.listeners) listener(change);
  }

  private ensure(ref: SeriesRef): StoredSeries {
    const key = seriesLookupKey(ref);
    let stored = this.series.get(key);
    if (stored === undefined) {
      stored = { isStep: false, points: new Map() };
      this.series.set(key, stored);
    }
    return stored;
  }
}

function storedOf(d: KpiDatapoint): StoredPoint {
  return d.status === "Good"
    ? { timestamp: d.timestamp, value: d.value, status: 0 }
    : { timestamp: d.timestamp, value: Number.NaN, status: STATUS_BAD };
}

function describe(ref: SeriesRef): string {
  return "externalId" in ref
    ? `externalId:${ref.externalId}`
    : `instanceId:${ref.instanceId.space}:${ref.instanceId.externalId}`;
}
