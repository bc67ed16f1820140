import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { aggregate } from "../src/aggregates.js";
import { cleanInput } from "../src/clean.js";
import { DEFAULT_LINEAR_MAX_GAP_MS, lowerBound, prepareInput } from "../src/interpolate.js";
import type { InputSpec } from "../src/model.js";
import { type PointInput, pointColumnsFrom } from "../src/points.js";

const S = 1000;
const H = 3_600_000;
const D = 86_400_000;

function prepared(points: Array<[number, number]>, opts: { step?: boolean; maxGapMs?: number } = {}) {
  const spec: InputSpec = {
    name: "x",
    series: { externalId: "x" },
    clean: [],
    maxGapMs: opts.maxGapMs,
    step: opts.step ?? false,
    counter: false,
    uncertain: false,
  };
  const rows: PointInput[] = points.map(([timestamp, value]) => ({ timestamp, value }));
  return prepareInput(cleanInput(pointColumnsFrom(rows), spec), { step: spec.step, maxGapMs: opts.maxGapMs });
}

describe("prepareInput", () => {
  it("defaults maxGap to 1 hour for linear and unlimited for step", () => {
    expect(prepared([]).maxGapMs).toBe(DEFAULT_LINEAR_MAX_GAP_MS);
    expect(DEFAULT_LINEAR_MAX_GAP_MS).toBe(H);
    expect(prepared([], { step: true }).maxGapMs).toBe(Number.POSITIVE_INFINITY);
  });

  it("rejects a maxGap that is not positive, saying what to use", () => {
    expect(() => prepared([], { maxGapMs: 0 })).toThrow(/maxGap must be a positive duration.*1h/);
  });
});

describe("linear interpolation", () => {
  it("integrates the trapezoid between two points inside the window", () => {
    // (5 s, 10) -> (15 s, 30): area (10 + 30) / 2 * 10 s = 200, covered 10 s of 20 s.
    const p = prepared([
      [5 * S, 10],
      [15 * S, 30],
    ]);
    const w = { start: 0, end: 20 * S };
    expect(aggregate(p, "integral", ["s"], w)).toBe(200);
    expect(aggregate(p, "twa", [], w)).toBe(20);
    expect(aggregate(p, "coverage", [], w)).toBe(0.5);
  });

  it("uses the last point before and the first after the window for the edge segments", () => {
    // f(0) = 10 on (-10 s, 0) -> (10 s, 20); f(20 s) = 10 on (10 s, 20) -> (30 s, 0).
    // [0, 10 s]: (10 + 20) / 2 * 10 = 150; [10 s, 20 s]: (20 + 10) / 2 * 10 = 150.
    const p = prepared([
      [-10 * S, 0],
      [10 * S, 20],
      [30 * S, 0],
    ]);
    const w = { start: 0, end: 20 * S };
    expect(aggregate(p, "integral", ["s"], w)).toBe(300);
    expect(aggregate(p, "twa", [], w)).toBe(15);
    expect(aggregate(p, "coverage", [], w)).toBe(1);
  });

  it("interpolates across a window that has no point inside", () => {
    // (0, 0) -> (40 min, 40): over [10 min, 20 min) f goes 10 -> 20, twa 15.
    const p = prepared([
      [0, 0],
      [40 * 60 * S, 40],
    ]);
    expect(aggregate(p, "twa", [], { start: 10 * 60 * S, end: 20 * 60 * S })).toBe(15);
  });

  it("does not cover a segment longer than maxGap (default 1 h)", () => {
    const p = prepared([
      [0, 0],
      [2 * H, 10],
    ]);
    const w = { start: 0, end: 2 * H };
    expect(aggregate(p, "coverage", [], w)).toBe(0);
    expect(aggregate(p, "twa", [], w)).toBeUndefined();
  });

  it("covers a segment of exactly maxGap", () => {
    const p = prepared([
      [0, 2],
      [H, 4],
    ]);
    expect(aggregate(p, "coverage", [], { start: 0, end: H })).toBe(1);
    expect(aggregate(p, "twa", [], { start: 0, end: H })).toBe(3);
  });

  it("covers a longer segment when maxGap allows it", () => {
    const p = prepared(
      [
        [0, 0],
        [2 * H, 10],
      ],
      { maxGapMs: 3 * H },
    );
    expect(aggregate(p, "twa", [], { start: 0, end: 2 * H })).toBe(5);
  });

  it("never extrapolates before the first or after the last point", () => {
    // Only [10 s, 20 s] of [0, 30 s) is covered.
    const p = prepared([
      [10 * S, 1],
      [20 * S, 3],
    ]);
    const w = { start: 0, end: 30 * S };
    expect(aggregate(p, "coverage", [], w)).toBeCloseTo(1 / 3, 15);
    expect(aggregate(p, "twa", [], w)).toBe(2);
  });

  it("gives a single point no covered time", () => {
    const p = prepared([[5 * S, 7]]);
    expect(aggregate(p, "coverage", [], { start: 0, end: 10 * S })).toBe(0);
    expect(aggregate(p, "twa", [], { start: 0, end: 10 * S })).toBeUndefined();
  });
});

