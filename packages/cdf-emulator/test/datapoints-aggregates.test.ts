import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AGGREGATE_NAMES, type AggregateName } from "../src/datapoints/aggregateBuilder.js";
import { createBucketing, parseGranularity } from "../src/datapoints/bucketing.js";
import { allocColumns } from "../src/datapoints/columns.js";
import { readAggregates } from "../src/datapoints/readAggregates.js";
import { SeriesPoints } from "../src/datapoints/seriesPoints.js";
import { sortBatch } from "../src/datapoints/sortBatch.js";

const MIN = 60_000;
const HOUR = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);

function series(points: Array<[number, number, number?]>, chunkCapacity = 4): SeriesPoints {
  const s = new SeriesPoints(false, chunkCapacity);
  const c = allocColumns(false, points.length, true, false);
  points.forEach(([t, v, code], i) => {
    c.ts[i] = t;
    c.num![i] = v;
    c.status![i] = code ?? 0;
  });
  c.length = points.length;
  s.insert(sortBatch(c, false));
  return s;
}

function aggregate(
  s: SeriesPoints,
  opts: {
    start?: number;
    end?: number;
    granularity?: string;
    aggregates?: AggregateName[];
    isStep?: boolean;
    timeZone?: string;
    limit?: number;
    ignoreBad?: boolean;
    uncertainIsBad?: boolean;
    includeStatus?: boolean;
  } = {},
) {
  const start = opts.start ?? T0;
  const g = parseGranularity(opts.granularity ?? "1h", "test");
  const bucketing = createBucketing(g, start, opts.timeZone ?? "UTC");
  const alignedStart = bucketing.startOf(start);
  return readAggregates(s, alignedStart, opts.end ?? T0 + 24 * HOUR, {
    aggregates: opts.aggregates ?? [
      "average",
      "count",
      "sum",
      "min",
      "max",
      "interpolation",
      "stepInterpolation",
    ],
    bucketing,
    isStep: opts.isStep ?? false,
    ignoreBad: opts.ignoreBad ?? true,
    uncertainIsBad: opts.uncertainIsBad ?? true,
    limit: opts.limit ?? 10_000,
    includeStatus: opts.includeStatus ?? false,
  });
}

