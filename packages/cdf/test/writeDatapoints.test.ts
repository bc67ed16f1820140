import { createTestEmulator, type TestEmulator } from "@kpi-pipeline/cdf-emulator/testing";
import { type SeriesRef, STATUS_BAD, STATUS_UNCERTAIN } from "@kpi-pipeline/kpi-core";
import fc from "fast-check";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { CdfConnection } from "../src/cdfConnection.js";
import { cdfSettingsFromEnvironment } from "../src/cdfSettings.js";
import { connectCdf } from "../src/connectCdf.js";
import { InvalidDatapointError } from "../src/invalidDatapointError.js";
import { PartialWriteError } from "../src/partialWriteError.js";
import { readRawDatapoints } from "../src/readRawDatapoints.js";
import type { SeriesColumns } from "../src/seriesColumns.js";
import type { RetryPolicy } from "../src/withRetries.js";
import { writeDatapoints } from "../src/writeDatapoints.js";
import { environmentOf } from "./environmentOf.js";
import { seedSeries } from "./seedSeries.js";

const BASE = 1_700_000_000_000;
const FAST_RETRY: RetryPolicy = { maxAttempts: 4, baseDelayMs: 5, maxDelayMs: 20 };
let t: TestEmulator;
let cdf: CdfConnection;

beforeAll(async () => {
  t = await createTestEmulator({ project: "writer-test" });
  cdf = await connectCdf(cdfSettingsFromEnvironment(environmentOf(t.emulator)));
});
afterEach(() => {
  t.emulator.control.clearFaults();
  t.assertContract();
});
afterAll(() => t.close());

function columns(points: ReadonlyArray<{ timestamp: number; value: number; status: number }>): SeriesColumns {
  return {
    length: points.length,
    timestamps: Float64Array.from(points, (p) => p.timestamp),
    values: Float64Array.from(points, (p) => p.value),
    statuses: Uint32Array.from(points, (p) => p.status),
  };
}

async function readBack(series: readonly SeriesRef[]) {
  const out = series.map(() => [] as Array<{ timestamp: number; value: number; status: number }>);
  for await (const batch of readRawDatapoints(cdf, { series, start: BASE, end: BASE + 10_000_000 })) {
    for (const chunk of batch) {
      for (let i = 0; i < chunk.points.length; i++) {
        out[chunk.index]!.push({
          timestamp: chunk.points.timestamps[i]!,
          value: chunk.points.values[i]!,
          status: chunk.points.statuses[i]!,
        });
      }
    }
  }
  return out;
}

const pointsArb = fc
  .uniqueArray(
    fc.record({
      offset: fc.integer({ min: 0, max: 5000 }),
      value: fc.double({ min: -1e99, max: 1e99, noNaN: true, noDefaultInfinity: true }),
      kind: fc.constantFrom("good", "good", "uncertain", "bad", "bad-no-value"),
    }),
    { selector: (p) => p.offset, maxLength: 40 },
  )
  .map((ps) =>
    ps
      .sort((a, b) => a.offset - b.offset)
      .map((p) => ({
        timestamp: BASE + p.offset,
        value: p.kind === "bad-no-value" ? Number.NaN : p.value,
        status: p.kind === "good" ? 0 : p.kind === "uncertain" ? STATUS_UNCERTAIN : STATUS_BAD,
      })),
  );

