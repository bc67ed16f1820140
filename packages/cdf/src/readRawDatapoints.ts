import type { SeriesRef } from "@kpi-pipeline/kpi-core";
import type { CdfConnection } from "./cdfConnection.js";
import { CDF_LIMITS } from "./cdfLimits.js";
import { checkTimeRange } from "./checkTimeRange.js";
import { columnsFromDatapoints, type SeriesColumns, UnexpectedCdfResponseError } from "./seriesColumns.js";
import { isSameSeries, seriesItem } from "./seriesItem.js";
import { DEFAULT_RETRY_POLICY, type RetryPolicy, withRetries } from "./withRetries.js";

// Raw datapoints of many series over one range, streamed one response at a time so memory stays
// bounded by a page (at most 100,000 points) whatever the backlog. Each request packs up to 100
// items and shares CDF's 100,000-point total between them; a series with more points than its
// share comes back with a cursor and is asked again, ahead of series not yet started, so a
// series' pages arrive in time order and close together. Every point is returned, whatever its
// status (includeStatus, ignoreBadDataPoints: false, treatUncertainAsBad: false): deciding what a
// Bad or Uncertain point means is kpi-core's job. The SDK's typed datapoints.retrieve is not
// used: it does not follow cursors and turns every timestamp into a Date.

export interface RawReadOptions {
  /** Points per request, shared by its items (default and maximum: CDF's 100,000). */
  pointsPerRequest?: number;
  /** Items per request (default and maximum: CDF's 100). */
  itemsPerRequest?: number;
  /** Requests in flight at once (default 1); each series is in at most one. */
  concurrency?: number;
  /** Retries of a request that got no answer, a 429 or a 5xx (reads are idempotent). */
  retry?: RetryPolicy;
}

/** One series' next points in a range, in time order after its previous chunk. */
export interface SeriesChunk {
  /** The series as the caller named it. */
  series: SeriesRef;
  /** Its position in the query's `series`. */
  index: number;
  isStep: boolean;
  points: SeriesColumns;
  /** This is the series' last chunk for the range. */
  last: boolean;
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

/**
 * Raw points of every series in [start, end), one request's worth at a time: each yielded array
 * holds the chunks one response brought (a series' chunks come in time order across batches).
 * An empty range yields nothing. Unknown series fail the read (CdfRequestError with `missing`).
 */
export async function* readRawDatapoints(
  cdf: CdfConnection,
  query: { series: readonly SeriesRef[]; start: number; end: number },
  options: RawReadOptions = {},
): AsyncGenerator<SeriesChunk[]> {
  checkTimeRange(query.start, query.end, "readRawDatapoints");
  if (query.end <= query.start || query.series.length === 0) return;
  const pointsPerRequest = bounded(options.pointsPerRequest, CDF_LIMITS.listPoints, "pointsPerRequest");
  // At least one point per item: an item asked for none comes back with its cursor and no progress.
  const itemsPerRequest = Math.min(
    bounded(options.itemsPerRequest, CDF_LIMITS.listItems, "itemsPerRequest"),
    pointsPerRequest,
  );
  const concurrency = bounded(options.concurrency, 1, "concurrency", 64);

  const queue: Work[] = query.series.map((_, index) => ({ index, cursor: undefined }));
  const inFlight = new Map<number, Promise<{ id: number; chunks: SeriesChunk[]; next: Work[] }>>();
  let nextId = 0;

  const send = (work: Work[]) => {
    const id = nextId++;
    const limit = Math.floor(pointsPerRequest / work.length);
    const body = {
      items: work.map((w) => ({
        ...seriesItem(query.series[w.index]!),
        limit,
        ...(w.cursor ? { cursor: w.cursor } : {}),
      })),
      start: query.start,
      end: query.end,
      includeStatus: true,
      ignoreBadDataPoints: false,
      treatUncertainAsBad: false,
    };
    const request = withRetries(
      () => cdf.post<{ items?: ListItem[] }>("/timeseries/data/list", body),
      options.retry ?? DEFAULT_RETRY_POLICY,
    ).then((response) => {
      const chunks: SeriesChunk[] = [];
      const next: Work[] = [];
      const items = response.items;
      if (!Array.isArray(items) || items.length !== work.length) {
        throw new UnexpectedCdfResponseError(
          `POST /timeseries/data/list: CDF answered ${Array.isArray(items) ? items.length : "no"} items for ${work.length} requested.`,
        );
      }
      for (const [i, w] of work.entries()) {
        const series = query.series[w.index]!;
        const item = items[i]!;
        if (!isSameSeries(series, item)) {
          throw new UnexpectedCdfResponseError(
            `POST /timeseries/data/list: CDF answered items out of the requested order (item ${i}).`,
          );
        }
        if (item.isString === true) {
          throw new UnexpectedCdfResponseError(
            `Series ${JSON.stringify(seriesItem(series))} is a string time series; KPI inputs must be numeric.`,
          );
        }
        const cursor =
          typeof item.nextCursor === "string" && item.nextCursor !== "" ? item.nextCursor : undefined;
        chunks.push({
          series,
          index: w.index,
          isStep: item.isStep === true,
          points: columnsFromDatapoints(item.datapoints, `POST /timeseries/data/list item ${i}`),
          last: cursor === undefined,
        });
        if (cursor !== undefined) next.push({ index: w.index, cursor });
      }
      return { id, chunks, next };
    });
    inFlight.set(id, request);
  };

  try {
    while (queue.length > 0 || inFlight.size > 0) {
      while (queue.length > 0 && inFlight.size < concurrency) send(queue.splice(0, itemsPerRequest));
      const done = await Promise.race(inFlight.values());
      inFlight.delete(done.id);
      // Continuations go first, so a series' pages follow each other and the consumer's buffer for it is short-lived.
      queue.unshift(...done.next);
      yield done.chunks;
    }
  } finally {
    // A consumer that stops early leaves requests in flight; their failures must not surface as unhandled.
    for (const pending of inFlight.values()) pending.catch(() => {});
  }
}

function bounded(value: number | undefined, max: number, name: string, cap = max): number {
  if (value === undefined) return max;
  if (!Number.isInteger(value) || value < 1 || value > cap) {
    throw new RangeError(`readRawDatapoints: ${name} must be an integer from 1 to ${cap} (got ${value}).`);
  }
  return value;
}
