import { type WindowSpec, windowsBetween } from "@kpi-pipeline/kpi-core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { windowBatches } from "../src/windowBatches.js";

const specs: WindowSpec[] = [
  { kind: "fixed", everyMs: 600_000, offsetMs: 0 },
  { kind: "fixed", everyMs: 5_400_000, offsetMs: 900_000 },
  { kind: "calendar", unit: "day", offsetMs: 6 * 3_600_000, timeZone: "Europe/Oslo" },
  { kind: "calendar", unit: "week", offsetMs: 0, timeZone: "UTC" },
];

describe("windowBatches", () => {
  it("yields windowsBetween's windows in order, in batches of at most `size`, none empty", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...specs),
        fc.integer({ min: Date.UTC(2023, 0, 1), max: Date.UTC(2025, 0, 1) }),
        fc.integer({ min: 0, max: 20 * 86_400_000 }),
        fc.integer({ min: 1, max: 50 }),
        (spec, from, length, size) => {
          const batches = [...windowBatches(spec, from, from + length, size)];
          for (const batch of batches) {
            expect(batch.length).toBeGreaterThan(0);
            expect(batch.length).toBeLessThanOrEqual(size);
          }
          expect(batches.flat()).toEqual(windowsBetween(spec, from, from + length));
        },
      ),
      { numRuns: 100 },
    );
  });
});
