import {
  type AggregatesAnswer,
  type AggregatesRequest,
  CDF_MAX_TIME,
  CDF_MIN_TIME,
  type DatapointSource,
  describeSeries,
  PointColumnsBuilder,
  type PointsAnswer,
  type PointsRequest,
  type SeriesRef,
  seriesLookupKey,
} from "@kpi-pipeline/kpi-core";
import type { CdfConnection } from "./cdfConnection.js";
import { CDF_LIMITS } from "./cdfLimits.js";
import { CdfRequestError } from "./cdfRequestError.js";
import { readIntervalAggregates } from "./readIntervalAggregates.js";
import { columnsFromDatapoints, UnexpectedCdfResponseError } from "./seriesColumns.js";
import { isSameSeries, seriesItem } from "./seriesItem.js";
import { DEFAULT_RETRY_POLICY, type RetryPolicy, withRetries } from "./withRetries.js";

// kpi-core's DatapointSource on /timeseries/data/list. Unlike readRawDatapoints (one range for
// every series, streamed), kpi-core asks for a different range and sometimes only the first N
// points of each series in one call (readAround widens each series on its own), and wants whole
// answers back. So each request carries its own start, end and limit per item; up to 100 items
// share CDF's 100,000 points; a series that comes back with a cursor is asked again first, until
// its range or its limit is exhausted. Every status is read: what Bad means is kpi-core's call.

export interface CdfDatapointSourceOptions {
  /** Points per request, shared by its items (default and maximum: CDF's 100,000). */
  pointsPerRequest?: number;
  /** Items per request (default and maximum: CDF's 100). */
  itemsPerRequest?: number;
  retry?: RetryPolicy;
  /**
   * Offer kpi-core CDF's count/min/max (aggregate pushdown) where they equal its own values
   * (default true); false reads raw points for every KPI.
   */
  aggregatePushdown?: boolean;
  /** Aggregate datapoints per pushdown request (default and maximum: CDF's 10,000); for tests. */
  aggregatesPerRequest?: number;
}

/** An input series named in a read does not exist in CDF. */
export class MissingSeriesError extends Error {
  override readonly name = "MissingSeriesError";
}

interface Work {
  index: number;
  start: number;
  end: number;
  /** Points still wanted (Infinity without a limit). */
  remaining: number;
  cursor: string | undefined;
  /** Asked only for the series' isStep (an empty range or a zero limit): its points are dropped. */
  probe: boolean;
}

interface ListItem {
  externalId?: string;
  instanceId?: { space: string; externalId: string };
  isString?: boolean;
  isStep?: boolean;
  datapoints?: unknown;
  nextCursor?: string;
}

export class CdfDatapointSource implements DatapointSource {
  readonly #cdf: CdfConnection;
  readonly #pointsPerRequest: number;
  readonly #itemsPerRequest: number;
  readonly #retry: RetryPolicy;
  /** kpi-core asks for aggregates only when a source has this method, so it is set only when pushdown is on. */
  readonly aggregates?: (requests: readonly AggregatesRequest[]) => Promise<AggregatesAnswer[]>;

