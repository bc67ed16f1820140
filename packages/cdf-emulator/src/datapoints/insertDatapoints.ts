// POST /timeseries/data. Limits from the spec (DatapointsInsertQuery): <= 10,000 items and
// <= 100,000 datapoints in total; timestamps integer ms in [1900, 2099]; numeric values in
// (-1e100, 1e100), or 'NaN'/'Infinity'/'-Infinity' or no value at all on Bad points; strings
// <= 1023 UTF-8 bytes. The request is validated whole before anything is written.

import { CdfError, type DatapointChange, type EmulatorContext, type Principal } from "../context.js";
import { allocColumns, type Columns } from "./columns.js";
import type { DatapointStore } from "./datapointStore.js";
import { resolveSeries, seriesRefOf } from "./seriesRef.js";
import { sortBatch } from "./sortBatch.js";
import { parseStatus, STATUS_GOOD, statusCategory } from "./statusCode.js";
import { MAX_TIMESTAMP, MIN_TIMESTAMP } from "./timeSpec.js";

export const MAX_INSERT_ITEMS = 10_000;
export const MAX_INSERT_DATAPOINTS = 100_000;
const MAX_STRING_BYTES = 1023;
const SPECIAL_NUMBERS: Record<string, number> = {
  NaN: Number.NaN,
  Infinity: Number.POSITIVE_INFINITY,
  "-Infinity": Number.NEGATIVE_INFINITY,
};

// openapi.json DatapointsPostDatapoint / PostDatapoint. CDF answers a field it does not know
// with 400 on every other endpoint; a misspelt `vaule` must not become a point without a value.
const ITEM_FIELDS = ["id", "externalId", "instanceId", "datapoints"] as const;
const DATAPOINT_FIELDS = ["timestamp", "value", "status"] as const;

function rejectUnknownFields(o: object, known: readonly string[], where: string, what: string): void {
  const unknown = Object.keys(o).filter((k) => !known.includes(k));
  if (unknown.length > 0) {
    throw new CdfError(
      400,
      `${where}: unknown field${unknown.length > 1 ? "s" : ""} ${unknown.map((k) => `'${k}'`).join(", ")}; ${what} has only ${known.join(", ")}`,
    );
  }
}

type ChangePoint = Extract<DatapointChange, { kind: "upsert" }>["points"][number];

export function insertDatapoints(
  ctx: EmulatorContext,
  store: DatapointStore,
  body: unknown,
  principal: Principal | undefined,
): void {
  const items = (body as { items?: unknown } | undefined)?.items;
  if (!Array.isArray(items) || items.length === 0) {
    throw new CdfError(400, "items: must be a non-empty array of {id|externalId|instanceId, datapoints}");
  }
  if (items.length > MAX_INSERT_ITEMS) {
    throw new CdfError(
      400,
      `items: ${items.length} items; at most ${MAX_INSERT_ITEMS} time series per request`,
    );
  }
  let total = 0;
  for (const [i, item] of items.entries()) {
    const dps = (item as { datapoints?: unknown } | null)?.datapoints;
    if (!Array.isArray(dps)) throw new CdfError(400, `items[${i}].datapoints: must be an array`);
    rejectUnknownFields(item as object, ITEM_FIELDS, `items[${i}]`, "an item");
    total += dps.length;
  }
  if (total > MAX_INSERT_DATAPOINTS) {
    throw new CdfError(
      400,
      `The request has ${total} datapoints; at most ${MAX_INSERT_DATAPOINTS} datapoints per request across all time series. Split it into several requests`,
    );
  }
  const refs = items.map((item, i) => seriesRefOf(item, `items[${i}]`));
  const infos = resolveSeries(ctx, refs, false);

  const batches = items.map((item, i) => {
    const info = infos[i]!;
    const where = `items[${i}]`;
    const dps = (item as { datapoints: unknown[] }).datapoints;
    return { info, ...parsePoints(dps, info.isString, where) };
  });

  for (const { info, columns, changes } of batches) {
    if (columns.length === 0) continue;
    store.getOrCreate(info.id, info.isString).insert(sortBatch(columns, info.isString));
    ctx.emitDatapointChange({ kind: "upsert", timeSeriesId: info.id, points: changes }, principal);
  }
  ctx.stats.datapointsInserted += total;
}