describe("step interpolation", () => {
  it("holds each value until the next point", () => {
    // 4 over [0, 10 s), 8 over [10 s, 20 s): integral 40 + 80 = 120, twa 6.
    const p = prepared(
      [
        [0, 4],
        [10 * S, 8],
        [20 * S, 100],
      ],
      { step: true },
    );
    const w = { start: 0, end: 20 * S };
    expect(aggregate(p, "integral", ["s"], w)).toBe(120);
    expect(aggregate(p, "twa", [], w)).toBe(6);
  });

  it("holds the last value through every later window by default", () => {
    const p = prepared([[-100 * D, 3]], { step: true });
    const w = { start: 0, end: H };
    expect(aggregate(p, "twa", [], w)).toBe(3);
    expect(aggregate(p, "coverage", [], w)).toBe(1);
  });

  it("holds a value for at most maxGap", () => {
    // 4 over [0, 5 s), 8 over [10 s, 15 s): covered 10 s of 20 s, integral 20 + 40 = 60.
    const p = prepared(
      [
        [0, 4],
        [10 * S, 8],
      ],
      { step: true, maxGapMs: 5 * S },
    );
    const w = { start: 0, end: 20 * S };
    expect(aggregate(p, "coverage", [], w)).toBe(0.5);
    expect(aggregate(p, "integral", ["s"], w)).toBe(60);
    expect(aggregate(p, "twa", [], w)).toBe(6);
  });

  it("uses the value of the last point before the window from the window's start", () => {
    const p = prepared(
      [
        [-5 * S, 2],
        [5 * S, 6],
      ],
      { step: true },
    );
    // 2 over [0, 5 s), 6 over [5 s, 10 s): twa 4.
    expect(aggregate(p, "twa", [], { start: 0, end: 10 * S })).toBe(4);
  });
});

describe("lowerBound", () => {
  it("finds the first index with timestamp >= t", () => {
    const ts = new Float64Array([10, 20, 30]);
    expect(lowerBound(ts, 3, 5)).toBe(0);
    expect(lowerBound(ts, 3, 10)).toBe(0);
    expect(lowerBound(ts, 3, 11)).toBe(1);
    expect(lowerBound(ts, 3, 30)).toBe(2);
    expect(lowerBound(ts, 3, 31)).toBe(3);
  });

  it("gives the same answer from any hint", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: -1000, max: 1000 }), { maxLength: 200 }),
        fc.integer({ min: -1100, max: 1100 }),
        fc.integer({ min: -5, max: 205 }),
        (raw, t, hint) => {
          const ts = new Float64Array(raw.sort((a, b) => a - b));
          const expected = raw.findIndex((x) => x >= t);
          expect(lowerBound(ts, ts.length, t, hint)).toBe(expected === -1 ? ts.length : expected);
        },
      ),
    );
  });
});