  constructor(cdf: CdfConnection, options: CdfDatapointSourceOptions = {}) {
    this.#cdf = cdf;
    this.#pointsPerRequest = bounded(options.pointsPerRequest, CDF_LIMITS.listPoints, "pointsPerRequest");
    // At least one point per item: an item asked for none comes back with its cursor and no progress.
    this.#itemsPerRequest = Math.min(
      bounded(options.itemsPerRequest, CDF_LIMITS.listItems, "itemsPerRequest"),
      this.#pointsPerRequest,
    );
    this.#retry = options.retry ?? DEFAULT_RETRY_POLICY;
    if (options.aggregatePushdown !== false) {
      const perRequest = bounded(
        options.aggregatesPerRequest,
        CDF_LIMITS.listAggregates,
        "aggregatesPerRequest",
      );
      this.aggregates = (requests) =>
        readIntervalAggregates(this.#cdf, requests, {
          pointsPerRequest: perRequest,
          itemsPerRequest: this.#itemsPerRequest,
          retry: this.#retry,
        }).catch((error: unknown) => {
          throw this.#named(
            error,
            requests.map((r) => r.series),
          );
        });
    }
  }

  async read(requests: readonly PointsRequest[]): Promise<PointsAnswer[]> {
    const builders = requests.map(() => new PointColumnsBuilder(16));
    const isStep = requests.map(() => false);
    const queue: Work[] = [];
    // Empty asks (an empty range, a zero limit) still need the series' isStep: taken from another
    // ask on the same series, or from a one-point probe whose points are dropped.
    const asked = new Map<string, number>();
    const empties: number[] = [];
    for (const [index, r] of requests.entries()) {
      // kpi-core reaches for CDF's whole time range when it walks back or ahead; CDF refuses beyond it.
      const start = Math.max(r.start, CDF_MIN_TIME);
      const end = Math.min(r.end, CDF_MAX_TIME + 1);
      const remaining = r.limit ?? Number.POSITIVE_INFINITY;
      if (!Number.isInteger(start) || !Number.isInteger(end)) {
        throw new RangeError(
          `CdfDatapointSource: the range of ${describeSeries(r.series)} is not whole milliseconds (${r.start} to ${r.end}).`,
        );
      }
      if (!(end > start) || !(remaining > 0)) {
        empties.push(index);
        continue;
      }
      asked.set(seriesLookupKey(r.series), index);
      queue.push({ index, start, end, remaining, cursor: undefined, probe: false });
    }
    const copies: Array<[number, number]> = [];
    for (const index of empties) {
      const key = seriesLookupKey(requests[index]!.series);
      const other = asked.get(key);
      if (other !== undefined) {
        copies.push([index, other]);
        continue;
      }
      asked.set(key, index);
      const at = Math.min(Math.max(requests[index]!.start, CDF_MIN_TIME), CDF_MAX_TIME);
      queue.push({ index, start: at, end: at + 1, remaining: 1, cursor: undefined, probe: true });
    }
    while (queue.length > 0) {
      const work = queue.splice(0, this.#itemsPerRequest);
      const limits = shares(
        this.#pointsPerRequest,
        work.map((w) => w.remaining),
      );
      const body = {
        items: work.map((w, i) => ({
          ...seriesItem(requests[w.index]!.series),
          start: w.start,
          end: w.end,
          limit: limits[i]!,
          ...(w.cursor === undefined ? {} : { cursor: w.cursor }),
        })),
        includeStatus: true,
        ignoreBadDataPoints: false,
        treatUncertainAsBad: false,
      };
      const response = await this.#post(body, work, requests);
      const items = response.items;
      if (!Array.isArray(items) || items.length !== work.length) {
        throw new UnexpectedCdfResponseError(
          `POST /timeseries/data/list: CDF answered ${Array.isArray(items) ? items.length : "no"} items for ${work.length} requested.`,
        );
      }
      const again: Work[] = [];
      for (const [i, w] of work.entries()) {
        const series = requests[w.index]!.series;
        const item = items[i]!;
        if (!isSameSeries(series, item)) {
          throw new UnexpectedCdfResponseError(
            `POST /timeseries/data/list: CDF answered items out of the requested order (item ${i}).`,
          );
        }
        if (item.isString === true) {
          throw new UnexpectedCdfResponseError(
            `Input ${describeSeries(series)} is a string time series; KPI inputs must be numeric.`,
          );
        }
        isStep[w.index] = item.isStep === true;
        const points = columnsFromDatapoints(item.datapoints, `POST /timeseries/data/list item ${i}`);
        if (w.probe) continue;
        builders[w.index]!.appendColumns(points);
        const remaining = w.remaining - points.length;
        const cursor =
          typeof item.nextCursor === "string" && item.nextCursor !== "" ? item.nextCursor : undefined;
        if (cursor !== undefined && remaining > 0) again.push({ ...w, remaining, cursor });
      }
      // Continuations first: a long series is finished before the next ones start.
      queue.unshift(...again);
    }
    for (const [index, other] of copies) isStep[index] = isStep[other]!;
    return requests.map((_, i) => ({ points: builders[i]!.build(), isStep: isStep[i]! }));
  }

  async #post(
    body: object,
    work: readonly Work[],
    requests: readonly PointsRequest[],
  ): Promise<{ items?: ListItem[] }> {
    try {
      return await withRetries(
        () => this.#cdf.post<{ items?: ListItem[] }>("/timeseries/data/list", body),
        this.#retry,
      );
    } catch (error) {
      throw this.#named(
        error,
        work.map((w) => requests[w.index]!.series),
      );
    }
  }

  /** A failure naming unknown series becomes a MissingSeriesError that says which; others pass. */
  #named(error: unknown, asked: readonly SeriesRef[]): unknown {
    if (!(error instanceof CdfRequestError && error.missing.length > 0)) return error;
    // A series asked for twice in one read (two ranges) is named once.
    const named = [
      ...new Map(
        asked
          .filter((s) => error.missing.some((m) => isSameSeries(s, m as ListItem)))
          .map((s) => [seriesLookupKey(s), s]),
      ).values(),
    ];
    const list = named.map(describeSeries).join(", ");
    return new MissingSeriesError(
      `Input time series ${list || JSON.stringify(error.missing)} ${named.length === 1 ? "does" : "do"} not exist in CDF project ${this.#cdf.project}. ` +
        "Create it, or correct the KPI's input in kpis.yaml.",
      { cause: error },
    );
  }
}

function bounded(value: number | undefined, max: number, name: string): number {
  if (value === undefined) return max;
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new RangeError(`CdfDatapointSource: ${name} must be an integer from 1 to ${max} (got ${value}).`);
  }
  return value;
}

/**
 * A request's points per item: an item that wants fewer than an even share (the next 256 points
 * after a span, a one-point probe) gets what it wants, and the rest is shared by the others, so a
 * small ask beside a long range does not halve the range's page. Every item gets at least one.
 */
export function shares(total: number, wanted: readonly number[]): number[] {
  const out = wanted.map(() => 0);
  const order = wanted.map((_, i) => i).sort((a, b) => wanted[a]! - wanted[b]!);
  let left = total;
  order.forEach((i, k) => {
    const even = Math.max(1, Math.floor(left / (order.length - k)));
    out[i] = Math.min(even, wanted[i]!);
    left -= out[i]!;
  });
  return out;
}
