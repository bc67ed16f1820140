import { describeSeries, type SeriesRef, STATUS_BAD } from "@kpi-pipeline/kpi-core";
import type { CdfConnection } from "./cdfConnection.js";
import { CDF_LIMITS } from "./cdfLimits.js";
import { InvalidDatapointError } from "./invalidDatapointError.js";
import { PartialWriteError, type WrittenRange } from "./partialWriteError.js";
import { planWriteChunks } from "./planWriteChunks.js";
import type { SeriesColumns } from "./seriesColumns.js";
import { seriesItem } from "./seriesItem.js";
import { DEFAULT_RETRY_POLICY, type RetryPolicy, withRetries } from "./withRetries.js";

// Datapoint inserts: every point checked first (so a bad value fails the write before anything
// is sent), then packed into requests of at most 100,000 points and 10,000 items, sent one after
// another so each series is written in time order, each retried on transient failures (an
// insert of the same points is idempotent: CDF overwrites by timestamp). A point whose value is
// NaN is written as Bad without a value (status 2147483648), CDF's way of saying "no value here".
// Through client.post, not datapoints.insert: the typed insert has no status and no value-less points.

export interface SeriesWrite {
  series: SeriesRef;
  /** Points in ascending time order; NaN value means no value (the point must be Bad). */
  points: SeriesColumns;
}

export interface WriteOptions {
  retry?: RetryPolicy;
  /** Points per request (default and maximum: CDF's 100,000). */
  maxPoints?: number;
  /** Items per request (default and maximum: CDF's 10,000). */
  maxItems?: number;
}

export interface WriteReport {
  requests: number;
  points: number;
}

/** Writes every point or throws: InvalidDatapointError before sending, PartialWriteError part way. */
export async function writeDatapoints(
  cdf: CdfConnection,
  writes: readonly SeriesWrite[],
  options: WriteOptions = {},
): Promise<WriteReport> {
  for (const write of writes) checkPoints(write);
  const chunks = planWriteChunks(
    writes.map((w) => w.points.length),
    {
      maxPoints: Math.min(options.maxPoints ?? CDF_LIMITS.insertPoints, CDF_LIMITS.insertPoints),
      maxItems: Math.min(options.maxItems ?? CDF_LIMITS.insertItems, CDF_LIMITS.insertItems),
    },
  );
  const ranges = chunks.map((chunk) =>
    chunk.slices.map((s): WrittenRange => {
      const { series, points } = writes[s.write]!;
      return {
        series,
        first: points.timestamps[s.from]!,
        last: points.timestamps[s.to - 1]!,
        points: s.to - s.from,
      };
    }),
  );
  let points = 0;
  for (const [i, chunk] of chunks.entries()) {
    const body = {
      items: chunk.slices.map((s) => {
        const write = writes[s.write]!;
        return { ...seriesItem(write.series), datapoints: wirePoints(write.points, s.from, s.to) };
      }),
    };
    try {
      await withRetries(() => cdf.post("/timeseries/data", body), options.retry ?? DEFAULT_RETRY_POLICY);
    } catch (error) {
      throw new PartialWriteError(ranges.slice(0, i), ranges.slice(i), error);
    }
    points += chunk.points;
  }
  return { requests: chunks.length, points };
}

function wirePoints(points: SeriesColumns, from: number, to: number): object[] {
  const out = new Array<object>(to - from);
  for (let i = from; i < to; i++) {
    const timestamp = points.timestamps[i]!;
    const value = points.values[i]!;
    const code = points.statuses[i]!;
    if (Number.isNaN(value)) out[i - from] = { timestamp, status: { code } };
    else if (code === 0) out[i - from] = { timestamp, value };
    else out[i - from] = { timestamp, value, status: { code } };
  }
  return out;
}

function checkPoints({ series, points }: SeriesWrite): void {
  const where = (i: number) => `point ${i} of ${describeSeries(series)} (timestamp ${points.timestamps[i]})`;
  const refuse = (text: string) => {
    throw new InvalidDatapointError(
      `${text}; nothing was written. Fix the KPI or its inputs so it yields values CDF can store.`,
    );
  };
  let previous = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < points.length; i++) {
    const ts = points.timestamps[i]!;
    if (!Number.isInteger(ts) || ts < CDF_LIMITS.minTimestamp || ts > CDF_LIMITS.maxTimestamp) {
      refuse(`${where(i)}: the timestamp is not integer epoch ms from 1900 to 2099`);
    }
    if (ts <= previous) refuse(`${where(i)}: timestamps must be strictly increasing within a series`);
    previous = ts;
    const value = points.values[i]!;
    const code = points.statuses[i]!;
    if (Number.isNaN(value)) {
      if (code < STATUS_BAD)
        refuse(`${where(i)}: a point without a value must have Bad status (2147483648), not ${code}`);
    } else if (!(Math.abs(value) < CDF_LIMITS.maxAbsValue)) {
      refuse(`${where(i)}: value ${value} is outside (-1e100, 1e100), which CDF cannot store`);
    }
  }
}
