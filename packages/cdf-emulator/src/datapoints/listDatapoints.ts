// POST /timeseries/data/list (DatapointsMultiQuery): 1-100 items; per-item fields override the
// top-level ones. The spec's limits: `limit` default 100, at most 100,000 raw and 10,000 aggregate
// datapoints "in total across all queries in a single request" - the emulator enforces that as
// the sum of the items' limits, which is what a client controls. Each item gets a nextCursor
// while more data is left in its range.

import { CdfError, type EmulatorContext, type TimeSeriesInfo } from "../context.js";
import { AGGREGATE_NAMES, type AggregateName } from "./aggregateBuilder.js";
import { createBucketing, parseGranularity, parseTimeZone } from "./bucketing.js";
import { type DatapointCursor, decodeDatapointCursor, encodeDatapointCursor } from "./datapointCursor.js";
import type { DatapointStore } from "./datapointStore.js";
import { readAggregates } from "./readAggregates.js";
import { readRawPage } from "./readRawPage.js";
import { resolveSeries, seriesHeaderJson, seriesRefOf } from "./seriesRef.js";
import { parseTimeSpec } from "./timeSpec.js";

export const MAX_LIST_ITEMS = 100;
export const MAX_RAW_DATAPOINTS = 100_000;
export const MAX_AGGREGATE_DATAPOINTS = 10_000;
const DEFAULT_LIMIT = 100;

const ITEM_FIELDS = [
  "start",
  "end",
  "limit",
  "aggregates",
  "granularity",
  "includeOutsidePoints",
  "timeZone",
  "includeStatus",
  "ignoreBadDataPoints",
  "treatUncertainAsBad",
  "cursor",
] as const;

type Query = Partial<Record<(typeof ITEM_FIELDS)[number], unknown>>;

interface ItemPlan {
  info: TimeSeriesInfo;
  where: string;
  start: number;
  end: number;
  limit: number;
  aggregates: AggregateName[] | undefined;
  q: Query;
}

/** The response body as JSON bytes (assembled from pages that are already JSON: see readRawPage). */
export function listDatapoints(ctx: EmulatorContext, store: DatapointStore, body: unknown): Buffer {
  const b = (body ?? {}) as Query & { items?: unknown; ignoreUnknownIds?: unknown };
  if (!Array.isArray(b.items) || b.items.length === 0 || b.items.length > MAX_LIST_ITEMS) {
    throw new CdfError(400, `items: must be an array of 1 to ${MAX_LIST_ITEMS} queries`);
  }
  const now = ctx.clock.now();
  const refs = b.items.map((item, i) => seriesRefOf(item, `items[${i}]`));
  const infos = resolveSeries(ctx, refs, b.ignoreUnknownIds === true);

  const plans: ItemPlan[] = [];
  let rawTotal = 0;
  let aggregateTotal = 0;
  for (const [i, item] of (b.items as Query[]).entries()) {
    const info = infos[i];
    if (!info) continue;
    const where = `items[${i}]`;
    const q: Query = {};
    for (const f of ITEM_FIELDS) q[f] = item[f] !== undefined ? item[f] : b[f];
    for (const f of ["targetUnit", "targetUnitSystem"] as const) {
      if ((item as Record<string, unknown>)[f] !== undefined) {
        throw new CdfError(400, `${where}.${f}: unit conversion is not supported by the emulator`);
      }
    }
    const aggregates = parseAggregates(q.aggregates, where);
    const limit = q.limit === undefined ? DEFAULT_LIMIT : q.limit;
    const max = aggregates ? MAX_AGGREGATE_DATAPOINTS : MAX_RAW_DATAPOINTS;
    if (typeof limit !== "number" || !Number.isInteger(limit) || limit < 0 || limit > max) {
      throw new CdfError(
        400,
        `${where}.limit: ${JSON.stringify(limit)}; must be an integer from 0 to ${max} for ${aggregates ? "aggregates" : "raw datapoints"}`,
      );
    }
    if (aggregates) aggregateTotal += limit;
    else rawTotal += limit;
    if (aggregates && info.isString) {
      throw new CdfError(
        400,
        `${where}: aggregates are not supported for string time series (id ${info.id})`,
      );
    }
    if (aggregates && q.granularity === undefined) {
      throw new CdfError(400, `${where}.granularity: required when aggregates are requested (e.g. "1h")`);
    }
    if (q.includeOutsidePoints === true && aggregates) {
      throw new CdfError(400, `${where}: includeOutsidePoints is not available for aggregates`);
    }
    if (q.includeOutsidePoints === true && q.cursor !== undefined) {
      throw new CdfError(400, `${where}: includeOutsidePoints cannot be combined with a cursor`);
    }
    const start = q.start === undefined ? 0 : parseTimeSpec(q.start, now, `${where}.start`);
    const end = q.end === undefined ? now : parseTimeSpec(q.end, now, `${where}.end`);
    if (end <= start) {
      throw new CdfError(400, `${where}: end (${end}) must be after start (${start})`);
    }
    plans.push({ info, where, start, end, limit, aggregates, q });
  }
  if (rawTotal > MAX_RAW_DATAPOINTS) {
    throw new CdfError(
      400,
      `The items' limits add up to ${rawTotal} raw datapoints; at most ${MAX_RAW_DATAPOINTS} per request in total. Lower the limits and page with cursors`,
    );
  }
  if (aggregateTotal > MAX_AGGREGATE_DATAPOINTS) {
    throw new CdfError(
      400,
      `The items' limits add up to ${aggregateTotal} aggregate datapoints; at most ${MAX_AGGREGATE_DATAPOINTS} per request in total. Lower the limits and page with cursors`,
    );
  }

  const out: Buffer[] = [Buffer.from('{"items":[')];
  for (const [k, plan] of plans.entries()) {
    if (k > 0) out.push(Buffer.from(","));
    if (plan.aggregates) out.push(Buffer.from(aggregateItem(ctx, store, plan)));
    else out.push(...rawItem(ctx, store, plan));
  }
  out.push(Buffer.from("]}"));
  return Buffer.concat(out);
}

