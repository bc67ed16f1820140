// POST /timeseries/data/delete (DatapointsDeleteQuery): 1-10,000 items of {inclusiveBegin,
// exclusiveEnd?}; without exclusiveEnd only the point at inclusiveBegin goes. Unknown series fail
// the whole request with `missing` before anything is deleted.

import { CdfError, type EmulatorContext, type Principal } from "../context.js";
import type { DatapointStore } from "./datapointStore.js";
import { MAX_INSERT_ITEMS } from "./insertDatapoints.js";
import { resolveSeries, seriesRefOf } from "./seriesRef.js";
import { MAX_TIMESTAMP, MIN_TIMESTAMP } from "./timeSpec.js";

export function deleteDatapoints(
  ctx: EmulatorContext,
  store: DatapointStore,
  body: unknown,
  principal: Principal | undefined,
): void {
  const items = (body as { items?: unknown } | undefined)?.items;
  if (!Array.isArray(items) || items.length === 0 || items.length > MAX_INSERT_ITEMS) {
    throw new CdfError(400, `items: must be an array of 1 to ${MAX_INSERT_ITEMS} ranges`);
  }
  const ranges = items.map((item: Record<string, unknown>, i) => {
    const where = `items[${i}]`;
    const begin = timestamp(item?.inclusiveBegin, `${where}.inclusiveBegin`);
    const end =
      item?.exclusiveEnd === undefined ? begin + 1 : timestamp(item.exclusiveEnd, `${where}.exclusiveEnd`);
    return { ref: seriesRefOf(item, where), begin, end };
  });
  const infos = resolveSeries(
    ctx,
    ranges.map((r) => r.ref),
    false,
  );
  ranges.forEach(({ begin, end }, i) => {
    const info = infos[i]!;
    store.get(info.id)?.deleteRange(begin, end);
    ctx.emitDatapointChange(
      { kind: "delete", timeSeriesId: info.id, inclusiveBegin: begin, exclusiveEnd: end },
      principal,
    );
  });
}

function timestamp(value: unknown, where: string): number {
  // exclusiveEnd may be one past the last allowed timestamp so that the last one can be deleted.
  if (
    typeof value !== "number" ||
    !Number.isInteger(value) ||
    value < MIN_TIMESTAMP ||
    value > MAX_TIMESTAMP + 1
  ) {
    throw new CdfError(400, `${where}: ${JSON.stringify(value)} is not an integer ms timestamp in 1900-2099`);
  }
  return value;
}
