import {
  type AggregatesAnswer,
  type AggregatesRequest,
  describeSeries,
  type IntervalAggregates,
} from "@kpi-pipeline/kpi-core";
import type { CdfConnection } from "./cdfConnection.js";
import { CDF_LIMITS } from "./cdfLimits.js";
import { checkTimeRange } from "./checkTimeRange.js";
import { UnexpectedCdfResponseError } from "./seriesColumns.js";
import { isSameSeries, seriesItem } from "./seriesItem.js";
import { DEFAULT_RETRY_POLICY, type RetryPolicy, withRetries } from "./withRetries.js";

// CDF's count, min and max per interval, for kpi-core's aggregate pushdown: up to 100 items per
// /timeseries/data/list request sharing CDF's 10,000 aggregate datapoints (one per interval,
// whatever the number of aggregates), every cursor followed, a series' continuation asked before
// the series not yet started. The status filter is CDF's: Bad points never count
// (ignoreBadDataPoints true), Uncertain ones only when the request includes them
// (treatUncertainAsBad false), as kpi-core's cleaning does before any clean step.

export interface IntervalAggregatesOptions {
  /** Aggregate datapoints per request, shared by its items (default and maximum: CDF's 10,000). */
  pointsPerRequest?: number;
  /** Items per request (default and maximum: CDF's 100). */
  itemsPerRequest?: number;
  retry?: RetryPolicy;
}

interface Work {
  index: number;
  cursor: string | undefined;
}

interface ListItem {
  externalId?: string;
  instanceId?: { space: string; externalId: string };
  isString?: boolean;
  isStep?: boolean;
  datapoints?: unknown;
  nextCursor?: string;
}

interface WireAggregate {
  timestamp?: unknown;
  count?: unknown;
  min?: unknown;
  max?: unknown;
}

/** One answer per request, in order: the intervals with at least one counted point. */
export async function readIntervalAggregates(
  cdf: CdfConnection,
  requests: readonly AggregatesRequest[],
  options: IntervalAggregatesOptions = {},
): Promise<AggregatesAnswer[]> {
  const pointsPerRequest = bounded(options.pointsPerRequest, CDF_LIMITS.listAggregates, "pointsPerRequest");
  // At least one interval per item: an item asked for none would come back with a cursor and no progress.
  const itemsPerRequest = Math.min(
    bounded(options.itemsPerRequest, CDF_LIMITS.listItems, "itemsPerRequest"),
    pointsPerRequest,
  );
  const retry = options.retry ?? DEFAULT_RETRY_POLICY;
  for (const r of requests) checkTimeRange(r.start, r.end, `aggregates of ${describeSeries(r.series)}`);
  const columns = requests.map(() => new IntervalColumns());
  const isStep = requests.map(() => false);
  const queue: Work[] = [];
  requests.forEach((r, index) => {
    if (r.end > r.start) queue.push({ index, cursor: undefined });
  });
  while (queue.length > 0) {
    const work = queue.splice(0, itemsPerRequest);
    const limit = Math.floor(pointsPerRequest / work.length);
    const body = {
      items: work.map((w) => {
        const r = requests[w.index]!;
        return {
          ...seriesItem(r.series),
          start: r.start,
          end: r.end,
          limit,
          granularity: r.granularity,
          ...(r.timeZone === undefined ? {} : { timeZone: r.timeZone }),
          treatUncertainAsBad: !r.includeUncertain,
          ...(w.cursor === undefined ? {} : { cursor: w.cursor }),
        };
      }),
      aggregates: ["count", "min", "max"],
      ignoreBadDataPoints: true,
    };
    const response = await withRetries(
      () => cdf.post<{ items?: ListItem[] }>("/timeseries/data/list", body),
      retry,
    );
    const items = response.items;
    if (!Array.isArray(items) || items.length !== work.length) {
      throw new UnexpectedCdfResponseError(
        `POST /timeseries/data/list (aggregates): CDF answered ${Array.isArray(items) ? items.length : "no"} items for ${work.length} requested.`,
      );
    }
    const again: Work[] = [];
    for (const [i, w] of work.entries()) {
      const series = requests[w.index]!.series;
      const item = items[i]!;
      if (!isSameSeries(series, item)) {
        throw new UnexpectedCdfResponseError(
          `POST /timeseries/data/list (aggregates): CDF answered items out of the requested order (item ${i}).`,
        );
      }
      if (item.isString === true) {
        throw new UnexpectedCdfResponseError(
          `Input ${describeSeries(series)} is a string time series; KPI inputs must be numeric.`,
        );
      }
      isStep[w.index] = item.isStep === true;
      columns[w.index]!.append(item.datapoints, `POST /timeseries/data/list (aggregates) item ${i}`);
      const cursor =
        typeof item.nextCursor === "string" && item.nextCursor !== "" ? item.nextCursor : undefined;
      if (cursor !== undefined) again.push({ index: w.index, cursor });
    }
    queue.unshift(...again);
  }
  return requests.map((_, i) => ({ intervals: columns[i]!.build(), isStep: isStep[i]! }));
}

/** Intervals as columns, pages appended in order; an interval whose points were all filtered out is left out. */
class IntervalColumns {
  private readonly starts: number[] = [];
  private readonly count: number[] = [];
  private readonly min: number[] = [];
  private readonly max: number[] = [];

  append(datapoints: unknown, where: string): void {
    if (!Array.isArray(datapoints)) {
      throw new UnexpectedCdfResponseError(`${where}: CDF sent no datapoints array.`);
    }
    for (const p of datapoints as WireAggregate[]) {
      const { timestamp, count, min, max } = p;
      if (typeof timestamp !== "number" || !Number.isInteger(timestamp)) {
        throw new UnexpectedCdfResponseError(`${where}: an aggregate has no integer timestamp.`);
      }
      const last = this.starts.at(-1);
      if (last !== undefined && !(timestamp > last)) {
        throw new UnexpectedCdfResponseError(`${where}: aggregate intervals out of order at ${timestamp}.`);
      }
      // CDF may answer an interval whose only points it ignored, with count 0 and no min or max.
      if (count === 0 || (count === undefined && min === undefined && max === undefined)) continue;
      if (typeof count !== "number" || !Number.isInteger(count) || count < 0) {
        throw new UnexpectedCdfResponseError(`${where}: the interval at ${timestamp} has no whole count.`);
      }
      if (typeof min !== "number" || typeof max !== "number") {
        throw new UnexpectedCdfResponseError(
          `${where}: the interval at ${timestamp} counts ${count} points but has no min or max.`,
        );
      }
      this.starts.push(timestamp);
      this.count.push(count);
      this.min.push(min);
      this.max.push(max);
    }
  }

  build(): IntervalAggregates {
    return {
      length: this.starts.length,
      starts: Float64Array.from(this.starts),
      count: Float64Array.from(this.count),
      min: Float64Array.from(this.min),
      max: Float64Array.from(this.max),
    };
  }
}

function bounded(value: number | undefined, max: number, name: string): number {
  if (value === undefined) return max;
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new RangeError(
      `readIntervalAggregates: ${name} must be an integer from 1 to ${max} (got ${value}).`,
    );
  }
  return value;
}
