import type { SeriesRef } from "./model.js";

// One string per series for lookups (point rows to inputs, shared prepared inputs). A plain
// externalId is its own key (no allocation per row on a hot path); a data-modeling instance id
// joins space and externalId with U+001F (unit separator), which neither a CDF space nor a sane
// externalId contains, so the two kinds cannot collide (unlike the `space:externalId` label).
const SEPARATOR = "\u001f";

/** The lookup key of a data-modeling instance's series; matches `seriesLookupKey({ instanceId })`. */
export function instanceSeriesKey(space: string, externalId: string): string {
  return space + SEPARATOR + externalId;
}

/** The collision-free lookup key of a series. */
export function seriesLookupKey(ref: SeriesRef): string {
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

/** `externalId`, or `space:externalId` for a data-modeling time series. */
export function seriesKey(series: SeriesRef): string {
  return "externalId" in series
    ? series.externalId
    : `${series.instanceId.space}:${series.instanceId.externalId}`;
}
