// POST /timeseries/data/list (DatapointsMultiQuery): 1-100 items; per-item fields override the
// top-level ones. The spec's limits: `limit` default 100, at most 100,000 raw and 10,000 aggregate
// datapoints "in total across all queries in a single request" - the emulator enforces that as
// the sum of the items' limits, which is what a client controls. Each item gets a nextCursor
// while more data is left in its range.

import { CdfError, type EmulatorContext, type TimeSeriesInfo } from "../context.js";
import { parseRequestBody } from "../parseRequestBody.js";
import type { AggregateName } from "./aggregateBuilder.js";
import { createBucketing, parseGranularity, parseTimeZone } from "./bucketing.js";
import { type DatapointCursor, decodeDatapointCursor, encodeDatapointCursor } from "./datapointCursor.js";
import { type DatapointQuery, listBody, QUERY_FIELDS } from "./datapointRequests.js";
import type { DatapointStore } from "./datapointStore.js";
import { readAggregates } from "./readAggregates.js";
import { readRawPage } from "./readRawPage.js";
import { resolveSeries, seriesHeaderJson, seriesRefOf } from "./seriesRef.js";
import { parseTimeSpec } from "./timeSpec.js";

export const MAX_RAW_DATAPOINTS = 100_000;
export const MAX_AGGREGATE_DATAPOINTS = 10_000;
const DEFAULT_LIMIT = 100;

interface ItemPlan {
  info: TimeSeriesInfo;
  where: string;
  start: number;
  end: number;
  limit: number;
  aggregates: AggregateName[] | undefined;
  q: DatapointQuery;
}

/** The response body as JSON bytes (assembled from pages that are already JSON: see readRawPage). */
export function listDatapoints(ctx: EmulatorContext, store: DatapointStore, body: unknown): Buffer {
  const b = parseRequestBody(listBody, body, "POST /timeseries/data/list");
  const now = ctx.clock.now();
  const refs = b.items.map((item, i) => seriesRefOf(item, `items[${i}]`));
  const infos = resolveSeries(ctx, refs, b.ignoreUnknownIds === true);

  const plans: ItemPlan[] = [];
  let rawTotal = 0;
  let aggregateTotal = 0;
  for (const [i, item] of b.items.entries()) {
    const info = infos[i];
    if (!info) continue;
    const where = `items[${i}]`;
    const q: DatapointQuery = {};
    for (const f of QUERY_FIELDS) (q as Record<string, unknown>)[f] = item[f] !== undefined ? item[f] : b[f];
    const aggregates = q.aggregates && [...new Set(q.aggregates)];
    const limit = q.limit ?? DEFAULT_LIMIT;
    const max = aggregates ? MAX_AGGREGATE_DATAPOINTS : MAX_RAW_DATAPOINTS;
    if (limit > max) {
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
  const { q } = p;
  const start = pageStart(p, "raw");
  const page = readRawPage(store.get(p.info.id), {
    start,
    end: p.end,
    limit: p.limit,
    includeOutsidePoints: q.includeOutsidePoints ?? false,
    includeStatus: q.includeStatus ?? false,
    ignoreBad: q.ignoreBadDataPoints ?? true,
    uncertainIsBad: q.treatUncertainAsBad ?? true,
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
        ignoreBad: q.ignoreBadDataPoints ?? true,
        uncertainIsBad: q.treatUncertainAsBad ?? true,
        limit: p.limit,
        includeStatus: q.includeStatus ?? false,
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
