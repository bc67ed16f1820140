// The control API's shortcut for data-model time series (`control.createTimeSeries` and
// `POST /_emulator/timeseries` with an instanceId): a CogniteTimeSeries node, in a space created on
// the fly when missing, so that the node, its backing series and /models/instances/sync agree as
// they would after the same writes to CDF. Series without an instanceId are plain time series.

import { CdfError } from "../context.js";
import type { TimeSeries, TimeSeriesCreate, TimeSeriesStore } from "../timeseries/index.js";
import type { CogniteTimeSeriesWrite } from "./cogniteTimeSeriesView.js";
import type { Models } from "./modelRoutes.js";

export function createTimeSeriesNodes(
  models: Models,
  timeSeries: TimeSeriesStore,
  items: TimeSeriesCreate[],
): TimeSeries[] {
  const existing = items.filter((i) => i.instanceId && models.instances.get(i.instanceId));
  if (existing.length > 0) {
    throw new CdfError(409, "Time series with these instanceIds already exist.", {
      duplicated: existing.map((i) => ({ instanceId: i.instanceId })),
    });
  }
  const plain = timeSeries.create(items.filter((i) => i.instanceId === undefined));
  let next = 0;
  return items.map((item) => {
    const instanceId = item.instanceId;
    if (instanceId === undefined) return plain[next++] as TimeSeries;
    if (!models.spaces.get(instanceId.space)) models.spaces.upsert([{ space: instanceId.space }]);
    const write: CogniteTimeSeriesWrite = {
      type: item.isString ? "string" : "numeric",
      isStep: item.isStep ?? false,
    };
    if (item.name !== undefined) write.name = item.name;
    if (item.description !== undefined) write.description = item.description;
    if (item.unit !== undefined) write.sourceUnit = item.unit;
    models.instances.upsert([{ ...instanceId, write }], { replace: false, skipOnVersionConflict: false });
    return timeSeries.find({ instanceId }) as TimeSeries;
  });
}
