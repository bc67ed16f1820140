import type { TestEmulator } from "@kpi-pipeline/cdf-emulator/testing";
import {
  CDF_MAX_TIME,
  CDF_MIN_TIME,
  type SeriesRef,
  STATUS_BAD,
  STATUS_UNCERTAIN,
} from "@kpi-pipeline/kpi-core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { CdfConnection } from "../src/cdfConnection.js";
import { CdfDatapointSource, MissingSeriesError, shares } from "../src/cdfDatapointSource.js";
import { cdfOnEmulator } from "./cdfOnEmulator.js";
import { type SeedPoint, seedSeries } from "./seedSeries.js";

const BASE = 1_700_000_000_000;
let t: TestEmulator;
let cdf: CdfConnection;

cdfOnEmulator({ project: "source-test" }, (suite) => {
  ({ t, cdf } = suite);
});

const pointArb = fc.record({
  offset: fc.integer({ min: 0, max: 199 }),
  value: fc.double({ min: -1e6, max: 1e6, noNaN: true }).map((v) => (Object.is(v, -0) ? 0 : v)),
  status: fc.constantFrom(0, 0, STATUS_UNCERTAIN, STATUS_BAD),
  omitValue: fc.boolean(),
});

function seedPoint(p: { offset: number; value: number; status: number; omitValue: boolean }): SeedPoint {
  const bad = p.status >= STATUS_BAD;
  return {
    timestamp: BASE + p.offset,
    ...(bad && p.omitValue ? {} : { value: p.value }),
    ...(p.status === 0 ? {} : { status: p.status }),
  };
}

