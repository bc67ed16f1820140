import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { aggregate } from "../src/aggregates.js";
import { computeWindows } from "../src/engine.js";
import { parseExpression } from "../src/expression.js";
import { prepareInput } from "../src/interpolate.js";
import type { InputSeries, InputSpec, KpiDefinition, Window } from "../src/model.js";
import { PointColumnsBuilder } from "../src/points.js";
import { InMemoryDatapointStore } from "../src/ports.js";

const M = 60_000;
const H = 3_600_000;
const EPOCH = 1_700_000_000_000 - (1_700_000_000_000 % H);

function kpi(value: string, input: Partial<InputSpec> = {}): KpiDefinition {
  const spec: InputSpec = {
    name: "x",
    series: { externalId: "x" },
    clean: [],
    maxGapMs: undefined,
    step: false,
    counter: false,
    ...input,
  };
  return {
    series: { externalId: "kpi" },
    key: "kpi",
    name: undefined,
    description: undefined,
    unit: undefined,
    window: { kind: "fixed", everyMs: H, offsetMs: 0 },
    settleMs: 0,
    startMs: EPOCH,
    inputs: [spec],
    value,
    expression: parseExpression(value, ["x"]),
    configHash: "p",
  };
}

const hours = (from: number, count: number): Window[] =>
  Array.from({ length: count }, (_, k) => ({
    start: EPOCH + (from + k) * H,
    end: EPOCH + (from + k + 1) * H,
  }));

/**
 * Rows at whole minutes over [-2 h, 8 h) around EPOCH, repeats included (the later wins). All
 * usable: a part's read brings only the one raw point before it, and if cleaning dropped that one
 * the part could not see the kept point before (see the README, "Reading inputs").
 */
const rows = fc.array(
  fc.record({
    minute: fc.integer({ min: -120, max: 479 }),
    value: fc.double({ min: -1000, max: 1000, noNaN: true, noDefaultInfinity: true }),
  }),
  { maxLength: 120 },
);

const EXPRESSIONS = [
  "twa(x)",
  'integral(x, "h")',
  "coverage(x)",
  "min(x) + max(x) * 2 + count(x)",
  "mean(x) + stddev(x) + percentile(x, 90) + first(x) - last(x) + sum(x)",
  "timeAbove(x, 10) + timeBelow(x, -10) + timeEqual(x, 0)",
  "delta(x)",
];

describe("properties", () => {
  it("evaluating a range in two parts split at a window boundary equals one evaluation", async () => {
    await fc.assert(
      fc.asyncProperty(
        rows,
        fc.integer({ min: 1, max: 5 }),
        fc.constantFrom(...EXPRESSIONS),
        fc.record({
          step: fc.boolean(),
          counter: fc.boolean(),
          maxGapMs: fc.constantFrom(undefined, 20 * M, 3 * H),
        }),
        async (points, split, value, input) => {
          const store = new InMemoryDatapointStore();
          store.insert(
            { externalId: "x" },
            points.map((p) => ({ timestamp: EPOCH + p.minute * M, value: p.value })),
          );
          const k = kpi(value, input);
          const run = async (windows: Window[]) => {
            const range = { start: windows[0]!.start, end: windows.at(-1)!.end };
            const read = await store.read({ externalId: "x" }, range);
            return computeWindows(k, windows, new Map([["x", read]]));
          };
          const whole = await run(hours(0, 6));
          const parts = [...(await run(hours(0, split))), ...(await run(hours(split, 6 - split)))];
          expect(parts).toEqual(whole);
        },
      ),
    );
  });

  it("a constant series has twa = the constant and integral = constant x covered time", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: -120, max: 300 }), { minLength: 1, maxLength: 60 }),
        fc.double({ min: -1e6, max: 1e6, noNaN: true }),
        fc.boolean(),
        (minutes, c, step) => {
          const sorted = [...minutes].sort((a, b) => a - b);
          const prepared = prepareInput(
            {
              length: sorted.length,
              timestamps: new Float64Array(sorted.map((m) => EPOCH + m * M)),
              values: new Float64Array(sorted.length).fill(c),
            },
            { step, maxGapMs: 45 * M },
          );
          const w = { start: EPOCH, end: EPOCH + 3 * H };
          const covered = aggregate(prepared, "coverage", [], w)! * 3 * 3600;
          const twa = aggregate(prepared, "twa", [], w);
          const integral = aggregate(prepared, "integral", ["s"], w);
          if (covered === 0) {
            expect(twa).toBeUndefined();
            expect(integral).toBeUndefined();
          } else {
            expect(twa).toBeCloseTo(c, 6);
            expect(integral).toBeCloseTo(c * covered, 3);
          }
        },
      ),
    );
  });

  it("a linear ramp has twa = its value at the window's midpoint", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: 59 }), { maxLength: 30 }),
        fc.double({ min: -100, max: 100, noNaN: true }),
        fc.double({ min: -1, max: 1, noNaN: true }),
        (innerMinutes, a, slopePerMinute) => {
          // Points around and in the window, never an hour apart, keep the whole hour covered.
          const minutes = [...new Set([-10, 30, 70, ...innerMinutes])].sort((x, y) => x - y);
          const prepared = prepareInput(
            {
              length: minutes.length,
              timestamps: new Float64Array(minutes.map((m) => EPOCH + m * M)),
              values: new Float64Array(minutes.map((m) => a + slopePerMinute * m)),
            },
            { step: false, maxGapMs: undefined },
          );
          const twa = aggregate(prepared, "twa", [], { start: EPOCH, end: EPOCH + H });
          expect(twa).toBeCloseTo(a + slopePerMinute * 30, 8);
        },
      ),
    );
  });

  it("shuffling input rows with unique timestamps changes nothing", () => {
    fc.assert(
      fc.property(
        fc
          .uniqueArray(fc.integer({ min: -120, max: 479 }), { minLength: 1, maxLength: 80 })
          .chain((minutes) =>
            fc.tuple(
              fc.constant(minutes),
              fc.array(fc.double({ min: -50, max: 50, noNaN: true }), {
                minLength: minutes.length,
                maxLength: minutes.length,
              }),
              fc.shuffledSubarray(
                minutes.map((_, i) => i),
                { minLength: minutes.length },
              ),
            ),
          ),
        fc.constantFrom(...EXPRESSIONS),
        ([minutes, values, order], value) => {
          const build = (indices: number[]): InputSeries => {
            const b = new PointColumnsBuilder();
            for (const i of indices) b.append(EPOCH + minutes[i]! * M, values[i]!, 0);
            return { points: b.build(), isStep: false };
          };
          const inOrder = minutes.map((_, i) => i).sort((i, j) => minutes[i]! - minutes[j]!);
          const k = kpi(value, { counter: true });
          const sorted = computeWindows(k, hours(0, 6), new Map([["x", build(inOrder)]]));
          const shuffled = computeWindows(k, hours(0, 6), new Map([["x", build(order)]]));
          expect(shuffled).toEqual(sorted);
        },
      ),
    );
  });
});
