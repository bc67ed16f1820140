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

  // Examples and rules from docs.cognite.com/dev/concepts/aggregation ("Previous and next data
  // point", "average", "Missing data"), .../aggregation/calendar and .../reference/status_codes.
  describe("as CDF documents them", () => {
    it("the status-code page's example: average divides by the covered part, not the whole second", () => {
      // 1, 2, 3 (Good, Good, GoodClamped), 4 Uncertain, 5 Bad at +0..+4 ms, granularity 1s.
      const t = 1620000000000;
      const s = series([
        [t, 1],
        [t + 1, 2, 0],
        [t + 2, 3, 3145728],
        [t + 3, 4, 1073741824],
        [t + 4, 5, 2153809152],
      ]);
      const names: AggregateName[] = [
        "count",
        "countGood",
        "countUncertain",
        "countBad",
        "average",
        "min",
        "max",
      ];
      // Default: 1 -> 3 over 2 ms, integral 4 ms-units / 2 ms = 2 (the docs' answer, not 4/1000).
      expect(
        aggregate(s, { start: t, end: t + 1000, granularity: "1s", aggregates: names }).datapoints,
      ).toEqual([
        { timestamp: t, count: 3, countGood: 3, countUncertain: 1, countBad: 1, average: 2, min: 1, max: 3 },
      ]);
      // treatUncertainAsBad=false: 1 -> 4 over 3 ms, integral 7.5 / 3 = 2.5.
      const lenient = aggregate(s, {
        start: t,
        end: t + 1000,
        granularity: "1s",
        aggregates: names,
        uncertainIsBad: false,
      });
      expect(lenient.datapoints).toEqual([
        {
          timestamp: t,
          count: 4,
          countGood: 3,
          countUncertain: 1,
          countBad: 1,
          average: 2.5,
          min: 1,
          max: 4,
        },
      ]);
    });

    it("monthly average as CDF answers it: built from hours, so a month-long gap counts nowhere", () => {
      // The series of issue 6, checked against CDF: two points a day apart at the start of each month.
      const at = (y: number, m: number, d: number) => Date.UTC(y, m - 1, d);
      const s = series([
        [at(2023, 10, 1), 10],
        [at(2023, 10, 2), 20],
        [at(2023, 11, 1), 30],
        [at(2023, 11, 2), 40],
        [at(2023, 12, 1), 50],
        [at(2023, 12, 2), 60],
        [at(2024, 1, 1), 70],
        [at(2024, 1, 2), 80],
        [at(2024, 3, 1), 90],
        [at(2024, 3, 2), 100],
      ]);
      const { datapoints } = aggregate(s, {
        start: at(2023, 10, 1),
        end: at(2024, 3, 15),
        granularity: "1mo",
        aggregates: ["average"],
      });
      expect(datapoints).toEqual([
        { timestamp: at(2023, 10, 1), average: 15 },
        { timestamp: at(2023, 11, 1), average: 35 },
        { timestamp: at(2023, 12, 1), average: 55 },
        { timestamp: at(2024, 1, 1), average: 75 },
        { timestamp: at(2024, 3, 1), average: 95 },
      ]);
    });

    it("a day counts a 2 h segment only in the hours within 1 h of both its points", () => {
      // 00:30=0 -> 02:30=120 (f = minutes since 00:30): only [01:00,02:00) has a within 1 h
      // before it and b within 1 h after it, so the day averages f over 01:00-02:00: (30+90)/2.
      const s = series([
        [T0 + 30 * MIN, 0],
        [T0 + 150 * MIN, 120],
      ]);
      const day = aggregate(s, { granularity: "1d", aggregates: ["average", "durationGood"] });
      expect(day.datapoints).toEqual([{ timestamp: T0, average: 60, durationGood: HOUR }]);
    });

    it("day and month aggregates are the time-weighted sum of hourly pieces (property, against a reference)", () => {
      // The reference walks hour by hour: a segment a -> b counts in hour H when a is at most 1 h
      // before H and b at most 1 h after it (points inside H always do).
      const reference = (points: Array<[number, number]>, dayStart: number) => {
        let integral = 0;
        let covered = 0;
        for (let i = 0; i + 1 < points.length; i++) {
          const [ta, va] = points[i]!;
          const [tb, vb] = points[i + 1]!;
          for (let h = dayStart; h < dayStart + 24 * HOUR; h += HOUR) {
            if (h - ta > HOUR || tb - (h + HOUR) > HOUR) continue;
            const x0 = Math.max(ta, h);
            const x1 = Math.min(tb, h + HOUR);
            if (x1 <= x0) continue;
            const f = (x: number) => va + ((vb - va) * (x - ta)) / (tb - ta);
            integral += ((x1 - x0) * (f(x0) + f(x1))) / 2;
            covered += x1 - x0;
          }
        }
        return { integral, covered };
      };
      fc.assert(
        fc.property(
          fc.uniqueArray(fc.integer({ min: 0, max: 3 * 24 * 12 - 1 }), { minLength: 2, maxLength: 40 }),
          fc.array(fc.integer({ min: -100, max: 100 }), { minLength: 40, maxLength: 40 }),
          (fiveMinuteSlots, values) => {
            const points = fiveMinuteSlots
              .sort((x, y) => x - y)
              .map((slot, i): [number, number] => [T0 + slot * 5 * MIN, values[i]!]);
            const { datapoints } = aggregate(series(points), {
              granularity: "1d",
              end: T0 + 3 * 24 * HOUR,
              aggregates: ["average", "durationGood"],
            });
            for (const d of datapoints) {
              const { integral, covered } = reference(points, d.timestamp);
              expect(d.durationGood).toBe(covered);
              if (covered > 0) expect(d.average as number).toBeCloseTo(integral / covered, 6);
            }
          },
        ),
      );
    });

    it("the previous/next point counts when within 1 h of the interval, however far it is from the next point", () => {
      // 00:30=0 and 01:45=75 are 75 min apart, f(t) = minutes since 00:30, f(01:00) = 30.
      // [00:00,01:00): 01:45 is 45 min after the end -> covered 00:30-01:00, mean (0+30)/2 = 15.
      // [01:00,02:00): 00:30 is 30 min before the start -> interpolation 30, covered 01:00-01:45, mean 52.5.
      const s = series([
        [T0 + 30 * MIN, 0],
        [T0 + 105 * MIN, 75],
      ]);
      const { datapoints } = aggregate(s, { aggregates: ["average", "interpolation", "totalVariation"] });
      expect(datapoints).toEqual([
        { timestamp: T0, average: 15, totalVariation: 30 },
        { timestamp: T0 + HOUR, average: 52.5, interpolation: 30, totalVariation: 45 },
      ]);
    });

    it("exactly 1 h from the interval still counts; 1 ms more does not", () => {
      // 00:00=0, 02:00=120: for [00:00,01:00) the next point is exactly 1 h after the end: f(01:00) = 60, mean 30.
      // For [02:00,03:00) the previous point is 2 h before the start: only the point itself (120).
      const near = series([
        [T0, 0],
        [T0 + 2 * HOUR, 120],
      ]);
      expect(aggregate(near, { aggregates: ["average"] }).datapoints).toEqual([
        { timestamp: T0, average: 30 },
        { timestamp: T0 + 2 * HOUR, average: 120 },
      ]);
      // One millisecond further: [00:00,01:00) is defined nowhere but at its point -> that point's value.
      const far = series([
        [T0, 0],
        [T0 + 2 * HOUR + 1, 120],
      ]);
      expect(aggregate(far, { aggregates: ["average"] }).datapoints[0]).toEqual({
        timestamp: T0,
        average: 0,
      });
    });

    it("points inside one interval are joined whatever their distance", () => {
      // 4h interval: 00:00=0, 02:00=30, 03:00=30. Integral 2h*15 + 1h*30 = 60 over 3 h -> 20.
      // Mean of f^2: (225*8/3 + 900)/3 = 500; variance 500 - 20^2 = 100.
      const s = series([
        [T0, 0],
        [T0 + 2 * HOUR, 30],
        [T0 + 3 * HOUR, 30],
      ]);
      const { datapoints } = aggregate(s, {
        granularity: "4h",
        aggregates: ["average", "continuousVariance", "totalVariation"],
      });
      expect(datapoints).toHaveLength(1);
      expect(datapoints[0]!.average).toBeCloseTo(20, 9);
      expect(datapoints[0]!.continuousVariance).toBeCloseTo(100, 9);
      expect(datapoints[0]!.totalVariation).toBe(30);
    });

    it("stepInterpolation reaches back any distance; interpolation of a continuous series only 1 h", () => {
      // 00:00=5, 05:30=7; the interval [05:00,06:00).
      const s = series([
        [T0, 5],
        [T0 + 330 * MIN, 7],
      ]);
      const names: AggregateName[] = ["average", "interpolation", "stepInterpolation"];
      const start = T0 + 5 * HOUR;
      // Continuous: 00:00 is 5 h before the interval -> no interpolation, average = the lone point.
      expect(aggregate(s, { start, aggregates: names }).datapoints).toEqual([
        { timestamp: start, average: 7, stepInterpolation: 5 },
      ]);
      // Step: 5 holds until 05:30; nothing after the last point -> average 5 over 30 min.
      expect(aggregate(s, { start, aggregates: names, isStep: true }).datapoints).toEqual([
        { timestamp: start, average: 5, interpolation: 5, stepInterpolation: 5 },
      ]);
    });

    it("ignoreBadDataPoints=false: constant up to a Bad point, undefined from it to the next Good one", () => {
      // 00:00=0, 00:30=100 Bad, 00:45=10, 01:15=20; [00:00,01:00).
      const s = series([
        [T0, 0],
        [T0 + 30 * MIN, 100, 2147483648],
        [T0 + 45 * MIN, 10],
        [T0 + 75 * MIN, 20],
      ]);
      // 0 held for 30 min (integral 0); 00:30-00:45 undefined; 10 -> 15 over 15 min (187.5): 187.5 / 45 min.
      const strict = aggregate(s, { ignoreBad: false, aggregates: ["average", "count"] });
      expect(strict.datapoints[0]!.average).toBeCloseTo(187.5 / 45, 9);
      // Default (the Bad point ignored): 0 -> 10 over 45 min (225) + 10 -> 15 over 15 min (187.5), / 60.
      const lenient = aggregate(s, { aggregates: ["average", "count"] });
      expect(lenient.datapoints[0]!.average).toBeCloseTo(412.5 / 60, 9);
      expect(lenient.datapoints[0]!.count).toBe(2);
    });

    it("the calendar page's example: 3mo in Australia/Adelaide, empty quarters left out", () => {
      const points: Array<[number, number]> = [
        [1580600000000, 1],
        [1583000000000, 1],
        [1590000000000, 1],
        ...[1605000000000, 1606000000000, 1607000000000, 1608000000000, 1609000000000].map(
          (t): [number, number] => [t, 1],
        ),
      ];
      const { datapoints } = aggregate(series(points), {
        start: 1580500000000,
        end: Date.UTC(2021, 1, 1),
        granularity: "3mo",
        timeZone: "Australia/Adelaide",
        aggregates: ["count"],
      });
      // Local Feb 1, May 1 and Nov 1 2020 at 00:00 (UTC+10:30, +09:30, +10:30).
      expect(datapoints).toEqual([
        { timestamp: 1580477400000, count: 2 },
        { timestamp: 1588257000000, count: 1 },
        { timestamp: 1604151000000, count: 5 },
      ]);
    });

    it("the calendar page's example: UTC+01:00 rounds 1day to local midnight and 6h to the hour", () => {
      const start = 1582144200000; // 2020-02-19 21:30 +01:00
      const day = createBucketing(parseGranularity("1day", "test"), start, "UTC+01:00");
      expect(day.startOf(start)).toBe(1582066800000);
      const sixHours = createBucketing(parseGranularity("6h", "test"), start, "UTC+01:00");
      expect(sixHours.startOf(start)).toBe(1582142400000);
      expect(sixHours.endOf(1582142400000)).toBe(1582142400000 + 6 * HOUR);
      // Asia/Kolkata (UTC+05:30): hours start at local whole hours, 00:10 UTC = 05:40 -> 05:00 = 23:30 UTC.
      const kolkata = createBucketing(parseGranularity("h", "test"), T0 + 10 * MIN, "Asia/Kolkata");
      expect(kolkata.startOf(T0 + 10 * MIN)).toBe(T0 - 30 * MIN);
      // Minutes ignore the time zone.
      const minutes = createBucketing(parseGranularity("15m", "test"), T0 + 10 * MIN + 5, "Asia/Kolkata");
      expect(minutes.startOf(T0 + 10 * MIN + 5)).toBe(T0 + 10 * MIN);
    });

    it("granularity: the spec's units and short forms, with its limits", () => {
      const ok: Array<[string, number, string]> = [
        ["h", 1, "hour"],
        ["hour", 1, "hour"],
        ["1h", 1, "hour"],
        ["1day", 1, "day"],
        ["3month", 3, "month"],
        ["12mo", 12, "month"],
        ["120m", 120, "minute"],
        ["120s", 120, "second"],
        ["100000h", 100_000, "hour"],
        ["100000mo", 100_000, "month"],
      ];
      for (const [text, multiple, unit] of ok)
        expect(parseGranularity(text, "test")).toEqual({ multiple, unit });
      for (const bad of ["0h", "121m", "121second", "100001d", "1w", "1.5h", "h1", "", "1 h"]) {
        expect(() => parseGranularity(bad, "test")).toThrow(/granularity/);
      }
    });
  });
});
