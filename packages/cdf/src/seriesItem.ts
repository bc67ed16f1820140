import type { SeriesRef } from "@kpi-pipeline/kpi-core";

/** How a CDF request item names a series: exactly one of externalId or instanceId. */
export type SeriesItem = { externalId: string } | { instanceId: { space: string; externalId: string } };

/** The request item naming `ref` (a fresh object, so callers may add fields). */
export function seriesItem(ref: SeriesRef): SeriesItem {
  return "externalId" in ref
    ? { externalId: ref.externalId }
    : { instanceId: { space: ref.instanceId.space, externalId: ref.instanceId.externalId } };
}

/** Whether a CDF response item (which carries externalId and/or instanceId) is the series `ref`. */
export function isSameSeries(
  ref: SeriesRef,
  item: { externalId?: unknown; instanceId?: { space?: unknown; externalId?: unknown } | undefined },
): boolean {
  return "externalId" in ref
    ? item.externalId === ref.externalId
    : item.instanceId?.space === ref.instanceId.space &&
        item.instanceId?.externalId === ref.instanceId.externalId;
}
