import type { SeriesRef } from "@kpi-pipeline/kpi-core";

// Point rows are matched to KPI inputs by one string per series. A plain externalId is its own
// key (no allocation per row on the hot path); a data-modeling instance id joins space and
// externalId with U+001F (unit separator), which neither a CDF space nor a sane externalId
// contains, so the two kinds cannot collide.

const SEPARATOR = "\u001f";

/** The lookup key of a point row's series. */
export function instanceSeriesKey(space: string, externalId: string): string {
  return space + SEPARATOR + externalId;
}

/** The lookup key of a KPI input's series, matching `instanceSeriesKey` / a plain externalId. */
export function seriesKey(ref: SeriesRef): string {
  return "externalId" in ref
    ? ref.externalId
    : instanceSeriesKey(ref.instanceId.space, ref.instanceId.externalId);
}

/** The series as a person reads it in a message. */
export function describeSeries(ref: SeriesRef): string {
  return "externalId" in ref
    ? `externalId "${ref.externalId}"`
    : `instanceId { space: "${ref.instanceId.space}", externalId: "${ref.instanceId.externalId}" }`;
}
