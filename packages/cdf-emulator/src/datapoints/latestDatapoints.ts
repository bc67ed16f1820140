// POST /timeseries/data/latest (DatapointsLatestQuery): 1-100 items; per item the last point
// strictly before `before` (default "now" on the virtual clock), with the same status filters
// as raw list queries.

import type { EmulatorContext } from "../context.js";
import { parseRequestBody } from "../parseRequestBody.js";
import { latestBody } from "./datapointRequests.js";
import type { DatapointStore } from "./datapointStore.js";
import { readPointBefore } from "./readRawPage.js";
import { resolveSeries, seriesHeaderJson, seriesRefOf } from "./seriesRef.js";
import { parseTimeSpec } from "./timeSpec.js";

export function latestDatapoints(ctx: EmulatorContext, store: DatapointStore, body: unknown): string {
  const b = parseRequestBody(latestBody, body, "POST /timeseries/data/latest");
  const now = ctx.clock.now();
  const refs = b.items.map((item, i) => seriesRefOf(item, `items[${i}]`));
  const infos = resolveSeries(ctx, refs, b.ignoreUnknownIds === true);
  const out: string[] = [];
  for (const [i, item] of b.items.entries()) {
    const info = infos[i];
    if (!info) continue;
    const before = item.before === undefined ? now : parseTimeSpec(item.before, now, `items[${i}].before`);
    const json = readPointBefore(store.get(info.id), before, {
      includeStatus: item.includeStatus ?? false,
      ignoreBad: item.ignoreBadDataPoints ?? true,
      uncertainIsBad: item.treatUncertainAsBad ?? true,
    });
    ctx.stats.datapointsReturned += json ? 1 : 0;
    out.push(`${seriesHeaderJson(info)},"datapoints":[${json}]}`);
  }
  return `{"items":[${out.join(",")}]}`;
}
