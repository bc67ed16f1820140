import { STATUS_BAD, STATUS_GOOD, STATUS_UNCERTAIN } from "@kpi-pipeline/kpi-core";

// Points as columns (the shape kpi-core's PointColumns has): one Float64Array of timestamps, one
// of values (NaN where a Bad point has no value), one Uint32Array of status codes. CDF sends
// points as JSON objects; this turns a page of them into columns in one pass, checking only
// what the columns need, so a 100,000-point page costs no per-point validation library call.

export interface SeriesColumns {
  readonly length: number;
  readonly timestamps: Float64Array;
  /** NaN where the point has no value (a Bad point). */
  readonly values: Float64Array;
  /** CDF status codes: 0 Good, 1073741824 Uncertain, 2147483648 Bad, or any code of those classes. */
  readonly statuses: Uint32Array;
}

const SYMBOL_CODES: Record<string, number> = {
  Good: STATUS_GOOD,
  Uncertain: STATUS_UNCERTAIN,
  Bad: STATUS_BAD,
};

/** CDF's textual non-finite values of Bad points. */
const TEXT_VALUES: Record<string, number> = {
  NaN: Number.NaN,
  Infinity: Number.POSITIVE_INFINITY,
  "-Infinity": Number.NEGATIVE_INFINITY,
};

/** A CDF answer did not have the shape its API documents. */
export class UnexpectedCdfResponseError extends Error {
  override readonly name = "UnexpectedCdfResponseError";
}

interface WirePoint {
  timestamp?: unknown;
  value?: unknown;
  status?: { code?: unknown; symbol?: unknown };
}

/** Columns of CDF datapoints as sent by data/list, data/latest and subscription upserts. */
export function columnsFromDatapoints(points: unknown, where: string): SeriesColumns {
  if (!Array.isArray(points)) {
    throw new UnexpectedCdfResponseError(`${where}: CDF sent no datapoints array.`);
  }
  const n = points.length;
  const timestamps = new Float64Array(n);
  const values = new Float64Array(n);
  const statuses = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const p = points[i] as WirePoint;
    const ts = p.timestamp;
    if (typeof ts !== "number" || !Number.isInteger(ts)) {
      throw new UnexpectedCdfResponseError(`${where}: datapoint ${i} has no integer timestamp.`);
    }
    timestamps[i] = ts;
    const v = p.value;
    if (typeof v === "number") values[i] = v;
    else if (v === undefined || v === null) values[i] = Number.NaN;
    else if (typeof v === "string" && v in TEXT_VALUES) values[i] = TEXT_VALUES[v]!;
    else
      throw new UnexpectedCdfResponseError(
        `${where}: datapoint at ${ts} has a value that is not a number (string series are not supported).`,
      );
    const status = p.status;
    if (status !== undefined) {
      if (typeof status.code === "number") statuses[i] = status.code;
      else if (typeof status.symbol === "string" && status.symbol in SYMBOL_CODES)
        statuses[i] = SYMBOL_CODES[status.symbol]!;
      else throw new UnexpectedCdfResponseError(`${where}: datapoint at ${ts} has a status without a code.`);
    }
  }
  return { length: n, timestamps, values, statuses };
}

export const EMPTY_COLUMNS: SeriesColumns = {
  length: 0,
  timestamps: new Float64Array(0),
  values: new Float64Array(0),
  statuses: new Uint32Array(0),
};