function parsePoints(
  dps: unknown[],
  isString: boolean,
  where: string,
): { columns: Columns; changes: ChangePoint[] } {
  const n = dps.length;
  const columns = allocColumns(isString, n, false, false);
  const changes: ChangePoint[] = new Array(n);
  for (let j = 0; j < n; j++) {
    const dp = dps[j] as { timestamp?: unknown; value?: unknown; status?: unknown } | null;
    const at = `${where}.datapoints[${j}]`;
    if (typeof dp !== "object" || dp === null)
      throw new CdfError(400, `${at}: must be an object {timestamp, value}`);
    // for-in on these small objects costs about as much as reading their fields (V8's enum cache).
    for (const key in dp) {
      if (key !== "timestamp" && key !== "value" && key !== "status") {
        rejectUnknownFields(dp, DATAPOINT_FIELDS, at, "a datapoint");
      }
    }
    const t = dp.timestamp;
    if (typeof t !== "number" || !Number.isInteger(t) || t < MIN_TIMESTAMP || t > MAX_TIMESTAMP) {
      throw new CdfError(
        400,
        `${at}.timestamp: ${JSON.stringify(t)} is not an integer ms timestamp between ${MIN_TIMESTAMP} (1900-01-01) and ${MAX_TIMESTAMP} (2099-12-31)`,
      );
    }
    const code = dp.status === undefined ? STATUS_GOOD : parseStatus(dp.status, at);
    const bad = code !== STATUS_GOOD && statusCategory(code) === "bad";
    if (code !== STATUS_GOOD) {
      columns.status ??= new Uint32Array(n);
      columns.status[j] = code;
    }
    columns.ts[j] = t;
    const v = dp.value;
    if (v === undefined || v === null) {
      if (!bad)
        throw new CdfError(400, `${at}.value: missing; only a point with Bad status may omit its value`);
      if (isString) columns.str![j] = null;
      else {
        columns.noValue ??= new Uint8Array(n);
        columns.noValue[j] = 1;
        columns.num![j] = Number.NaN;
      }
    } else if (isString) {
      if (typeof v !== "string") {
        throw new CdfError(
          400,
          `${at}.value: ${JSON.stringify(v)} is a number, but the time series is a string series`,
        );
      }
      if (v.length > MAX_STRING_BYTES / 3 && Buffer.byteLength(v) > MAX_STRING_BYTES) {
        throw new CdfError(
          400,
          `${at}.value: string of ${Buffer.byteLength(v)} UTF-8 bytes; at most ${MAX_STRING_BYTES}`,
        );
      }
      columns.str![j] = v;
    } else if (typeof v === "number") {
      if (!(v > -1e100 && v < 1e100)) {
        throw new CdfError(400, `${at}.value: ${v} is outside the allowed range (-1e100, 1e100)`);
      }
      columns.num![j] = v;
    } else if (typeof v === "string" && v in SPECIAL_NUMBERS) {
      if (!bad) throw new CdfError(400, `${at}.value: "${v}" is only allowed on a point with Bad status`);
      columns.num![j] = SPECIAL_NUMBERS[v]!;
    } else {
      throw new CdfError(
        400,
        `${at}.value: ${JSON.stringify(v)} is not a number, but the time series is numeric (isString=false)`,
      );
    }
    changes[j] =
      code === STATUS_GOOD && v !== undefined
        ? (dp as ChangePoint)
        : { timestamp: t, value: v as ChangePoint["value"], status: { code } };
  }
  columns.length = n;
  return { columns, changes };
}
