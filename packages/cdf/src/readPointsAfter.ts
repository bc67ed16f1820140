import type { SeriesRef } from "@kpi-pipeline/kpi-core";
import type { CdfConnection } from "./cdfConnection.js";
import { CDF_LIMITS } from "./cdfLimits.js";
import { checkTimeRange } from "./checkTimeRange.js";
import { columnsFromDatapoints, type SeriesColumns, UnexpectedCdfResponseError } from "./seriesColumns.js";
import { isSameSeries, seriesItem } from "./seriesItem.js";
import { DEFAULT_RETRY_POLICY, type RetryPolicy, withRetries } from "./withRetries.js";

// The first n points of each series at or after t: a forward list with limit n and no cursor,
// up to 100 series per request (fewer when n x 100 would pass CDF's 100,000-point total). One
// round of requests, whatever n: bounded by construction.

/**
 * For each series (same order), its first `count` points with timestamp >= `at` (and < `before`,
 * default CDF's end of time), in time order, every status included.
 */
export async function readPointsAfter(
  cdf: CdfConnection,
  series: readonly SeriesRef[],
  at: number,
  count: number,
  options: { before?: number; retry?: RetryPolicy } = {},
): Promise<SeriesColumns[]> {
  const before = options.before ?? CDF_LIMITS.maxTimestamp + 1;
  checkTimeRange(at, before, "readPointsAfter");
  if (!Number.isInteger(count) || count < 1 || count > CDF_LIMITS.listPoints) {
    throw new RangeError(
      `readPointsAfter: count must be an integer from 1 to ${CDF_LIMITS.listPoints} (got ${count}).`,
    );
  }
  const result: SeriesColumns[] = [];
  if (before <= at) return series.map(() => columnsFromDatapoints([], "readPointsAfter"));
  const perRequest = Math.min(CDF_LIMITS.listItems, Math.floor(CDF_LIMITS.listPoints / count));
  for (let from = 0; from < series.length; from += perRequest) {
    const batch = series.slice(from, from + perRequest);
    const body = {
      items: batch.map((ref) => ({ ...seriesItem(ref), limit: count })),
      start: at,
      end: before,
      includeStatus: true,
      ignoreBadDataPoints: false,
      treatUncertainAsBad: false,
    };
    const response = await withRetries(
      () =>
        cdf.post<{
          items?: Array<{
            externalId?: string;
            instanceId?: { space: string; externalId: string };
            datapoints?: unknown;
          }>;
        }>("/timeseries/data/list", body),
      options.retry ?? DEFAULT_RETRY_POLICY,
    );
    const items = response.items ?? [];
    for (const [i, ref] of batch.entries()) {
      const item = items[i];
      if (item === undefined || !isSameSeries(ref, item)) {
        throw new UnexpectedCdfResponseError(
          `POST /timeseries/data/list: CDF's answer does not match the requested items (item ${i}).`,
        );
      }
      result.push(columnsFromDatapoints(item.datapoints, `POST /timeseries/data/list item ${i}`));
    }
  }
  return result;
}
