// POST /timeseries/data/delete (DatapointsDeleteQuery): 1-10,000 items of {inclusiveBegin,
// exclusiveEnd?}; without exclusiveEnd only the point at inclusiveBegin goes. Unknown series fail
// the whole request with `missing` before anything is deleted.

import type { EmulatorContext, Principal } from "../context.js";
import { parseRequestBody } from "../parseRequestBody.js";
import { deleteBody } from "./datapointRequests.js";
import type { DatapointStore } from "./datapointStore.js";
import { resolveSeries, seriesRefOf } from "./seriesRef.js";

export function deleteDatapoints(
  ctx: EmulatorContext,
  store: DatapointStore,
  body: unknown,
  principal: Principal | undefined,
): void {
  const { items } = parseRequestBody(deleteBody, body, "POST /timeseries/data/delete");
  const ranges = items.map((item, i) => ({
    ref: seriesRefOf(item, `items[${i}]`),
    begin: item.inclusiveBegin,
    end: item.exclusiveEnd ?? item.inclusiveBegin + 1,
  }));
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
