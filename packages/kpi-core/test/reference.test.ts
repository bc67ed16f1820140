import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { cleanInput } from "../src/clean.js";
import { computeKpis, computeWindows } from "../src/engine.js";
import { parseExpression } from "../src/expression.js";
import type { KpiDefinition } from "../src/kpiDefinition.js";
import type { InputSeries, InputSpec, KpiDatapoint, Window } from "../src/model.js";
import { PointColumnsBuilder, pointColumnsFrom } from "../src/points.js";
import {
  type Kept,
  type RawPoint,
  type ReferenceAggregate,
  type ReferenceCleanStep,
  type ReferenceInput,
  referenceAggregate,
  referenceClean,
} from "./reference.js";

// kpi-core's public API (computeKpis / computeWindows over PointColumns) against the slow,
// exact reference in reference.ts, over random data.

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;
const EPOCH = 1_700_000_000_000 - (1_700_000_000_000 % D);

const GOOD = 0;
const UNCERTAIN = 0x40000000;
const BAD = 0x80000000;

// ---------------------------------------------------------------------------------------------
// KPIs: one per aggregate, all on the same input and grid.

function kpiOf(value: string, spec: InputSpec, everyMs: number, offsetMs: number): KpiDefinition {
  return {
    series: { externalId: `kpi:${value}` },
    key: `kpi:${value}`,
    name: undefined,
    description: undefined,
    unit: undefined,
    window: { kind: "fixed", everyMs, offsetMs },
    settleMs: 0,
    startMs: EPOCH,
    inputs: [spec],
    value,
    expression: parseExpression(value, [spec.name]),
    configHash: "reference",
  };
}

/** The expression text of an aggregate, and the aggregate the reference computes. */
function expressionOf(agg: ReferenceAggregate): string {
  switch (agg.fn) {
    case "integral":
      return `integral(x, "${agg.unit}")`;
    case "percentile":
      return `percentile(x, ${agg.p})`;
    case "timeAbove":
    case "timeBelow":
    case "timeEqual":
      return `${agg.fn}(x, ${agg.c})`;
    default:
      return `${agg.fn}(x)`;
  }
}

/** Reads the constant argument back from the parsed expression, so both sides use the same double. */
function parsedAggregate(agg: ReferenceAggregate, kpi: KpiDefinition): ReferenceAggregate {
  const node = kpi.expression;
  if (node.type !== "aggregate") throw new Error(`not a bare aggregate: ${kpi.value}`);
  if (agg.fn === "percentile") return { fn: "percentile", p: node.args[0] as number };
  if (agg.fn === "timeAbove" || agg.fn === "timeBelow" || agg.fn === "timeEqual") {
    return { fn: agg.fn, c: node.args[0] as number };
  }
  return agg;
}

// ---------------------------------------------------------------------------------------------
// Comparison

/**
 * The tolerance: 1e-9 relative to the larger of the expected value and the aggregate's natural
 * scale (the largest |value| kept, times the window in the unit for integrals, times the terms for
 * sums), and 1e-9 absolute near 0. The scale matters where the exact result is near 0 by
 * cancellation: an honest floating-point sum of ±1000s cannot be held to 1e-9 of a tiny result.
 */
function tolerance(agg: ReferenceAggregate, expected: number, kept: readonly Kept[], w: Window): number {
  const maxAbs = kept.reduce((m, p) => Math.max(m, Math.abs(p.v)), 0);
  const seconds = (w.end - w.start) / S;
  const terms = kept.filter((p) => p.t < w.end).length + 1;
  let scale: number;
  switch (agg.fn) {
    case "integral":
      scale = (maxAbs * seconds) / { s: 1, m: 60, h: 3600, d: 86400 }[agg.unit];
      break;
    case "sum":
    case "delta":
      scale = maxAbs * terms;
      break;
    case "coverage":
      scale = 1;
      break;
    case "timeAbove":
    case "timeBelow":
    case "timeEqual":
      scale = seconds;
      break;
    case "count":
      return 0;
    default:
      scale = maxAbs;
  }
  return Math.max(1e-9 * Math.max(Math.abs(expected), scale), 1e-9);
}