describe("CdfDatapointSource", () => {
  it("answers each request with exactly its series' points in [start, end), the first `limit` of them, every status", async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            byInstance: fc.boolean(),
            isStep: fc.boolean(),
            points: fc.uniqueArray(pointArb, { selector: (p) => p.offset, maxLength: 30 }),
          }),
          { minLength: 1, maxLength: 4 },
        ),
        fc.array(
          fc.record({
            series: fc.nat(),
            start: fc.integer({ min: -5, max: 205 }),
            length: fc.integer({ min: 0, max: 210 }),
            limit: fc.option(fc.integer({ min: 1, max: 12 }), { nil: undefined }),
          }),
          { minLength: 1, maxLength: 6 },
        ),
        fc.integer({ min: 3, max: 20 }),
        fc.integer({ min: 1, max: 3 }),
        async (series, asks, pointsPerRequest, itemsPerRequest) => {
          run++;
          const refs: SeriesRef[] = series.map((s, i) =>
            s.byInstance
              ? { instanceId: { space: "sp", externalId: `src-${run}-${i}` } }
              : { externalId: `src-${run}-${i}` },
          );
          await seedSeries(
            t,
            series.map((s, i) => ({ ref: refs[i]!, isStep: s.isStep, points: s.points.map(seedPoint) })),
          );
          const requests = asks.map((a) => ({
            series: refs[a.series % refs.length]!,
            start: BASE + a.start,
            end: BASE + a.start + a.length,
            ...(a.limit === undefined ? {} : { limit: a.limit }),
          }));
          const source = new CdfDatapointSource(cdf, { pointsPerRequest, itemsPerRequest });
          const answers = await source.read(requests);
          expect(answers).toHaveLength(requests.length);
          for (const [i, a] of asks.entries()) {
            const s = series[a.series % series.length]!;
            const expected = s.points
              .map(seedPoint)
              .filter((p) => p.timestamp >= requests[i]!.start && p.timestamp < requests[i]!.end)
              .sort((x, y) => x.timestamp - y.timestamp)
              .slice(0, a.limit ?? Number.POSITIVE_INFINITY);
            const got = answers[i]!;
            expect(got.isStep).toBe(s.isStep);
            expect(Array.from(got.points.timestamps)).toEqual(expected.map((p) => p.timestamp));
            expect(Array.from(got.points.values)).toEqual(expected.map((p) => p.value ?? Number.NaN));
            expect(Array.from(got.points.statuses)).toEqual(expected.map((p) => p.status ?? 0));
          }
        },
      ),
      { numRuns: 25 },
    );
  });

  it("packs many series into one request and reaches across CDF's whole time range", async () => {
    await t.emulator.control.reset();
    const refs = Array.from({ length: 150 }, (_, i): SeriesRef => ({ externalId: `wide-${i}` }));
    await seedSeries(
      t,
      refs.map((ref, i) => ({
        ref,
        points: [
          { timestamp: CDF_MIN_TIME, value: i },
          { timestamp: BASE, value: i },
          { timestamp: CDF_MAX_TIME, value: -i },
        ],
      })),
    );
    const before = cdf.requestCount;
    const answers = await new CdfDatapointSource(cdf).read(
      refs.map((series) => ({ series, start: Number.NEGATIVE_INFINITY, end: Number.POSITIVE_INFINITY })),
    );
    expect(cdf.requestCount - before).toBe(2);
    expect(answers.every((a) => a.points.length === 3)).toBe(true);
    expect(Array.from(answers[149]!.points.values)).toEqual([149, 149, -149]);
  });

  it("answers empty ranges and zero limits with no points but the series' isStep", async () => {
    await t.emulator.control.reset();
    await seedSeries(t, [
      { ref: { externalId: "step" }, isStep: true, points: [{ timestamp: BASE, value: 1 }] },
    ]);
    const answers = await new CdfDatapointSource(cdf).read([
      { series: { externalId: "step" }, start: BASE, end: BASE },
      { series: { externalId: "step" }, start: BASE, end: BASE + 10, limit: 0 },
    ]);
    expect(answers.map((a) => [a.points.length, a.isStep])).toEqual([
      [0, true],
      [0, true],
    ]);
  });

  it("gives every item at least one point when fewer points than items fit a request (it looped forever)", async () => {
    await t.emulator.control.reset();
    const refs = [0, 1, 2].map((i): SeriesRef => ({ externalId: `few-${i}` }));
    await seedSeries(
      t,
      refs.map((ref) => ({
        ref,
        points: [
          { timestamp: BASE, value: 1 },
          { timestamp: BASE + 1, value: 2 },
        ],
      })),
    );
    const answers = await new CdfDatapointSource(cdf, { pointsPerRequest: 2, itemsPerRequest: 3 }).read(
      refs.map((series) => ({ series, start: BASE, end: BASE + 10 })),
    );
    expect(answers.map((a) => Array.from(a.points.values))).toEqual([
      [1, 2],
      [1, 2],
      [1, 2],
    ]);
  }, 10_000);

  it("gives a small ask only what it wants and the rest of the request to a long range beside it", async () => {
    await t.emulator.control.reset();
    const long = { externalId: "long" };
    await seedSeries(t, [
      { ref: long, points: Array.from({ length: 120 }, (_, i) => ({ timestamp: BASE + i, value: i })) },
    ]);
    const before = cdf.requestCount;
    // 90 points and the next 5 after them fit one request of 100; shared evenly (50 each) they took two.
    const answers = await new CdfDatapointSource(cdf, { pointsPerRequest: 100 }).read([
      { series: long, start: BASE, end: BASE + 90 },
      { series: long, start: BASE + 90, end: CDF_MAX_TIME + 1, limit: 5 },
    ]);
    expect(cdf.requestCount - before).toBe(1);
    expect(answers.map((a) => [a.points.length, a.points.timestamps[0]! - BASE])).toEqual([
      [90, 0],
      [5, 90],
    ]);
  });

  it("shares a request's points so that each item gets at most what it wants, at least one, and none is left while an item wants more", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100_000 }),
        fc.array(fc.oneof(fc.integer({ min: 1, max: 200_000 }), fc.constant(Number.POSITIVE_INFINITY)), {
          minLength: 1,
          maxLength: 100,
        }),
        (total, wanted) => {
          fc.pre(wanted.length <= total);
          const got = shares(total, wanted);
          const sum = got.reduce((a, b) => a + b, 0);
          expect(sum).toBeLessThanOrEqual(total);
          got.forEach((g, i) => {
            expect(g).toBeGreaterThanOrEqual(1);
            expect(g).toBeLessThanOrEqual(wanted[i]!);
          });
          // Rounding down may leave fewer points than items unshared; never more.
          if (got.some((g, i) => g < wanted[i]!)) expect(total - sum).toBeLessThan(wanted.length);
        },
      ),
    );
  });

  it("names a missing input series and says what to do", async () => {
    await t.emulator.control.reset();
    await seedSeries(t, [{ ref: { externalId: "here" }, points: [{ timestamp: BASE, value: 1 }] }]);
    const error = await new CdfDatapointSource(cdf)
      .read([
        { series: { externalId: "here" }, start: BASE, end: BASE + 10 },
        { series: { externalId: "not-here" }, start: BASE, end: BASE + 10 },
      ])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MissingSeriesError);
    expect((error as Error).message).toBe(
      'Input time series externalId "not-here" does not exist in CDF project source-test. ' +
        "Create it, or correct the KPI's input in kpis.yaml.",
    );
  });
});
