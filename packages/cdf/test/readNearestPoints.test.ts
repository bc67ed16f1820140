import type { TestEmulator } from "@kpi-pipeline/cdf-emulator/testing";
import { type SeriesRef, STATUS_BAD, STATUS_UNCERTAIN } from "@kpi-pipeline/kpi-core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { CdfConnection } from "../src/cdfConnection.js";
import { readPointsAfter } from "../src/readPointsAfter.js";
import { readPointsBefore } from "../src/readPointsBefore.js";
import type { SeriesColumns } from "../src/seriesColumns.js";
import { cdfOnEmulator } from "./cdfOnEmulator.js";
import { type SeedPoint, seedSeries } from "./seedSeries.js";

const BASE = 1_700_000_000_000;
let t: TestEmulator;
let cdf: CdfConnection;

cdfOnEmulator({ project: "nearest-test" }, (suite) => {
  ({ t, cdf } = suite);
});

function rows(c: SeriesColumns) {
  return Array.from(c.timestamps, (timestamp, i) => ({
    timestamp,
    value: c.values[i],
    status: c.statuses[i],
  }));
}

function expected(points: readonly SeedPoint[]) {
  return points.map((p) => ({ timestamp: p.timestamp, value: p.value ?? Number.NaN, status: p.status ?? 0 }));
}

const seriesArb = fc.array(
  fc.record({
    byInstance: fc.boolean(),
    points: fc.uniqueArray(
      fc.record({
        offset: fc.integer({ min: 0, max: 200 }),
        value: fc.integer({ min: -1000, max: 1000 }),
        status: fc.constantFrom(0, 0, STATUS_UNCERTAIN, STATUS_BAD),
      }),
      { selector: (p) => p.offset, maxLength: 15 },
    ),
  }),
  { minLength: 1, maxLength: 4 },
);

async function seed(
  specs: Array<{
    byInstance: boolean;
    points: Array<{ offset: number; value: number; status: number }>;
  }>,
) {
  await t.emulator.control.reset();
  const seeded = specs.map((s, i) => {
    const ref: SeriesRef = s.byInstance
      ? { instanceId: { space: "sp", externalId: `n${i}` } }
      : { externalId: `n${i}` };
    const points: SeedPoint[] = s.points
      .map((p) => ({
        timestamp: BASE + p.offset,
        // Bad points without a value: the lookups must return them, not skip them.
        ...(p.status === STATUS_BAD ? {} : { value: p.value }),
        ...(p.status === 0 ? {} : { status: p.status }),
      }))
      .sort((a, b) => a.timestamp - b.timestamp);
    return { ref, points };
  });
  await seedSeries(t, seeded);
  return seeded;
}

describe("readPointsBefore", () => {
  it("gives each series its last n points strictly before t (>= notBefore), Bad ones included, in time order", async () => {
    await fc.assert(
      fc.asyncProperty(
        seriesArb,
        fc.integer({ min: 0, max: 220 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 0, max: 100 }),
        async (specs, at, count, floor) => {
          const seeded = await seed(specs);
          const before = BASE + at;
          const notBefore = BASE + floor;
          const requestsBefore = cdf.requestCount;
          const got = await readPointsBefore(
            cdf,
            seeded.map((s) => s.ref),
            before,
            count,
            { notBefore },
          );
          for (const [i, s] of seeded.entries()) {
            const inRange = s.points.filter((p) => p.timestamp < before && p.timestamp >= notBefore);
            expect(rows(got[i]!)).toEqual(expected(inRange.slice(Math.max(0, inRange.length - count))));
          }
          // Bounded: one latest request per round, at most `count` rounds (each request carries <= 100 series).
          expect(cdf.requestCount - requestsBefore).toBeLessThanOrEqual(count);
        },
      ),
      { numRuns: 20 },
    );
  });

  it("refuses a count that would cost unbounded requests", async () => {
    await expect(readPointsBefore(cdf, [{ externalId: "x" }], BASE, 101)).rejects.toThrow(
      "readPointsBefore: count must be an integer from 1 to 100 (got 101).",
    );
  });
});

describe("readPointsAfter", () => {
  it("gives each series its first n points at or after t (< before), Bad ones included, in one request", async () => {
    await fc.assert(
      fc.asyncProperty(
        seriesArb,
        fc.integer({ min: 0, max: 220 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 250 }),
        async (specs, at, count, span) => {
          const seeded = await seed(specs);
          const from = BASE + at;
          const before = from + span;
          const requestsBefore = cdf.requestCount;
          const got = await readPointsAfter(
            cdf,
            seeded.map((s) => s.ref),
            from,
            count,
            { before },
          );
          for (const [i, s] of seeded.entries()) {
            const inRange = s.points.filter((p) => p.timestamp >= from && p.timestamp < before);
            expect(rows(got[i]!)).toEqual(expected(inRange.slice(0, count)));
          }
          expect(cdf.requestCount - requestsBefore).toBe(1);
        },
      ),
      { numRuns: 20 },
    );
  });
});