interface Grid {
  everyMs: number;
  offsetMs: number;
  windows: Window[];
}

interface Case extends Grid {
  raw: RawPoint[];
  /** What the reference needs; its `step` is `specStep || isStep`. */
  input: ReferenceInput;
  /** The input's `step: true`. */
  specStep: boolean;
  /** The series' own isStep. */
  isStep: boolean;
  useBuilder: boolean;
}

function inputSeries(c: Case): InputSeries {
  if (c.useBuilder) {
    const b = new PointColumnsBuilder(1);
    for (const p of c.raw) b.append(p.timestamp, p.value ?? Number.NaN, p.status);
    return { points: b.build(), isStep: c.isStep };
  }
  return { points: pointColumnsFrom(c.raw), isStep: c.isStep };
}

function specOf(c: Case): InputSpec {
  return {
    name: "x",
    series: { externalId: "x" },
    clean: c.input.clean,
    maxGapMs: c.input.maxGapMs,
    step: c.specStep,
    counter: false,
    uncertain: c.input.includeUncertain,
  };
}

/**
 * Computes the aggregates on the case's grid (and those of `others` on theirs) with kpi-core,
 * all KPIs in one computeKpis sweep or one computeWindows call each, and with the reference;
 * asserts they agree window by window.
 */
function check(
  c: Case,
  aggs: readonly ReferenceAggregate[],
  sweep: "kpis" | "windows" = "kpis",
  others: ReadonlyArray<{ grid: Grid; aggs: readonly ReferenceAggregate[] }> = [],
): KpiDatapoint[][] {
  const spec = specOf(c);
  const requests = [{ grid: c as Grid, aggs }, ...others].flatMap(({ grid, aggs }) =>
    aggs.map((a) => {
      const kpi = kpiOf(expressionOf(a), spec, grid.everyMs, grid.offsetMs);
      return { kpi, windows: grid.windows, agg: parsedAggregate(a, kpi) };
    }),
  );
  const series = inputSeries(c);
  const results: KpiDatapoint[][] =
    sweep === "kpis"
      ? computeKpis(requests, new Map([["x", series]]))
      : requests.map(({ kpi, windows }) => computeWindows(kpi, windows, new Map([["x", series]])));
  const kept = referenceClean(c.raw, c.input);
  requests.forEach(({ kpi, windows, agg }, k) => {
    expect(results[k]!.length).toBe(windows.length);
    windows.forEach((w, i) => {
      const got = results[k]![i]!;
      const expected = referenceAggregate(kept, c.input, agg, w.start, w.end);
      const where = () =>
        `${kpi.value} in [${w.start - EPOCH}, ${w.end - EPOCH}) (ms after EPOCH): kpi-core ${JSON.stringify(got)}, reference ${expected}`;
      expect(got.timestamp, where()).toBe(w.start);
      if (expected === undefined) {
        expect(got.status, where()).toBe("Bad");
        expect(got.value, where()).toBeNull();
      } else {
        expect(got.status, where()).toBe("Good");
        const diff = Math.abs((got.value as number) - expected);
        if (!(diff <= tolerance(agg, expected, kept, w))) expect.fail(where());
      }
    });
  });
  return results;
}

// ---------------------------------------------------------------------------------------------
// Arbitraries

/** Values: mostly small integers and quarters (exact ties, flat segments), some arbitrary doubles. */
const value = fc.oneof(
  // A few repeated levels: ties, flatline runs, spike windows with MAD 0.
  { weight: 4, arbitrary: fc.constantFrom(0, 1, 2) },
  { weight: 4, arbitrary: fc.integer({ min: -20, max: 20 }) },
  { weight: 2, arbitrary: fc.integer({ min: -400, max: 400 }).map((q) => q / 4) },
  { weight: 3, arbitrary: fc.double({ min: -1000, max: 1000, noNaN: true, noDefaultInfinity: true }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom<number | null>(
      null,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
    ),
  },
);

const status = fc.oneof(
  { weight: 8, arbitrary: fc.constant(GOOD) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: UNCERTAIN - 1 }) }, // Good subcodes
  { weight: 1, arbitrary: fc.constantFrom(UNCERTAIN - 1, UNCERTAIN, BAD - 1, BAD) }, // class edges
  { weight: 2, arbitrary: fc.integer({ min: UNCERTAIN, max: BAD - 1 }) },
  { weight: 2, arbitrary: fc.integer({ min: BAD, max: 0xffffffff }) },
);

