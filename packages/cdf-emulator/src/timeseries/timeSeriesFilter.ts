// The time series list filters the emulator supports, compiled to a predicate, and CDF's
// `partition: "m/n"` split of a listing (its parallel retrieval).

import { CdfError } from "../context.js";
import type { TimeSeriesFilter } from "./timeSeriesRequests.js";
import type { TimeSeries } from "./timeSeriesStore.js";

export type TimeSeriesPredicate = (ts: TimeSeries) => boolean;

export function timeSeriesFilter(filter: TimeSeriesFilter | undefined): TimeSeriesPredicate {
  if (filter === undefined) return () => true;
  const tests: TimeSeriesPredicate[] = [];
  for (const field of ["name", "unit", "unitExternalId", "isString", "isStep"] as const) {
    const wanted = filter[field];
    if (wanted !== undefined) tests.push((ts) => ts[field] === wanted);
  }
  const { metadata, externalIdPrefix, assetIds, dataSetIds } = filter;
  if (metadata !== undefined) {
    tests.push((ts) => Object.entries(metadata).every(([k, v]) => ts.metadata?.[k] === v));
  }
  if (externalIdPrefix !== undefined)
    tests.push((ts) => ts.externalId?.startsWith(externalIdPrefix) === true);
  if (assetIds !== undefined) {
    const ids = new Set(assetIds);
    tests.push((ts) => ts.assetId !== undefined && ids.has(ts.assetId));
  }
  if (dataSetIds !== undefined) {
    const ids = new Set(dataSetIds.map((d) => ("id" in d ? d.id : undefined)));
    tests.push((ts) => ts.dataSetId !== undefined && ids.has(ts.dataSetId));
  }
  for (const field of ["createdTime", "lastUpdatedTime"] as const) {
    const range = filter[field];
    if (range === undefined) continue;
    tests.push(
      (ts) =>
        (range.min === undefined || ts[field] >= range.min) &&
        (range.max === undefined || ts[field] <= range.max),
    );
  }
  return (ts) => tests.every((t) => t(ts));
}

/** `partition: "m/n"` keeps the m-th of n disjoint parts (by id), as CDF's parallel retrieval does. */
export function timeSeriesPartition(raw: string | null | undefined, path: string): TimeSeriesPredicate {
  if (raw === undefined || raw === null) return () => true;
  const match = /^(\d+)\/(\d+)$/.exec(raw);
  const m = Number(match?.[1]);
  const n = Number(match?.[2]);
  if (!match || n < 1 || n > 10 || m < 1 || m > n) {
    throw new CdfError(
      400,
      `${path} must look like 'm/n' with 1 <= m <= n <= 10 (got ${JSON.stringify(raw)}).`,
    );
  }
  return (ts) => ts.id % n === m - 1;
}