describe("writeDatapoints", () => {
  it("writes exactly the given points, statuses and value-less Bad points, in as many requests as planned", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ byInstance: fc.boolean(), points: pointsArb }), { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 3, max: 50 }),
        fc.integer({ min: 1, max: 3 }),
        async (specs, maxPoints, maxItems) => {
          await t.emulator.control.reset();
          const refs: SeriesRef[] = specs.map((s, i) =>
            s.byInstance ? { instanceId: { space: "sp", externalId: `w${i}` } } : { externalId: `w${i}` },
          );
          await seedSeries(
            t,
            refs.map((ref) => ({ ref, points: [] })),
          );
          const before = cdf.requestCount;
          const report = await writeDatapoints(
            cdf,
            specs.map((s, i) => ({ series: refs[i]!, points: columns(s.points) })),
            { maxPoints, maxItems },
          );
          expect(cdf.requestCount - before).toBe(report.requests);
          expect(report.points).toBe(specs.reduce((n, s) => n + s.points.length, 0));
          // JSON has no -0: CDF stores and returns 0 for it.
          const stored = specs.map((s) =>
            s.points.map((p) => (Object.is(p.value, -0) ? { ...p, value: 0 } : p)),
          );
          expect(await readBack(refs)).toEqual(stored);
        },
      ),
      { numRuns: 20 },
    );
  });

  it("refuses a value outside (-1e100, 1e100) before sending anything", async () => {
    const before = cdf.requestCount;
    const points = columns([
      { timestamp: BASE, value: 1, status: 0 },
      { timestamp: BASE + 1, value: 1e100, status: 0 },
    ]);
    await expect(writeDatapoints(cdf, [{ series: { externalId: "out" }, points }])).rejects.toThrow(
      new InvalidDatapointError(
        'point 1 of externalId "out" (timestamp 1700000000001): value 1e+100 is outside (-1e100, 1e100), which CDF cannot store; ' +
          "nothing was written. Fix the KPI or its inputs so it yields values CDF can store.",
      ),
    );
    expect(cdf.requestCount).toBe(before);
  });

  it("refuses a value-less point that is not Bad, infinities and out-of-order timestamps", async () => {
    const cases: Array<[Array<{ timestamp: number; value: number; status: number }>, RegExp]> = [
      [
        [{ timestamp: BASE, value: Number.NaN, status: STATUS_UNCERTAIN }],
        /without a value must have Bad status/,
      ],
      [[{ timestamp: BASE, value: Number.POSITIVE_INFINITY, status: 0 }], /value Infinity is outside/],
      [
        [
          { timestamp: BASE + 1, value: 1, status: 0 },
          { timestamp: BASE, value: 1, status: 0 },
        ],
        /strictly increasing/,
      ],
      [[{ timestamp: 5e12, value: 1, status: 0 }], /not integer epoch ms from 1900 to 2099/],
    ];
    for (const [points, message] of cases) {
      await expect(
        writeDatapoints(cdf, [{ series: { externalId: "x" }, points: columns(points) }]),
      ).rejects.toThrow(message);
    }
  });

  it("retries a dropped connection itself (the SDK never does) and a 503 (the SDK does), then lands", async () => {
    await t.emulator.control.reset();
    await seedSeries(t, [{ ref: { externalId: "r" }, points: [] }]);
    const points = columns([{ timestamp: BASE, value: 7, status: 0 }]);
    t.emulator.control.addFault({ path: "*/timeseries/data", method: "POST", drop: true, count: 2 });
    let before = cdf.requestCount;
    await writeDatapoints(cdf, [{ series: { externalId: "r" }, points }], { retry: FAST_RETRY });
    expect(cdf.requestCount - before).toBe(3);
    t.emulator.control.addFault({ path: "*/timeseries/data", method: "POST", status: 503, count: 2 });
    before = cdf.requestCount;
    await writeDatapoints(cdf, [{ series: { externalId: "r" }, points }], { retry: FAST_RETRY });
    expect(cdf.requestCount - before).toBe(3);
    expect(await readBack([{ externalId: "r" }])).toEqual([[{ timestamp: BASE, value: 7, status: 0 }]]);
  });

  it("gives up after maxAttempts on a connection that keeps dropping, saying nothing landed", async () => {
    await t.emulator.control.reset();
    await seedSeries(t, [{ ref: { externalId: "d" }, points: [] }]);
    t.emulator.control.addFault({ path: "*/timeseries/data", method: "POST", drop: true });
    const before = cdf.requestCount;
    const error = await writeDatapoints(
      cdf,
      [{ series: { externalId: "d" }, points: columns([{ timestamp: BASE, value: 1, status: 0 }]) }],
      { retry: FAST_RETRY },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PartialWriteError);
    expect(cdf.requestCount - before).toBe(FAST_RETRY.maxAttempts);
    expect((error as PartialWriteError).landed).toEqual([]);
    expect((error as PartialWriteError).message).toMatch(
      /^Datapoint write stopped at request 1 of 1: POST \/timeseries\/data got no answer from CDF .* 0 request\(s\) landed; not confirmed: externalId "d" 2023-11-14T22:13:20.000Z to 2023-11-14T22:13:20.000Z\. Writing the same points again is safe\.$/,
    );
  });

  it("says which chunks landed when a later one fails, and nothing after them is counted as written", async () => {
    await t.emulator.control.reset();
    await seedSeries(t, [{ ref: { externalId: "a" }, points: [] }]);
    const a = columns([0, 1, 2, 3, 4].map((i) => ({ timestamp: BASE + i, value: i, status: 0 })));
    const missing = columns([{ timestamp: BASE, value: 1, status: 0 }]);
    const error = await writeDatapoints(
      cdf,
      [
        { series: { externalId: "a" }, points: a },
        { series: { externalId: "no-such-series" }, points: missing },
      ],
      { maxPoints: 2, retry: FAST_RETRY },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PartialWriteError);
    const partial = error as PartialWriteError;
    // Requests: a[0..2), a[2..4), a[4] + no-such-series (fails: unknown series, not retried).
    expect(partial.landed.map((r) => r.map((s) => [s.first - BASE, s.last - BASE]))).toEqual([
      [[0, 1]],
      [[2, 3]],
    ]);
    expect(partial.notConfirmed.map((r) => r.map((s) => s.points))).toEqual([[1, 1]]);
    expect(partial.landedThrough({ externalId: "a" })).toBe(BASE + 3);
    expect(partial.landedThrough({ externalId: "no-such-series" })).toBeUndefined();
    expect(partial.message).toMatch(
      /^Datapoint write stopped at request 3 of 3: POST \/timeseries\/data failed with HTTP 400/,
    );
    expect((await readBack([{ externalId: "a" }]))[0]!.map((p) => p.value)).toEqual([0, 1, 2, 3]);
  });
});
