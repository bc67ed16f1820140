import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { planWriteChunks } from "../src/planWriteChunks.js";

describe("planWriteChunks", () => {
  it("puts every point in exactly one chunk, each series' slices in order, within both limits", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 300 }), { maxLength: 30 }),
        fc.integer({ min: 1, max: 120 }),
        fc.integer({ min: 1, max: 6 }),
        (lengths, maxPoints, maxItems) => {
          const chunks = planWriteChunks(lengths, { maxPoints, maxItems });
          const covered = lengths.map(() => 0);
          for (const chunk of chunks) {
            expect(chunk.slices.length).toBeGreaterThan(0);
            expect(chunk.slices.length).toBeLessThanOrEqual(maxItems);
            expect(chunk.points).toBeLessThanOrEqual(maxPoints);
            expect(chunk.points).toBe(chunk.slices.reduce((n, s) => n + s.to - s.from, 0));
            for (const slice of chunk.slices) {
              // Consecutive, in order: the next slice of a series starts where the last ended.
              expect(slice.from).toBe(covered[slice.write]);
              expect(slice.to).toBeGreaterThan(slice.from);
              covered[slice.write] = slice.to;
            }
          }
          expect(covered).toEqual(lengths);
          const total = lengths.reduce((a, b) => a + b, 0);
          const series = lengths.filter((n) => n > 0).length;
          // Never fewer than the limits force, and each chunk but the last is full in one dimension.
          expect(chunks.length).toBeGreaterThanOrEqual(
            Math.max(Math.ceil(total / maxPoints), Math.ceil(series / maxItems)),
          );
          for (const chunk of chunks.slice(0, -1)) {
            expect(chunk.points === maxPoints || chunk.slices.length === maxItems).toBe(true);
          }
        },
      ),
    );
  });

  it("needs exactly ceil(points / 100,000) requests for one long series", () => {
    expect(planWriteChunks([250_000], { maxPoints: 100_000, maxItems: 10_000 }).map((c) => c.points)).toEqual(
      [100_000, 100_000, 50_000],
    );
  });
});
