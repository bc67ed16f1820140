import { startEmulator } from "@kpi-pipeline/cdf-emulator";
import { createTestClient, type TestEmulator } from "@kpi-pipeline/cdf-emulator/testing";
import { type SeriesRef, STATUS_BAD, STATUS_UNCERTAIN } from "@kpi-pipeline/kpi-core";
import fc from "fast-check";
import { describe, expect, it, onTestFinished } from "vitest";
import type { CdfConnection } from "../src/cdfConnection.js";
import { CdfRequestError } from "../src/cdfRequestError.js";
import { cdfSettingsFromEnvironment } from "../src/cdfSettings.js";
import { connectCdf } from "../src/connectCdf.js";
import { readRawDatapoints, type SeriesChunk } from "../src/readRawDatapoints.js";
import { cdfOnEmulator } from "./cdfOnEmulator.js";
import { environmentOf } from "./environmentOf.js";
import { type SeedPoint, seedSeries } from "./seedSeries.js";

const BASE = 1_700_000_000_000;
let t: TestEmulator;
let cdf: CdfConnection;

cdfOnEmulator({ project: "reader-test" }, (suite) => {
  ({ t, cdf } = suite);
});

async function readAll(
  series: readonly SeriesRef[],
  start: number,
  end: number,
  options = {},
): Promise<{ batches: SeriesChunk[][]; requests: number }> {
  const before = cdf.requestCount;
  const batches: SeriesChunk[][] = [];
  for await (const batch of readRawDatapoints(cdf, { series, start, end }, options)) batches.push(batch);
  return { batches, requests: cdf.requestCount - before };
}

const pointArb = fc.record({
  offset: fc.integer({ min: 0, max: 999 }),
  // JSON has no -0 (CDF returns 0 for it); the reader's promise is about the values CDF holds.
  value: fc.double({ min: -1e6, max: 1e6, noNaN: true }).map((v) => (Object.is(v, -0) ? 0 : v)),
  status: fc.constantFrom(0, 0, 0, STATUS_UNCERTAIN, STATUS_BAD, STATUS_BAD + 5),
  omitValue: fc.boolean(),
});