describe("aggregates", () => {
  it("average integrates the linear interpolation through both interval edges", () => {
    // 00:00=0, 00:30=10, 01:30=30. [00:00,01:00): 30 min at mean 5 + 30 min from 10 to 20 (mean 15) -> 10.
    const s = series([
      [T0, 0],
      [T0 + 30 * MIN, 10],
      [T0 + 90 * MIN, 30],
    ]);
    const { datapoints } = aggregate(s);
    expect(datapoints).toEqual([
      {
        timestamp: T0,
        average: 10,
        count: 2,
        sum: 10,
        min: 0,
        max: 10,
        interpolation: 0,
        stepInterpolation: 0,
      },
      // [01:00,02:00): 20 -> 30 over 30 min, nothing after the last point: mean 25 over 30 min.
      {
        timestamp: T0 + HOUR,
        average: 25,
        count: 1,
        sum: 30,
        min: 30,
        max: 30,
        interpolation: 20,
        stepInterpolation: 10,
      },
    ]);
  });

  it("neighbours more than 1 hour apart do not interpolate a continuous series", () => {
    // 00:30=10 and 02:30=50 are 2 h apart: [00:00,01:00) covers only 00:00-00:30 (mean 5).
    const s = series([
      [T0, 0],
      [T0 + 30 * MIN, 10],
      [T0 + 150 * MIN, 50],
    ]);
    const { datapoints } = aggregate(s, { aggregates: ["average", "interpolation"] });
    expect(datapoints).toEqual([
      { timestamp: T0, average: 5, interpolation: 0 },
      // A lone point with no defined segment: its own value; no interpolation at 02:00.
      { timestamp: T0 + 2 * HOUR, average: 50 },
    ]);
  });

  it("a step series holds each value until the next point at any distance", () => {
    // 1 for 15 min, then 3 for 45 min -> 2.5; [02:00,03:00): 3 until 02:30, then nothing after the last point.
    const s = series([
      [T0, 1],
      [T0 + 15 * MIN, 3],
      [T0 + 150 * MIN, 5],
    ]);
    const { datapoints } = aggregate(s, {
      isStep: true,
      aggregates: ["average", "stepInterpolation", "interpolation", "totalVariation"],
    });
    expect(datapoints).toEqual([
      { timestamp: T0, average: 2.5, stepInterpolation: 1, interpolation: 1, totalVariation: 2 },
      { timestamp: T0 + 2 * HOUR, average: 3, stepInterpolation: 3, interpolation: 3, totalVariation: 2 },
    ]);
  });

  it("the start is rounded down to a whole granularity unit, not to the multiple", () => {
    // 2h buckets from 01:00 (start 01:43 rounds to 01:00, not to 00:00).
    const s = series([
      [T0 + 30 * MIN, 1],
      [T0 + 70 * MIN, 2],
      [T0 + 190 * MIN, 3],
    ]);
    const { datapoints } = aggregate(s, { start: T0 + 103 * MIN, granularity: "2h", aggregates: ["count"] });
    expect(datapoints).toEqual([
      { timestamp: T0 + HOUR, count: 1 },
      { timestamp: T0 + 3 * HOUR, count: 1 },
    ]);
  });

  it("a day in Europe/Oslo across the 2024-03-31 spring-forward lasts 23 hours", () => {
    const marchThirtiethLocalMidnight = Date.UTC(2024, 2, 29, 23);
    const points: Array<[number, number]> = [];
    for (let t = marchThirtiethLocalMidnight; t < Date.UTC(2024, 3, 1, 22); t += HOUR) points.push([t, 1]);
    const s = series(points, 16);
    const { datapoints } = aggregate(s, {
      start: marchThirtiethLocalMidnight + 5 * HOUR,
      end: Date.UTC(2024, 3, 1, 22),
      granularity: "1d",
      timeZone: "Europe/Oslo",
      aggregates: ["count"],
    });
    expect(datapoints).toEqual([
      { timestamp: Date.UTC(2024, 2, 29, 23), count: 24 },
      { timestamp: Date.UTC(2024, 2, 30, 23), count: 23 },
      { timestamp: Date.UTC(2024, 2, 31, 22), count: 24 },
    ]);
  });

  it("month buckets start on the first of each month", () => {
    const s = series([
      [Date.UTC(2024, 0, 15), 1],
      [Date.UTC(2024, 1, 10), 2],
      [Date.UTC(2024, 1, 28), 4],
    ]);
    const { datapoints } = aggregate(s, {
      end: Date.UTC(2024, 5, 1),
      granularity: "1mo",
      aggregates: ["sum"],
    });
    expect(datapoints).toEqual([
      { timestamp: Date.UTC(2024, 0, 1), sum: 1 },
      { timestamp: Date.UTC(2024, 1, 1), sum: 6 },
    ]);
  });

  it("Bad and Uncertain points are ignored by default but always counted by status", () => {
    const s = series([
      [T0, 1],
      [T0 + 10 * MIN, 100, 2147483648],
      [T0 + 20 * MIN, 50, 1073741824],
      [T0 + 30 * MIN, 3],
    ]);
    const { datapoints } = aggregate(s, {
      aggregates: ["count", "sum", "countGood", "countUncertain", "countBad"],
    });
    expect(datapoints).toEqual([
      { timestamp: T0, count: 2, sum: 4, countGood: 2, countUncertain: 1, countBad: 1 },
    ]);
    const lenient = aggregate(s, { uncertainIsBad: false, aggregates: ["count", "sum"] });
    expect(lenient.datapoints).toEqual([{ timestamp: T0, count: 3, sum: 54 }]);
  });

  it("minDatapoint/maxDatapoint give the first extreme point, with its status only when asked", () => {
    const s = series([
      [T0, 5],
      [T0 + MIN, 9, 1073741824],
      [T0 + 2 * MIN, 1],
      [T0 + 3 * MIN, 9],
    ]);
    const plain = aggregate(s, { uncertainIsBad: false, aggregates: ["minDatapoint", "maxDatapoint"] });
    expect(plain.datapoints).toEqual([
      {
        timestamp: T0,
        minDatapoint: { timestamp: T0 + 2 * MIN, value: 1 },
        maxDatapoint: { timestamp: T0 + MIN, value: 9 },
      },
    ]);
    const withStatus = aggregate(s, {
      uncertainIsBad: false,
      includeStatus: true,
      aggregates: ["maxDatapoint"],
    });
    expect(withStatus.datapoints[0]!.maxDatapoint).toEqual({
      timestamp: T0 + MIN,
      value: 9,
      status: { code: 1073741824, symbol: "Uncertain" },
    });
  });

  it("the limit cuts the result and reports the next interval with data", () => {
    const s = series([
      [T0, 1],
      [T0 + HOUR, 2],
      [T0 + 5 * HOUR, 3],
    ]);
    const first = aggregate(s, { limit: 2, aggregates: ["average"] });
    expect(first.datapoints.map((d) => d.timestamp)).toEqual([T0, T0 + HOUR]);
    expect(first.nextStart).toBe(T0 + 5 * HOUR);
    // The cut does not change the edge of the last returned interval: 2 -> (3 at 5h: gap > 1h) -> 2.
    expect(first.datapoints[1]!.average).toBe(2);
    const rest = aggregate(s, { start: first.nextStart!, limit: 2, aggregates: ["average"] });
    expect(rest.datapoints).toEqual([{ timestamp: T0 + 5 * HOUR, average: 3 }]);
    expect(rest.nextStart).toBeUndefined();
  });

  it("continuousVariance and discreteVariance of a linear ramp", () => {
    // 0 -> 60 over one hour, then one more point to close it: f(t) = t (minutes).
    const s = series([
      [T0, 0],
      [T0 + 60 * MIN, 60],
    ]);
    const { datapoints } = aggregate(s, {
      aggregates: ["continuousVariance", "discreteVariance", "totalVariation"],
    });
    // Uniform on [0,60]: variance 60^2/12 = 300. The one point in [00:00,01:00) has variance 0.
    expect(datapoints[0]!.continuousVariance).toBeCloseTo(300, 9);
    expect(datapoints[0]!.discreteVariance).toBe(0);
    expect(datapoints[0]!.totalVariation).toBe(60);
  });

  it("a constant series averages to the constant for any granularity (property)", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 24 * 60 }), { minLength: 1, maxLength: 60 }),
        fc.constantFrom("1m", "7m", "1h", "3h", "1d"),
        fc.boolean(),
        (minutes, granularity, isStep) => {
          const s = series(minutes.map((m) => [T0 + m * MIN, 7]));
          const { datapoints } = aggregate(s, {
            granularity,
            isStep,
            end: T0 + 25 * HOUR,
            aggregates: ["average"],
          });
          for (const d of datapoints) expect(d.average).toBeCloseTo(7, 9);
        },
      ),
    );
  });

  it("splitting a range at an interval boundary gives the same intervals (property)", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 24 * 60 }), { minLength: 1, maxLength: 50 }),
        fc.integer({ min: 1, max: 23 }),
        (minutes, cutHour) => {
          const s = series(minutes.map((m) => [T0 + m * MIN, m % 17]));
          const names = [...AGGREGATE_NAMES];
          const whole = aggregate(s, { aggregates: names, end: T0 + 25 * HOUR }).datapoints;
          const left = aggregate(s, { aggregates: names, end: T0 + cutHour * HOUR }).datapoints;
          const right = aggregate(s, {
            aggregates: names,
            start: T0 + cutHour * HOUR,
            end: T0 + 25 * HOUR,
          }).datapoints;
          expect([...left, ...right]).toEqual(whole);
        },
      ),
    );
  });
});