const WRONG_CURSOR = {
  raw: "an aggregate cursor used for a raw query",
  aggregate: "a raw cursor used for an aggregate query",
} as const;

/** Where this page starts: the item's start, or later where the previous page's cursor points. */
function pageStart(p: ItemPlan, kind: DatapointCursor["kind"]): number {
  const cursor = decodeDatapointCursor(p.q.cursor, `${p.where}.cursor`);
  if (cursor === undefined) return p.start;
  if (cursor.kind !== kind) throw new CdfError(400, `${p.where}.cursor: ${WRONG_CURSOR[kind]}`);
  return Math.max(p.start, cursor.next);
}

function rawItem(ctx: EmulatorContext, store: DatapointStore, p: ItemPlan): Buffer[] {
  const { q, where } = p;
  const start = pageStart(p, "raw");
  const page = readRawPage(store.get(p.info.id), {
    start,
    end: p.end,
    limit: p.limit,
    includeOutsidePoints: flag(q.includeOutsidePoints, false, `${where}.includeOutsidePoints`),
    includeStatus: flag(q.includeStatus, false, `${where}.includeStatus`),
    ignoreBad: flag(q.ignoreBadDataPoints, true, `${where}.ignoreBadDataPoints`),
    uncertainIsBad: flag(q.treatUncertainAsBad, true, `${where}.treatUncertainAsBad`),
  });
  ctx.stats.datapointsReturned += page.count;
  // No cursor with outside points: CDF does not accept one back with includeOutsidePoints.
  const cursor =
    page.next !== undefined && q.includeOutsidePoints !== true
      ? `,"nextCursor":"${encodeDatapointCursor({ kind: "raw", next: page.next })}"`
      : "";
  return [
    Buffer.from(`${seriesHeaderJson(p.info)},"datapoints":[`),
    typeof page.json === "string" ? Buffer.from(page.json) : page.json,
    Buffer.from(`]${cursor}}`),
  ];
}

function aggregateItem(ctx: EmulatorContext, store: DatapointStore, p: ItemPlan): string {
  const { q, where } = p;
  const granularity = parseGranularity(q.granularity, `${where}.granularity`);
  const timeZone = parseTimeZone(q.timeZone, `${where}.timeZone`);
  const start = pageStart(p, "aggregate");
  const bucketing = createBucketing(granularity, start, timeZone);
  const alignedStart = bucketing.startOf(start);
  // CDF rounds the end up so that the last interval is whole.
  const lastStart = bucketing.startOf(p.end);
  const alignedEnd = lastStart === p.end ? p.end : bucketing.endOf(lastStart);
  const series = store.get(p.info.id);
  const result = series
    ? readAggregates(series, alignedStart, alignedEnd, {
        aggregates: p.aggregates!,
        bucketing,
        isStep: p.info.isStep,
        ignoreBad: flag(q.ignoreBadDataPoints, true, `${where}.ignoreBadDataPoints`),
        uncertainIsBad: flag(q.treatUncertainAsBad, true, `${where}.treatUncertainAsBad`),
        limit: p.limit,
        includeStatus: flag(q.includeStatus, false, `${where}.includeStatus`),
      })
    : { datapoints: [], nextStart: undefined };
  ctx.stats.datapointsReturned += result.datapoints.length;
  const cursor =
    result.nextStart !== undefined
      ? `,"nextCursor":"${encodeDatapointCursor({ kind: "aggregate", next: result.nextStart })}"`
      : "";
  const head = seriesHeaderJson({ ...p.info, isString: false });
  return `${head},"datapoints":${JSON.stringify(result.datapoints)}${cursor}}`;
}

function parseAggregates(value: unknown, where: string): AggregateName[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.length === 0) {
    throw new CdfError(400, `${where}.aggregates: must be a non-empty array of aggregate names`);
  }
  for (const name of value) {
    if (!(AGGREGATE_NAMES as readonly unknown[]).includes(name)) {
      throw new CdfError(
        400,
        `${where}.aggregates: unknown aggregate ${JSON.stringify(name)}; use one of ${AGGREGATE_NAMES.join(", ")}`,
      );
    }
  }
  return [...new Set(value as AggregateName[])];
}

function flag(value: unknown, fallback: boolean, where: string): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== "boolean") throw new CdfError(400, `${where}: must be true or false`);
  return value;
}