describe("readRawDatapoints", () => {
  it("returns every point of every series in [start, end), every status, each series' chunks in time order", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            byInstance: fc.boolean(),
            isStep: fc.boolean(),
            points: fc.uniqueArray(pointArb, { selector: (p) => p.offset, maxLength: 40 }),
          }),
          { minLength: 1, maxLength: 5 },
        ),
        fc.integer({ min: 0, max: 1000 }),
        fc.integer({ min: 1, max: 1000 }),
        fc.integer({ min: 4, max: 60 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 3 }),
        async (specs, from, span, pointsPerRequest, itemsPerRequest, concurrency) => {
          await t.emulator.control.reset();
          const seeded = specs.map((s, i) => {
            const ref: SeriesRef = s.byInstance
              ? { instanceId: { space: "sp", externalId: `s${i}` } }
              : { externalId: `s${i}` };
            const points: SeedPoint[] = s.points.map((p) => {
              const bad = p.status >= STATUS_BAD;
              return {
                timestamp: BASE + p.offset,
                ...(bad && p.omitValue ? {} : { value: p.value }),
                ...(p.status === 0 ? {} : { status: p.status }),
              };
            });
            return { ref, isStep: s.isStep, points };
          });
          await seedSeries(t, seeded);
          const start = BASE + from;
          const end = start + span;
          const { batches, requests } = await readAll(
            seeded.map((s) => s.ref),
            start,
            end,
            { pointsPerRequest, itemsPerRequest, concurrency },
          );
          expect(requests).toBe(batches.length);
          for (const [index, s] of seeded.entries()) {
            const chunks = batches.flat().filter((c) => c.index === index);
            expect(chunks.map((c) => c.last)).toEqual(chunks.map((_, i) => i === chunks.length - 1));
            expect(chunks.every((c) => c.series === s.ref && c.isStep === s.isStep)).toBe(true);
            const got = chunks.flatMap((c) =>
              Array.from(c.points.timestamps, (ts, i) => ({
                timestamp: ts,
                value: c.points.values[i],
                status: c.points.statuses[i],
              })),
            );
            const expected = s.points
              .filter((p) => p.timestamp >= start && p.timestamp < end)
              .sort((a, b) => a.timestamp - b.timestamp)
              .map((p) => ({ timestamp: p.timestamp, value: p.value ?? Number.NaN, status: p.status ?? 0 }));
            expect(got).toEqual(expected);
          }
        },
      ),
      { numRuns: 20 },
    );
  });

  it("makes the minimum number of requests: many small series share a request, a long series fills each", async () => {
    // Without the contract recorder: its validation takes time quadratic in a response's points
    // (about 90 s for one 40,000-point item); the shapes are checked by the other tests here.
    const emulator = await startEmulator({ port: 0, project: "reader-volume" });
    const cdf = await connectCdf(cdfSettingsFromEnvironment(environmentOf(emulator)));
    const t = { emulator, client: createTestClient(emulator) };
    onTestFinished(() => emulator.close());
    const readAll = async (series: readonly SeriesRef[], start: number, end: number) => {
      const before = cdf.requestCount;
      const batches: SeriesChunk[][] = [];
      for await (const batch of readRawDatapoints(cdf, { series, start, end })) batches.push(batch);
      return { batches, requests: cdf.requestCount - before };
    };
    const many = Array.from({ length: 250 }, (_, i) => ({
      ref: { externalId: `m${i}` },
      points: Array.from({ length: 1000 }, (_, j) => ({ timestamp: BASE + j * 1000, value: j })),
    }));
    const long = {
      ref: { externalId: "long" },
      points: Array.from({ length: 250_000 }, (_, j) => ({ timestamp: BASE + j * 1000, value: j })),
    };
    await seedSeries(t, [...many, long]);
    const end = BASE + 300_000_000;
    // 250,000 points over 250 series: max(ceil(250,000 / 100,000), ceil(250 / 100)) = 3.
    const small = await readAll(
      many.map((s) => s.ref),
      BASE,
      end,
    );
    expect(small.requests).toBe(3);
    expect(small.batches.flat().reduce((n, c) => n + c.points.length, 0)).toBe(250_000);
    // 250,000 points of one series: ceil(250,000 / 100,000) = 3.
    const one = await readAll([long.ref], BASE, end);
    expect(one.requests).toBe(3);
    expect(one.batches.map((b) => b[0]!.points.length)).toEqual([100_000, 100_000, 50_000]);
  });

  it("rides out 429s (the SDK's retries) and dropped connections (ours), counting every request", async () => {
    await t.emulator.control.reset();
    await seedSeries(t, [{ ref: { externalId: "f" }, points: [{ timestamp: BASE, value: 1 }] }]);
    t.emulator.control.addFault({ path: "*/timeseries/data/list", status: 429, count: 2 });
    let read = await readAll([{ externalId: "f" }], BASE, BASE + 10);
    expect(read.requests).toBe(3);
    expect(read.batches[0]![0]!.points.length).toBe(1);
    t.emulator.control.addFault({ path: "*/timeseries/data/list", drop: true, count: 1 });
    read = await readAll([{ externalId: "f" }], BASE, BASE + 10, {
      retry: { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 10 },
    });
    expect(read.requests).toBe(2);
    expect(read.batches[0]![0]!.points.length).toBe(1);
  });

  it("asks for the next page only when the consumer wants it (memory bounded by concurrency x one page)", async () => {
    await t.emulator.control.reset();
    const series = Array.from({ length: 4 }, (_, i) => ({
      ref: { externalId: `lazy${i}` },
      points: Array.from({ length: 20 }, (_, j) => ({ timestamp: BASE + j, value: j })),
    }));
    await seedSeries(t, series);
    for (const concurrency of [1, 2]) {
      const before = cdf.requestCount;
      const reader = readRawDatapoints(
        cdf,
        { series: series.map((s) => s.ref), start: BASE, end: BASE + 100 },
        { pointsPerRequest: 10, itemsPerRequest: 1, concurrency },
      );
      await reader.next();
      await new Promise((resolve) => setTimeout(resolve, 50));
      // One page taken; with concurrency c, at most c requests were sent while the consumer held it.
      expect(cdf.requestCount - before).toBe(concurrency);
      await reader.return(undefined);
    }
  });

  it("reads everything when there are fewer points per request than items (no item is asked for 0 points)", async () => {
    await t.emulator.control.reset();
    const series = Array.from({ length: 5 }, (_, i) => ({
      ref: { externalId: `few${i}` },
      points: Array.from({ length: 3 }, (_, j) => ({ timestamp: BASE + j, value: i * 10 + j })),
    }));
    await seedSeries(t, series);
    const { batches } = await readAll(
      series.map((s) => s.ref),
      BASE,
      BASE + 10,
      { pointsPerRequest: 2, itemsPerRequest: 100 },
    );
    const values = new Map<number, number[]>();
    for (const chunk of batches.flat()) {
      values.set(chunk.index, [...(values.get(chunk.index) ?? []), ...chunk.points.values]);
    }
    expect([...values.entries()].sort((a, b) => a[0] - b[0])).toEqual(
      series.map((_, i) => [i, [i * 10, i * 10 + 1, i * 10 + 2]]),
    );
  });

  it("yields nothing for an empty range, and refuses times CDF cannot store", async () => {
    expect((await readAll([{ externalId: "any" }], BASE, BASE)).requests).toBe(0);
    await expect(readAll([{ externalId: "any" }], BASE, 5e12)).rejects.toThrow(
      "readRawDatapoints: end 5000000000000 is not an integer epoch-ms time CDF can store (1900-01-01 to 2099-12-31).",
    );
    await expect(readAll([{ externalId: "any" }], 0.5, BASE)).rejects.toThrow(RangeError);
  });

  it("fails with CDF's missing list when a series does not exist", async () => {
    await t.emulator.control.reset();
    const error = await readAll([{ externalId: "nowhere" }], BASE, BASE + 10).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CdfRequestError);
    expect((error as CdfRequestError).missing).toEqual([{ externalId: "nowhere" }]);
    expect((error as CdfRequestError).message).toMatch(/^POST \/timeseries\/data\/list failed with HTTP 400/);
  });

  it("refuses a string series by name", async () => {
    await t.emulator.control.reset();
    await t.client.timeseries.create([{ externalId: "text", isString: true }]);
    await expect(readAll([{ externalId: "text" }], BASE, BASE + 10)).rejects.toThrow(
      'Series {"externalId":"text"} is a string time series; KPI inputs must be numeric.',
    );
  });
});
