import type { SeriesRef } from "@kpi-pipeline/kpi-core";
import type { CdfConnection } from "./cdfConnection.js";
import { CDF_LIMITS } from "./cdfLimits.js";
import { checkTimeRange } from "./checkTimeRange.js";
import { columnsFromDatapoints, type SeriesColumns, UnexpectedCdfResponseError } from "./seriesColumns.js";
import { isSameSeries, seriesItem } from "./seriesItem.js";
import { DEFAULT_RETRY_POLICY, type RetryPolicy, withRetries } from "./withRetries.js";

// The last n points of each series strictly before t. CDF cannot list backwards, so each round
// asks /timeseries/data/latest for the one point before the oldest found so far, for up to 100
// series per request. The loop is bounded: at most `count` rounds, a series drops out as soon
// as it has no earlier point (or reaches `notBefore`), and `count` itself is capped. Cost:
// at most count x ceil(series / 100) requests, so keep `count` small (context points, not
// history; read history with readRawDatapoints).

/** The largest `count` accepted: each point costs a round of requests. */
export const MAX_POINTS_BEFORE = 100;

interface LatestItem {
  externalId?: string;
  instanceId?: { space: string; externalId: string };
  datapoints?: unknown;
}

/**
 * For each series (same order), up to `count` points with `notBefore` <= timestamp < `before`,
 * in time order, every status included (a Bad point is returned, not skipped).
 */
export async function readPointsBefore(
  cdf: CdfConnection,
  series: readonly SeriesRef[],
  before: number,
  count: number,
  options: { notBefore?: number; retry?: RetryPolicy } = {},
): Promise<SeriesColumns[]> {
  const notBefore = options.notBefore ?? CDF_LIMITS.minTimestamp;
  checkTimeRange(notBefore, before, "readPointsBefore");
  if (!Number.isInteger(count) || count < 1 || count > MAX_POINTS_BEFORE) {
    throw new RangeError(
      `readPointsBefore: count must be an integer from 1 to ${MAX_POINTS_BEFORE} (got ${count}).`,
    );
  }
  // Newest first while collecting; reversed at the end.
  const found: Array<{ timestamps: number[]; values: number[]; statuses: number[] }> = series.map(() => ({
    timestamps: [],
    values: [],
    statuses: [],
  }));
  let open = series.map((_, index) => ({ index, before }));
  for (let round = 0; round < count && open.length > 0; round++) {
    const stillOpen: typeof open = [];
    for (let from = 0; from < open.length; from += CDF_LIMITS.listItems) {
      const batch = open.slice(from, from + CDF_LIMITS.listItems).filter((o) => o.before > notBefore);
      if (batch.length === 0) continue;
      const body = {
        items: batch.map((o) => ({
          ...seriesItem(series[o.index]!),
          before: o.before,
          includeStatus: true,
          ignoreBadDataPoints: false,
          treatUncertainAsBad: false,
        })),
      };
      const response = await withRetries(
        () => cdf.post<{ items?: LatestItem[] }>("/timeseries/data/latest", body),
        options.retry ?? DEFAULT_RETRY_POLICY,
      );
      const items = response.items ?? [];
      for (const [i, o] of batch.entries()) {
        const item = items[i];
        if (item === undefined || !isSameSeries(series[o.index]!, item)) {
          throw new UnexpectedCdfResponseError(
            `POST /timeseries/data/latest: CDF's answer does not match the requested items (item ${i}).`,
          );
        }
        const point = columnsFromDatapoints(item.datapoints, `POST /timeseries/data/latest item ${i}`);
        if (point.length === 0) continue;
        const ts = point.timestamps[0]!;
        if (ts < notBefore || ts >= o.before) continue;
        const into = found[o.index]!;
        into.timestamps.push(ts);
        into.values.push(point.values[0]!);
        into.statuses.push(point.statuses[0]!);
        stillOpen.push({ index: o.index, before: ts });
      }
    }
    open = stillOpen;
  }
  return found.map((f) => ({
    length: f.timestamps.length,
    timestamps: Float64Array.from(f.timestamps.reverse()),
    values: Float64Array.from(f.values.reverse()),
    statuses: Uint32Array.from(f.statuses.reverse()),
  }));
}
