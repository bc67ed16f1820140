import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { aggregate } from "../src/aggregates.js";
import { dirtySpansOfKpis, type InputChanges } from "../src/dirtySpans.js";
import { computeKpis, computeWindows } from "../src/engine.js";
import { parseExpression } from "../src/expression.js";
import { prepareInput } from "../src/interpolate.js";
import type { KpiDefinition } from "../src/kpiDefinition.js";
import type { CleanStep, InputSeries, InputSpec, Window } from "../src/model.js";
import { STATUS_BAD, STATUS_UNCERTAIN } from "../src/model.js";
import { windowsOfSpans } from "../src/plan.js";
import { PointColumnsBuilder } from "../src/points.js";
import { readInputs } from "../src/readInputs.js";
import { InMemoryDatapointStore } from "../src/testing/index.js";
import { windowsBetween } from "../src/window.js";

const M = 60_000;
const H = 3_600_000;
const EPOCH = 1_700_000_000_000 - (1_700_000_000_000 % H);

function kpi(value: string, input: Partial<InputSpec> = {}, everyMs = H): KpiDefinition {
  const spec: InputSpec = {
    name: "x",
    series: { externalId: "x" },
    clean: [],
    maxGapMs: undefined,
    step: false,
    counter: false,
    uncertain: false,
    ...input,
  };
  return {
    series: { externalId: "kpi" },
    key: "kpi",
    name: undefined,
    description: undefined,
    unit: undefined,
    window: { kind: "fixed", everyMs, offsetMs: 0 },
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

const VALUES = [0, 1, 5, 9.9, 10, 10.1, 50, 400, 600, -3];

/**
 * Rows at whole minutes over [-10 h, 15 h) around EPOCH, repeats included (the later wins): a few
 * repeated levels (flatlines, MAD 0) and free values, some Bad or Uncertain or without a value.
 */
const rows = fc.array(
  fc.record({
    minute: fc.oneof(
      fc.integer({ min: -600, max: 899 }),
      fc.integer({ min: -30, max: 389 }),
      fc.integer({ min: 50, max: 70 }),
    ),
    value: fc.oneof(
      { arbitrary: fc.constantFrom(5, 10), weight: 4 },
      fc.constantFrom(...VALUES),
      fc.double({ min: -1000, max: 1000, noNaN: true, noDefaultInfinity: true }),
      fc.constant(null),
    ),
    status: fc.constantFrom(0, 0, 0, 0, STATUS_UNCERTAIN, STATUS_BAD),
  }),
  { maxLength: 160 },
);

/** Stretches of one repeated value (a stuck sensor), under the rows: long flatline runs. */
const stuck = fc
  .array(
    fc.record({
      start: fc.integer({ min: -600, max: 800 }),
      count: fc.integer({ min: 1, max: 100 }),
      every: fc.integer({ min: 1, max: 15 }),
      value: fc.constantFrom(5, 10),
    }),
    { maxLength: 2 },
  )
  .map((stretches) =>
    stretches.flatMap(({ start, count, every, value }) =>
      Array.from({ length: count }, (_, i) => ({ minute: start + i * every, value, status: 0 })),
    ),
  );

/** Stuck stretches first, so that the rows written later win at a shared timestamp. */
const data = fc.tuple(stuck, rows).map(([a, b]) => [...a, ...b]);

const cleanStep: fc.Arbitrary<CleanStep> = fc.oneof(
  fc.constant({ range: [-500, 500] as const }),
  fc.record({ spike: fc.record({ window: fc.constantFrom(3, 5, 7), k: fc.constantFrom(1, 3) }) }),
  fc.record({ flatline: fc.record({ durationMs: fc.constantFrom(0, 5 * M, 40 * M) }) }),
);

const inputSettings = fc.record({
  step: fc.boolean(),
  counter: fc.boolean(),
  maxGapMs: fc.constantFrom(undefined, 20 * M, 3 * H),
  clean: fc.array(cleanStep, { maxLength: 3 }),
});

const EXPRESSIONS = [
  "twa(x)",
  'integral(x, "h")',
  "coverage(x)",
  "min(x) + max(x) * 2 + count(x)",
  "mean(x) + stddev(x) + percentile(x, 90) + first(x) - last(x) + sum(x)",
  "timeAbove(x, 10) + timeBelow(x, -10) + timeEqual(x, 0)",
  "delta(x)",
];

function storeOf(
  points: ReadonlyArray<{ minute: number; value: number | null; status: number }>,
  isStep: boolean,
) {
  const store = new InMemoryDatapointStore();
  store.insert(
    { externalId: "x" },
    points.map((p) => ({ timestamp: EPOCH + p.minute * M, value: p.value, status: p.status })),
    { isStep },
  );
  return store;
}

/** The whole series handed to the engine: what every split must agree with. */
function allPointsOf(store: InMemoryDatapointStore, isStep: boolean): InputSeries {
  const b = new PointColumnsBuilder();
  for (const p of store.points({ externalId: "x" })) b.append(p.timestamp, p.value, p.status);
  return { points: b.build(), isStep };
}

type Change =
  | { upsert: { minute: number; value: number | null; status: number } }
  | { deleted: { minute: number; length: number } };

/** An upsert or a deleted range at whole minutes in [min, max]. */
function changeArb(min: number, max: number, longest: number): fc.Arbitrary<Change> {
  return fc.oneof(
    fc.record({
      upsert: fc.record({
        minute: fc.integer({ min, max }),
        value: fc.oneof(fc.constantFrom(...VALUES), fc.constant(null)),
        status: fc.constantFrom(0, 0, STATUS_UNCERTAIN, STATUS_BAD),
      }),
    }),
    fc.record({
      deleted: fc.record({ minute: fc.integer({ min, max }), length: fc.integer({ min: 1, max: longest }) }),
    }),
  );
}

/** Applies one change to the store and reports it as a subscription would. */
async function applyChange(store: InMemoryDatapointStore, reported: InputChanges, c: Change): Promise<void> {
  if ("upsert" in c) {
    const t = EPOCH + c.upsert.minute * M;
    store.insert({ externalId: "x" }, [{ timestamp: t, value: c.upsert.value, status: c.upsert.status }]);
    (reported.timestamps as number[]).push(t);
  } else {
    const range = {
      start: EPOCH + c.deleted.minute * M,
      end: EPOCH + (c.deleted.minute + c.deleted.length) * M,
    };
    await store.delete({ externalId: "x" }, range);
    (reported.deletedRanges as Array<{ start: number; end: number }>).push(range);
  }
}

/**
 * The promise: after `change` (which reports what it did), every window whose datapoint changed
 * is dirty, for each of the KPIs planned together in one batch (as a run plans them: KPIs that
 * read x alike share one answer, and one read serves them all).
 */
async function expectChangedWindowsDirty(
  store: InMemoryDatapointStore,
  ks: readonly KpiDefinition[],
  /** The windows compared: the same for every KPI, or each KPI's own. */
  windowsOf: readonly Window[] | ((k: KpiDefinition) => readonly Window[]),
  seriesIsStep: boolean,
  now: number,
  change: (reported: InputChanges) => Promise<void>,
  maxRegions?: number,
): Promise<void> {
  const windows = (k: KpiDefinition) => (typeof windowsOf === "function" ? windowsOf(k) : windowsOf);
  const compute = () =>
    ks.map((k) =>
      computeWindows(k, windows(k), new Map([[k.inputs[0]!.name, allPointsOf(store, seriesIsStep)]])).map(
        (d) => ({
          value: d.value,
          status: d.status,
        }),
      ),
    );
  const before = compute();
  const reported: InputChanges = { timestamps: [], deletedRanges: [] };
  await change(reported);
  const after = compute();
  const spans = await dirtySpansOfKpis(
    store,
    ks.map((kpi) => ({ kpi, changes: [reported] })),
    now,
    undefined,
    maxRegions,
  );
  // Changed points less than a window apart are planned as one region: the same windows come out
  // (compared without the limit on regions, whose joins are coarser).
  const [joined, unjoined] = await Promise.all(
    [true, false].map((join) =>
      dirtySpansOfKpis(
        store,
        ks.map((kpi) => ({ kpi, changes: [reported] })),
        now,
        undefined,
        Number.POSITIVE_INFINITY,
        join,
      ),
    ),
  );
  ks.forEach((k, n) => {
    const dirty = new Set([...windowsOfSpans(k, spans[n]!, now)].map((w) => w.start));
    expect(
      [...windowsOfSpans(k, joined![n]!, now)].map((w) => w.start),
      `KPI ${n}: joined regions give other windows`,
    ).toEqual([...windowsOfSpans(k, unjoined![n]!, now)].map((w) => w.start));
    const changed = windows(k).filter(
      (_, i) => JSON.stringify(before[n]![i]) !== JSON.stringify(after[n]![i]),
    );
    for (const w of changed)
      expect(
        dirty,
        `KPI ${n} (${k.inputs[0]!.name}): window at +${(w.start - EPOCH) / M} min changed`,
      ).toContain(w.start);
  });
}

/**
 * One to three KPIs over x, each its own value and settings, and sometimes a twin that reads x
 * alike under another input name: the batches a run plans at once.
 */
function batchArb(everyMs = H): fc.Arbitrary<KpiDefinition[]> {
  return fc
    .array(fc.tuple(fc.constantFrom(...EXPRESSIONS), inputSettings, fc.boolean(), fc.boolean()), {
      minLength: 1,
      maxLength: 3,
    })
    .map((picks) =>
      picks.flatMap(([value, input, uncertain, twin]) => {
        const k = kpi(value, { ...input, uncertain }, everyMs);
        return twin ? [k, renamed(k)] : [k];
      }),
    );
}

/** The same KPI with its input named y instead of x (the read and every setting alike). */
function renamed(k: KpiDefinition): KpiDefinition {
  const value = k.value.replace(/\bx\b/g, "y");
  return {
    ...k,
    value,
    expression: parseExpression(value, ["y"]),
    inputs: k.inputs.map((i) => ({ ...i, name: "y" })),
  };
}

describe("properties", () => {
  it("any split of a range at window boundaries, each part read through the source, equals the whole series at once", async () => {
    await fc.assert(
      fc.asyncProperty(
        data,
        fc.uniqueArray(fc.integer({ min: 1, max: 5 }), { maxLength: 4 }),
        fc.constantFrom(...EXPRESSIONS),
        inputSettings,
        fc.boolean(),
        fc.boolean(),
        async (points, cuts, value, input, seriesIsStep, uncertain) => {
          const store = storeOf(points, seriesIsStep);
          const k = kpi(value, { ...input, uncertain });
          const bounds = [0, ...[...cuts].sort((a, b) => a - b), 6];
          const parts = [];
          for (let i = 0; i + 1 < bounds.length; i++) {
            const windows = hours(bounds[i]!, bounds[i + 1]! - bounds[i]!);
            const series = await readInputs(store, [
              { kpi: k, from: windows[0]!.start, to: windows.at(-1)!.end },
            ]);
            parts.push(...computeKpis([{ kpi: k, windows }], series)[0]!);
          }
          const whole = computeWindows(k, hours(0, 6), new Map([["x", allPointsOf(store, seriesIsStep)]]));
          expect(parts).toEqual(whole);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("after any upserts and deleted ranges, every window whose datapoint changed is among the dirty windows", async () => {
    await fc.assert(
      fc.asyncProperty(
        data,
        fc.array(changeArb(-600, 899, 300), { minLength: 1, maxLength: 3 }),
        batchArb(),
        fc.boolean(),
        // Changed regions past a limit are joined (a bulk load): soundness must hold at any limit.
        fc.constantFrom(undefined, 1, 2, 3),
        async (points, changes, batch, seriesIsStep, maxRegions) => {
          const store = storeOf(points, seriesIsStep);
          await expectChangedWindowsDirty(
            store,
            batch,
            hours(0, 6),
            seriesIsStep,
            EPOCH + 6 * H,
            async (reported) => {
              for (const c of changes) await applyChange(store, reported, c);
            },
            maxRegions,
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it("KPIs of other window lengths planned together: every window of each whose datapoint changed is dirty, and joins are each KPI's own", async () => {
    // Planning shares reads and changed regions between KPIs on one input; a region joined for one
    // KPI's windows (points less than a window apart) must not be handed to a KPI with shorter ones
    // (a region joined at an hour would dirty a 1-minute KPI's minutes between).
    await fc.assert(
      fc.asyncProperty(
        data,
        fc.array(changeArb(-600, 899, 300), { minLength: 1, maxLength: 4 }),
        batchArb(H),
        batchArb(10 * M),
        batchArb(M),
        async (points, changes, long, mid, short) => {
          const store = storeOf(points, false);
          const now = EPOCH + 6 * H;
          await expectChangedWindowsDirty(
            store,
            [...long, ...mid, ...short],
            (k) => windowsBetween(k.window, EPOCH, now),
            false,
            now,
            async (reported) => {
              for (const c of changes) await applyChange(store, reported, c);
            },
          );
        },
      ),
      { numRuns: 200 },
    );
  });

  it("dense data in 10-minute windows: after appends, upserts and deletions, every window whose datapoint changed is dirty", async () => {
    // Points every few minutes, so the kept point next to a change usually lies within maxGap and
    // decides how far back and ahead the dirty windows go (dirtySpans.ts), not maxGap alone.
    const TEN = 10 * M;
    const dense = fc
      .record({
        every: fc.integer({ min: 1, max: 7 }),
        values: fc.array(fc.constantFrom(...VALUES, 5, 5, 10), { minLength: 1, maxLength: 8 }),
        bad: fc.array(fc.integer({ min: -60, max: 240 }), { maxLength: 4 }),
      })
      .map(({ every, values, bad }) => {
        const out: Array<{ minute: number; value: number | null; status: number }> = [];
        for (let m = -60, i = 0; m < 200; m += every, i++) {
          out.push({
            minute: m,
            value: values[i % values.length]!,
            status: bad.includes(m) ? STATUS_BAD : 0,
          });
        }
        return out;
      });
    const append = fc.record({
      append: fc.record({ every: fc.integer({ min: 1, max: 5 }), count: fc.integer({ min: 1, max: 30 }) }),
    });
    await fc.assert(
      fc.asyncProperty(
        dense,
        fc.array(fc.oneof(append, changeArb(-60, 239, 30)), { minLength: 1, maxLength: 3 }),
        batchArb(TEN),
        fc.boolean(),
        fc.constantFrom(undefined, 1, 2, 3),
        async (points, changes, batch, seriesIsStep, maxRegions) => {
          const store = storeOf(points, seriesIsStep);
          const windows = Array.from({ length: 24 }, (_, i) => ({
            start: EPOCH + i * TEN,
            end: EPOCH + (i + 1) * TEN,
          }));
          await expectChangedWindowsDirty(
            store,
            batch,
            windows,
            seriesIsStep,
            EPOCH + 240 * M,
            async (reported) => {
              let end = 200;
              for (const c of changes) {
                if (!("append" in c)) {
                  await applyChange(store, reported, c);
                  continue;
                }
                for (let i = 0; i < c.append.count; i++, end += c.append.every) {
                  store.insert({ externalId: "x" }, [
                    { timestamp: EPOCH + end * M, value: (end % 13) - 3, status: 0 },
                  ]);
                  (reported.timestamps as number[]).push(EPOCH + end * M);
                }
              }
            },
            maxRegions,
          );
        },
      ),
      { numRuns: 500 },
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
