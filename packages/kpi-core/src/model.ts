// The normalized, validated shapes every part of kpi-core works on. `parseKpiConfig` turns a
// parsed kpis.yaml into these; everything downstream trusts them. Times are epoch milliseconds,
// durations are milliseconds.

/** A time series in CDF: by externalId, or by its data-modeling instance (CogniteTimeSeries). */
export type SeriesRef = { externalId: string } | { instanceId: { space: string; externalId: string } };

/** A cleaning step, applied in order after de-duplication, status filter and non-finite drop. */
export type CleanStep =
  | { range: readonly [number, number] }
  /** Hampel filter: drop a point farther than k·MAD·1.4826 from the median of the `window` points centred on it. */
  | { spike: { window: number; k: number } }
  /** Drop the points of a run of one unchanged value that lasts longer than `durationMs`. */
  | { flatline: { durationMs: number } };

export interface InputSpec {
  /** The name the value expression uses. */
  name: string;
  series: SeriesRef;
  clean: readonly CleanStep[];
  /** Linear: longest segment still interpolated (default 1 h). Step: longest hold (default unlimited). */
  maxGapMs: number | undefined;
  /** Force step interpolation (otherwise the series' own isStep decides). */
  step: boolean;
  /** A counter (delta() applies resets). */
  counter: boolean;
  /** Count Uncertain points too (Good only by default; Bad never). */
  uncertain: boolean;
}

export type WindowSpec =
  | { kind: "fixed"; everyMs: number; offsetMs: number }
  | { kind: "calendar"; unit: "day" | "week" | "month"; offsetMs: number; timeZone: string };

/** A half-open window [start, end), labelled by start. */
export interface Window {
  start: number;
  end: number;
}

export type BinaryOperator = "+" | "-" | "*" | "/" | "<" | "<=" | ">" | ">=" | "==" | "!=";

/** The value expression's syntax tree. Evaluated by our own code, never eval. */
export type ExprNode =
  | { type: "number"; value: number }
  /** `windowSeconds`, the only bare identifier. */
  | { type: "windowSeconds" }
  | { type: "unary"; op: "-"; operand: ExprNode }
  | { type: "binary"; op: BinaryOperator; left: ExprNode; right: ExprNode }
  /** min/max/abs/round/if with scalar arguments. */
  | { type: "scalarCall"; fn: "min" | "max" | "abs" | "round" | "if"; args: ExprNode[] }
  /** A per-window aggregate of one named input, with constant extra arguments (percentile p, threshold c, unit). */
  | { type: "aggregate"; fn: AggregateName; input: string; args: Array<number | string> };

export type AggregateName =
  | "twa"
  | "integral"
  | "coverage"
  | "mean"
  | "min"
  | "max"
  | "sum"
  | "count"
  | "first"
  | "last"
  | "stddev"
  | "percentile"
  | "timeAbove"
  | "timeBelow"
  | "timeEqual"
  | "delta";

/** Points of one series, sorted by timestamp, one per timestamp (last written wins). */
export interface PointColumns {
  readonly length: number;
  readonly timestamps: Float64Array;
  /** NaN where the point has no value. */
  readonly values: Float64Array;
  /** CDF status codes (0 Good, 1073741824 Uncertain, 2147483648 Bad, or any code in those classes). */
  readonly statuses: Uint32Array;
}

/** One input of one KPI, as the engine receives it. */
export interface InputSeries {
  points: PointColumns;
  /** The CDF time series' isStep. */
  isStep: boolean;
  /**
   * CDF's own count/min/max per window, read instead of raw points for the KPIs where they equal
   * kpi-core's values (aggregatePushdown.ts); the engine uses them for those KPIs only.
   */
  aggregates?: readonly PushedAggregates[];
  /** False when only `aggregates` were read: `points` is then empty, not the series' points. */
  pointsRead?: boolean;
}

/** One series' server-side aggregates over [from, to) on one KPI window grid. */
export interface PushedAggregates {
  /** aggregatePushdown's tableKey: the window grid and the status filter that made them. */
  key: string;
  from: number;
  to: number;
  intervals: IntervalAggregates;
}

/** Per aggregate interval that has at least one counted point, ascending by start. */
export interface IntervalAggregates {
  readonly length: number;
  readonly starts: Float64Array;
  readonly count: Float64Array;
  readonly min: Float64Array;
  readonly max: Float64Array;
}

/** CDF's earliest datapoint timestamp, 1900-01-01T00:00:00Z. */
export const CDF_MIN_TIME = -2_208_988_800_000;
/** CDF's latest datapoint timestamp, 2099-12-31T23:59:59.999Z. */
export const CDF_MAX_TIME = 4_102_444_799_999;

export const STATUS_GOOD = 0;
export const STATUS_UNCERTAIN = 1073741824;
export const STATUS_BAD = 2147483648;

/** One KPI datapoint the engine produces: a value, or Bad status and the reason there is none. */
export type KpiDatapoint =
  | { timestamp: number; value: number; status: "Good" }
  | { timestamp: number; value: null; status: "Bad"; reason: string };