/** Offsets from EPOCH in ms: arbitrary ms, whole 5 minutes (duplicates, exact maxGap ties), far before. */
const pointOffset = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: -6 * H, max: 10 * H }) },
  { weight: 4, arbitrary: fc.integer({ min: -72, max: 120 }).map((k) => k * 5 * M) },
  { weight: 1, arbitrary: fc.integer({ min: -3 * D, max: -D }) },
);

const rawPoints = fc.array(fc.record({ timestamp: pointOffset.map((o) => EPOCH + o), value, status }), {
  maxLength: 60,
});

const maxGapMs = fc.oneof(
  fc.constant(undefined),
  fc.constantFrom(5 * M, 10 * M, 30 * M, H, 2 * H),
  fc.integer({ min: 1, max: 3 * H }),
);

const cleanStep: fc.Arbitrary<ReferenceCleanStep> = fc.oneof(
  fc
    .tuple(fc.integer({ min: -25, max: 25 }), fc.integer({ min: 0, max: 1200 }))
    .map(([lo, width]) => ({ range: [lo, lo + width] as const })),
  fc.record({ spike: fc.record({ window: fc.constantFrom(3, 5, 7), k: fc.constantFrom(0.5, 1, 3) }) }),
  fc.record({ flatline: fc.record({ durationMs: fc.constantFrom(0, 5 * M, 30 * M, 2 * H) }) }),
);

const clean = fc.oneof(
  { weight: 3, arbitrary: fc.constant([] as ReferenceCleanStep[]) },
  { weight: 2, arbitrary: fc.array(cleanStep, { minLength: 1, maxLength: 3 }) },
);

/** A fixed grid (10 min to 2 h, epoch-aligned plus offset) and windows on it, maybe with holes. */
const windowsArb = fc
  .record({
    everyMs: fc.constantFrom(10 * M, 15 * M, 20 * M, 30 * M, H, 2 * H),
    // An offset on the 5-minute grid of the points (points exactly at window edges), or any ms.
    offset: fc.oneof(
      fc.integer({ min: 0, max: 23 }).map((k) => ({ fiveMinutes: k })),
      fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }).map((f) => ({ fraction: f })),
    ),
    first: fc.integer({ min: -4, max: 8 }),
    keep: fc.array(fc.boolean(), { minLength: 1, maxLength: 12 }),
    holes: fc.boolean(),
  })
  .map(({ everyMs, offset, first, keep, holes }) => {
    const offsetMs =
      "fiveMinutes" in offset
        ? (offset.fiveMinutes * 5 * M) % everyMs
        : Math.floor(offset.fraction * everyMs);
    const windows: Window[] = [];
    keep.forEach((k, i) => {
      if (holes && !k && i > 0) return;
      const start = EPOCH + offsetMs + (first + i) * everyMs;
      windows.push({ start, end: start + everyMs });
    });
    return { everyMs, offsetMs, windows };
  });

const caseArb: fc.Arbitrary<Case> = fc
  .record({
    raw: rawPoints,
    maxGapMs,
    clean,
    specStep: fc.boolean(),
    isStep: fc.boolean(),
    includeUncertain: fc.boolean(),
    useBuilder: fc.boolean(),
    grid: windowsArb,
  })
  .map(({ raw, maxGapMs, clean, specStep, isStep, includeUncertain, useBuilder, grid }) => ({
    raw,
    input: { clean, maxGapMs, step: specStep || isStep, includeUncertain },
    specStep,
    isStep,
    useBuilder,
    ...grid,
  }));

/** A threshold: often a value of the data (exact ties and flat segments at c), sometimes any. */
function thresholdFor(c: Case, pick: number, fallback: number): number {
  const values = c.raw.map((p) => p.value).filter((v): v is number => v !== null && Number.isFinite(v));
  return values.length > 0 && pick < 0.7 ? values[Math.floor((pick / 0.7) * values.length)]! : fallback;
}

