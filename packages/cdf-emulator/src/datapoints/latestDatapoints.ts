// POST /timeseries/data/latest (DatapointsLatestQuery): 1-100 items; per item the last point
// strictly before `before` (default "now" on the virtual clock), with the same status filters
// as raw list queries.

import { CdfError, type EmulatorContext } from "../context.js";
import type { DatapointStore } from "./datapointStore.js";
import { MAX_LIST_ITEMS } from "./listDatapoints.js";
import { readPointBefore } from "./readRawPage.js";
import { resolveSeries, seriesHeaderJson, seriesRefOf } from "./seriesRef.js";
import { parseTimeSpec } from "./timeSpec.js";

export function latestDatapoints(ctx: EmulatorContext, store: DatapointStore, body: unknown): string {
  const b = (body ?? {}) as { items?: unknown; ignoreUnknownIds?: unknown };
  if (!Array.isArray(b.items) || b.items.length === 0 || b.items.length > MAX_LIST_ITEMS) {
    throw new CdfError(400, `items: must be an array of 1 to ${MAX_LIST_ITEMS} queries`);
  }
  const now = ctx.clock.now();
  const items = b.items as Array<Record<string, unknown>>;
  const refs = items.map((item, i) => seriesRefOf(item, `items[${i}]`));
  const infos = resolveSeries(ctx, refs, b.ignoreUnknownIds === true);
  const out: string[] = [];
  for (const [i, item] of items.entries()) {
    const info = infos[i];
    if (!info) continue;
    const where = `items[${i}]`;
    const before = item.before === undefined ? now : parseTimeSpec(item.before, now, `${where}.before`);
    const bool = (name: string, fallback: boolean): boolean => {
      const v = item[name];
      if (v === undefined) return fallback;
      if (typeof v !== "boolean") throw new CdfError(400, `${where}.${name}: must be true or false`);
      return v;
    };
    const series = store.get(info.id);
    const json = readPointBefore(series, before, {
      includeStatus: bool("includeStatus", false),
      ignoreBad: bool("ignoreBadDataPoints", true),
      uncertainIsBad: bool("treatUncertainAsBad", true),
    });
    ctx.stats.datapointsReturned += json ? 1 : 0;
    out.push(`${seriesHeaderJson(info)},"datapoints":[${json}]}`);
  }
  return `{"items":[${out.join(",")}]}`;
}
