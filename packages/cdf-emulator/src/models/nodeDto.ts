// A node as the read endpoints answer it (openapi.json NodeDefinition): the view's properties under
// `properties.cdf_cdm["CogniteTimeSeries/v1"]` when the request selected the view, only the set
// ones (CDF leaves unset properties out); a tombstone (sync only) carries deletedTime and no properties.

import { COGNITE_TIME_SERIES_VIEW, VIEW_KEY } from "./cogniteTimeSeriesView.js";
import type { StoredNode } from "./instanceStore.js";

/** `selected`: the view's properties to return ("*" = all), undefined when the view was not selected. */
export function nodeDto(node: StoredNode, selected: readonly string[] | undefined): Record<string, unknown> {
  const dto: Record<string, unknown> = {
    instanceType: "node",
    space: node.space,
    externalId: node.externalId,
    version: node.version,
    createdTime: node.createdTime,
    lastUpdatedTime: node.lastUpdatedTime,
  };
  if (node.deletedTime !== undefined) {
    dto.deletedTime = node.deletedTime;
    return dto;
  }
  const all = selected?.includes("*") ?? false;
  const values = Object.fromEntries(
    Object.entries(node.properties).filter(([k]) => all || selected?.includes(k)),
  );
  dto.properties =
    Object.keys(values).length > 0 ? { [COGNITE_TIME_SERIES_VIEW.space]: { [VIEW_KEY]: values } } : {};
  return dto;
}