const RUNS = Number(process.env["REFERENCE_RUNS"] ?? 300);

describe("kpi-core against the reference implementation (test/reference.ts)", { timeout: 30_000 }, () => {
  it("cleaning: kpi-core keeps exactly the reference's points, on dense data with few levels", () => {
    const levels = fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(9.9, 10.1) },
      { weight: 2, arbitrary: fc.constantFrom(0, 1, 50) },
      { weight: 1, arbitrary: fc.double({ min: -100, max: 100, noNaN: true }) },
    );
    fc.assert(
      fc.property(
        fc.array(fc.record({ minute: fc.integer({ min: 0, max: 120 }), value: levels }), { maxLength: 80 }),
        fc.array(cleanStep, { minLength: 1, maxLength: 3 }),
        (rows, steps) => {
          const raw = rows.map((r) => ({ timestamp: EPOCH + r.minute * M, value: r.value, status: 0 }));
          const input: ReferenceInput = {
            clean: steps,
            maxGapMs: undefined,
            step: false,
            includeUncertain: false,
          };
          const spec: InputSpec = {
            name: "x",
            series: { externalId: "x" },
            clean: steps,
            maxGapMs: undefined,
            step: false,
            counter: false,
            uncertain: false,
          };
          const got = cleanInput(pointColumnsFrom(raw), spec);
          const want = referenceClean(raw, input);
          expect({ t: [...got.timestamps], v: [...got.values] }).toEqual({
            t: want.map((p) => p.t),
            v: want.map((p) => p.v),
          });
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("time-weighted: twa, integral, coverage", () => {
    fc.assert(
      fc.property(caseArb, fc.constantFrom("s", "m", "h", "d" as const), (c, unit) => {
        check(c, [{ fn: "twa" }, { fn: "integral", unit }, { fn: "coverage" }]);
      }),
      { numRuns: RUNS },
    );
  });

  it("point aggregates: mean, min, max, sum, count, first, last, stddev, percentile", () => {
    fc.assert(
      fc.property(
        caseArb,
        fc.oneof(
          fc.integer({ min: 0, max: 100 }),
          fc.integer({ min: 0, max: 800 }).map((k) => k / 8),
        ),
        (c, p) => {
          check(c, [
            { fn: "mean" },
            { fn: "min" },
            { fn: "max" },
            { fn: "sum" },
            { fn: "count" },
            { fn: "first" },
            { fn: "last" },
            { fn: "stddev" },
            { fn: "percentile", p },
            { fn: "percentile", p: 0 },
            { fn: "percentile", p: 100 },
          ]);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("timeAbove, timeBelow, timeEqual", () => {
    fc.assert(
      fc.property(
        caseArb,
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer({ min: -30, max: 30 }),
        (c, pick, fallback) => {
          const threshold = thresholdFor(c, pick, fallback);
          check(c, [
            { fn: "timeAbove", c: threshold },
            { fn: "timeBelow", c: threshold },
            { fn: "timeEqual", c: threshold },
          ]);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("delta (counter resets)", () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        check(c, [{ fn: "delta" }]);
      }),
      { numRuns: RUNS },
    );
  });

  it("computeWindows per KPI gives the same as the reference too", () => {
    fc.assert(
      fc.property(caseArb, fc.integer({ min: -30, max: 30 }), (c, threshold) => {
        check(
          c,
          [{ fn: "twa" }, { fn: "mean" }, { fn: "timeAbove", c: threshold }, { fn: "delta" }],
          "windows",
        );
      }),
      { numRuns: Math.ceil(RUNS / 3) },
    );
  });

  it("KPIs on several grids in one computeKpis sweep (shared input, merged walk)", () => {
    fc.assert(
      fc.property(
        caseArb,
        windowsArb,
        windowsArb,
        fc.integer({ min: -30, max: 30 }),
        (c, g1, g2, threshold) => {
          const aggs: ReferenceAggregate[] = [
            { fn: "twa" },
            { fn: "coverage" },
            { fn: "max" },
            { fn: "timeBelow", c: threshold },
            { fn: "delta" },
          ];
          check(c, aggs, "kpis", [
            { grid: g1, aggs },
            { grid: g2, aggs: [{ fn: "sum" }, { fn: "integral", unit: "m" }, { fn: "delta" }] },
          ]);
        },
      ),
      { numRuns: Math.ceil(RUNS / 3) },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Hand-computed regressions: the reference itself is held to numbers worked out by hand, and
// kpi-core to the same numbers.

describe("hand-computed cases (reference and kpi-core)", () => {
  const linear: ReferenceInput = { clean: [], maxGapMs: undefined, step: false, includeUncertain: false };
  const both = (
    raw: RawPoint[],
    input: ReferenceInput,
    agg: ReferenceAggregate,
    w: Window,
    expected: number | undefined,
  ) => {
    const kept = referenceClean(raw, input);
    const ref = referenceAggregate(kept, input, agg, w.start, w.end);
    if (expected === undefined) expect(ref).toBeUndefined();
    else expect(ref).toBeCloseTo(expected, 12);
    const [[got]] = check(
      {
        raw,
        input,
        specStep: input.step,
        isStep: false,
        useBuilder: true,
        windows: [w],
        everyMs: w.end - w.start,
        offsetMs: 0,
      },
      [agg],
    ) as [[KpiDatapoint]];
    // Held to the hand-computed number itself, tighter than the property tests' scale.
    if (expected === undefined) expect(got.value).toBeNull();
    else expect(Math.abs(got.value! - expected)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(expected)));
  };
  const g = (t: number, v: number | null, st = GOOD): RawPoint => ({
    timestamp: EPOCH + t,
    value: v,
    status: st,
  });
  const win = (from: number, to: number): Window => ({ start: EPOCH + from, end: EPOCH + to });

  it("README's edge example: (-10 s, 0) (10 s, 20) (30 s, 0) over [0, 20 s): integral 300, twa 15", () => {
    const raw = [g(-10 * S, 0), g(10 * S, 20), g(30 * S, 0)];
    both(raw, linear, { fn: "integral", unit: "s" }, win(0, 20 * S), 300);
    both(raw, linear, { fn: "twa" }, win(0, 20 * S), 15);
    both(raw, linear, { fn: "coverage" }, win(0, 20 * S), 1);
  });

  it("README's point aggregates over (-1 s, 50) (0, 4) (1 s, 1) (2 s, 3) (3 s, 2) (4 s, 100), [0, 4 s)", () => {
    const raw = [g(-S, 50), g(0, 4), g(S, 1), g(2 * S, 3), g(3 * S, 2), g(4 * S, 100)];
    const w = win(0, 4 * S);
    both(raw, linear, { fn: "mean" }, w, 2.5);
    both(raw, linear, { fn: "sum" }, w, 10);
    both(raw, linear, { fn: "stddev" }, w, Math.sqrt(5 / 4));
    both(raw, linear, { fn: "percentile", p: 50 }, w, 2.5);
    both(raw, linear, { fn: "percentile", p: 90 }, w, 3.7);
    both(raw, linear, { fn: "first" }, w, 4);
    both(raw, linear, { fn: "last" }, w, 2);
    both(raw, linear, { fn: "max" }, w, 4);
  });

  it("a later Bad point at a timestamp removes the earlier Good value (dedupe before filtering)", () => {
    const raw = [g(0, 10), g(10 * M, 20), g(10 * M, 99, BAD), g(20 * M, 30)];
    // Kept: (0, 10) (20 m, 30): linear over 20 m, twa 20; mean of the points inside = 20.
    both(raw, linear, { fn: "twa" }, win(0, 20 * M), 20);
    both(raw, linear, { fn: "count" }, win(0, 20 * M), 1);
    // And the other way round: a later Good point wins over an earlier Bad one.
    const back = [g(0, 10), g(10 * M, 99, BAD), g(10 * M, 20), g(20 * M, 30)];
    both(back, linear, { fn: "sum" }, win(0, 20 * M), 30);
  });

  it("linear gap exactly maxGap is covered, one ms more is a hole", () => {
    const input = { ...linear, maxGapMs: 30 * M };
    both([g(0, 1), g(30 * M, 3)], input, { fn: "coverage" }, win(0, H), 0.5);
    both([g(0, 1), g(30 * M + 1, 3)], input, { fn: "coverage" }, win(0, H), 0);
    both([g(0, 1), g(30 * M + 1, 3)], input, { fn: "twa" }, win(0, H), undefined);
    both([g(0, 1), g(30 * M + 1, 3)], input, { fn: "integral", unit: "h" }, win(0, H), undefined);
  });

  it("step holds at most maxGap, and without maxGap through later windows", () => {
    const step: ReferenceInput = { ...linear, step: true };
    // (-3 d, 7) holds forever: a whole hour of 7.
    both([g(-3 * D, 7)], step, { fn: "integral", unit: "h" }, win(0, H), 7);
    // maxGap 20 m: (10 m, 4) holds to 30 m, (50 m, 8) holds to 70 m: 20 m of 4 + 10 m of 8.
    const held = { ...step, maxGapMs: 20 * M };
    both([g(10 * M, 4), g(50 * M, 8)], held, { fn: "coverage" }, win(0, H), 0.5);
    both([g(10 * M, 4), g(50 * M, 8)], held, { fn: "twa" }, win(0, H), (20 * 4 + 10 * 8) / 30);
    both([g(10 * M, 4), g(50 * M, 8)], held, { fn: "timeAbove", c: 5 }, win(0, H), 600);
  });

  it("crossings are interpolated: (0, 0) -> (10 s, 10), c = 4: above 6 s, below 4 s, equal 0", () => {
    const raw = [g(0, 0), g(10 * S, 10)];
    both(raw, linear, { fn: "timeAbove", c: 4 }, win(0, 10 * S), 6);
    both(raw, linear, { fn: "timeBelow", c: 4 }, win(0, 10 * S), 4);
    both(raw, linear, { fn: "timeEqual", c: 4 }, win(0, 10 * S), 0);
    both([g(0, 5), g(10 * S, 5)], linear, { fn: "timeEqual", c: 5 }, win(0, 10 * S), 10);
  });

  it("delta: before 10, inside 15 20 3 8 -> 18; no point before -> from the first inside", () => {
    const raw = [g(-5 * D, 10), g(M, 15), g(2 * M, 20), g(3 * M, 3), g(4 * M, 8), g(H + M, 1)];
    both(raw, linear, { fn: "delta" }, win(0, H), 18);
    both([g(M, 15), g(2 * M, 20)], linear, { fn: "delta" }, win(0, H), 5);
    both([g(M, 15)], linear, { fn: "delta" }, win(0, H), undefined);
    both([g(-M, 15)], linear, { fn: "delta" }, win(0, H), undefined);
  });

  it("stddev and mean keep their digits on large nearly equal values", () => {
    const raw = [g(0, 1e9 + 1), g(S, 1e9 + 2), g(2 * S, 1e9 + 3)];
    both(raw, linear, { fn: "stddev" }, win(0, H), Math.sqrt(2 / 3));
    both(raw, linear, { fn: "mean" }, win(0, H), 1e9 + 2);
    const flat = Array.from({ length: 20 }, (_, i) => g(i * S, 1000.1));
    both(flat, linear, { fn: "stddev" }, win(0, H), 0);
  });

  it("a crossing far from the window start keeps ms precision at epoch timestamps", () => {
    // (-1 ms, 0.1) -> (1 h + 1 ms, 0.7), c = 0.3: f = c one third along, at 1199999.667 ms.
    const input = { ...linear, maxGapMs: 2 * H };
    both([g(-1, 0.1), g(H + 1, 0.7)], input, { fn: "timeAbove", c: 0.3 }, win(0, H), 2400.000333333333);
    both([g(-1, 0.1), g(H + 1, 0.7)], input, { fn: "timeBelow", c: 0.3 }, win(0, H), 1199.999666666667);
  });

  it("Uncertain points count only when asked", () => {
    const raw = [g(0, 1), g(M, 100, UNCERTAIN + 5)];
    both(raw, linear, { fn: "max" }, win(0, H), 1);
    both(raw, { ...linear, includeUncertain: true }, { fn: "max" }, win(0, H), 100);
  });
});
