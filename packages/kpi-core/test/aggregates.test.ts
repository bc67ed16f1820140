import { describe, expect, it } from "vitest";
import { type AggregateHint, aggregate, WindowAggregates } from "../src/aggregates.js";
import { prepareInput } from "../src/interpolate.js";
import type { AggregateName, Window } from "../src/model.js";

const S = 1000;
const D = 86_400_000;

function input(points: Array<[number, number]>, opts: { step?: boolean; maxGapMs?: number } = {}) {
  return prepareInput(
    {
      length: points.length,
      timestamps: new Float64Array(points.map((p) => p[0])),
      values: new Float64Array(points.map((p) => p[1])),
    },
    { step: opts.step ?? false, maxGapMs: opts.maxGapMs },
  );
}

// Four points inside [0, 4 s): 4, 1, 3, 2; one just before and one exactly at the end (outside).
const four = input([
  [-1 * S, 50],
  [0, 4],
  [1 * S, 1],
  [2 * S, 3],
  [3 * S, 2],
  [4 * S, 100],
]);
const w4: Window = { start: 0, end: 4 * S };
const empty: Window = { start: 10 * S, end: 20 * S };
const of = (fn: AggregateName, args: Array<number | string> = [], w = w4, p = four) =>
  aggregate(p, fn, args, w);

describe("point aggregates over start <= t < end", () => {
  it("mean is the plain average of the points inside", () => expect(of("mean")).toBe(2.5));
  it("min is the smallest point inside", () => expect(of("min")).toBe(1));
  it("max is the largest point inside, the point at end excluded", () => expect(of("max")).toBe(4));
  it("sum adds the points inside", () => expect(of("sum")).toBe(10));
  it("count counts the points inside, the one at start included", () => expect(of("count")).toBe(4));
  it("first is the earliest point inside", () => expect(of("first")).toBe(4));
  it("last is the latest point inside", () => expect(of("last")).toBe(2));
  it("stddev is the population standard deviation", () => {
    // mean 2.5, squared deviations 2.25 + 2.25 + 0.25 + 0.25 = 5, / 4 = 1.25.
    expect(of("stddev")).toBe(Math.sqrt(1.25));
  });
  it("percentile interpolates between closest ranks like numpy", () => {
    // sorted [1, 2, 3, 4]; p50: h = 1.5 -> 2.5; p90: h = 2.7 -> 3.7; p0 and p100 are the extremes.
    expect(of("percentile", [50])).toBe(2.5);
    expect(of("percentile", [90])).toBeCloseTo(3.7, 14);
    expect(of("percentile", [0])).toBe(1);
    expect(of("percentile", [100])).toBe(4);
  });
  it("percentile of one point is that point", () => {
    expect(of("percentile", [37], { start: 0, end: 1 })).toBe(4);
  });
  it("count of a window with no points is 0", () => expect(of("count", [], empty)).toBe(0));
  it("the other point aggregates have no value without points", () => {
    for (const fn of ["mean", "min", "max", "sum", "first", "last", "stddev"] as const) {
      expect(of(fn, [], empty)).toBeUndefined();
    }
    expect(of("percentile", [50], empty)).toBeUndefined();
  });
  it("rejects a percentile outside [0, 100]", () => {
    expect(() => of("percentile", [101])).toThrow(/between 0 and 100/);
  });
});

describe("time-based aggregates", () => {
  it("integral converts value x seconds into the unit", () => {
    // Constant 2 over a covered hour: 7200 value-seconds.
    const p = input([
      [0, 2],
      [3_600_000, 2],
    ]);
    const w = { start: 0, end: 3_600_000 };
    expect(of("integral", ["s"], w, p)).toBe(7200);
    expect(of("integral", ["m"], w, p)).toBe(120);
    expect(of("integral", ["h"], w, p)).toBe(2);
    expect(of("integral", ["d"], w, p)).toBe(2 / 24);
  });
  it("integral has no value when nothing in the window is covered", () => {
    expect(of("integral", ["h"], empty)).toBeUndefined();
  });
  it("rejects an unknown integral unit", () => {
    expect(() => of("integral", ["w"])).toThrow(/"s", "m", "h", "d"/);
  });
  it("coverage 0 is a value, even for a series without points", () => {
    expect(of("coverage", [], empty, input([]))).toBe(0);
  });
  it("twa has no value when nothing is covered", () => {
    expect(of("twa", [], empty)).toBeUndefined();
  });
});

describe("timeAbove / timeBelow / timeEqual", () => {
  const rising = input([
    [0, 0],
    [10 * S, 10],
  ]);
  const w10 = { start: 0, end: 10 * S };
  it("a rising segment is above c after its crossing", () => {
    expect(of("timeAbove", [4], w10, rising)).toBe(6);
    expect(of("timeBelow", [4], w10, rising)).toBe(4);
  });
  it("a falling segment is above c before its crossing", () => {
    const falling = input([
      [0, 10],
      [10 * S, 0],
    ]);
    expect(of("timeAbove", [4], w10, falling)).toBe(6);
    expect(of("timeBelow", [4], w10, falling)).toBe(4);
  });
  it("counts only the part of an edge segment inside the window", () => {
    // [2 s, 5 s): f > 4 on (4 s, 5 s), f < 4 on [2 s, 4 s).
    expect(of("timeAbove", [4], { start: 2 * S, end: 5 * S }, rising)).toBe(1);
    expect(of("timeBelow", [4], { start: 2 * S, end: 5 * S }, rising)).toBe(2);
  });
  it("a sloped segment equals c nowhere; a flat one at c everywhere", () => {
    expect(of("timeEqual", [4], w10, rising)).toBe(0);
    const flat = input([
      [0, 5],
      [10 * S, 5],
    ]);
    expect(of("timeEqual", [5], w10, flat)).toBe(10);
    expect(of("timeAbove", [5], w10, flat)).toBe(0);
    expect(of("timeAbove", [4], w10, flat)).toBe(10);
  });
  it("a crossing outside the segment's clipped part counts all or nothing", () => {
    expect(of("timeAbove", [20], w10, rising)).toBe(0);
    expect(of("timeAbove", [-1], w10, rising)).toBe(10);
    expect(of("timeBelow", [20], w10, rising)).toBe(10);
  });
  it("a step value holds above, below or at c for its whole hold", () => {
    const step = input(
      [
        [0, 3],
        [5 * S, 7],
      ],
      { step: true },
    );
    expect(of("timeAbove", [5], w10, step)).toBe(5);
    expect(of("timeBelow", [5], w10, step)).toBe(5);
    expect(of("timeEqual", [3], w10, step)).toBe(5);
  });
  it("a step value's hold is cut at maxGap", () => {
    const step = input([[0, 3]], { step: true, maxGapMs: 2 * S });
    expect(of("timeBelow", [5], w10, step)).toBe(2);
  });
  it("is 0 when nothing is covered", () => {
    expect(of("timeAbove", [0], empty)).toBe(0);
  });
  it("keeps millisecond precision at epoch-sized timestamps", () => {
    // Crossing at 1 ms of a 3 ms segment; as an epoch sum 1.7e12 + 1/3 * 3 would lose the last bits.
    const t0 = 1_700_000_000_001;
    const p = input([
      [t0, 0],
      [t0 + 3, 1],
    ]);
    expect(of("timeAbove", [1 / 3], { start: t0, end: t0 + 3 }, p)).toBe(0.002);
  });
  it("rejects a threshold that is not a finite number", () => {
    expect(() => of("timeAbove", ["x"])).toThrow(/finite number threshold/);
  });
});

describe("delta", () => {
  // Before the window: 10; inside: 15, 20, 3 (reset), 8; after: 100.
  const counter = (before = -1 * S) =>
    input([
      [before, 10],
      [0, 15],
      [1 * S, 20],
      [2 * S, 3],
      [3 * S, 8],
      [5 * S, 100],
    ]);
  it("sums increases from the last point before the window, a decrease counting as a reset", () => {
    // 5 + 5 + 3 + 5 = 18.
    expect(of("delta", [], w4, counter())).toBe(18);
  });
  it("reaches back to the last point before the window however old", () => {
    expect(of("delta", [], w4, counter(-1000 * D))).toBe(18);
  });
  it("uses pairs inside the window when there is no point before it", () => {
    const p = input([
      [0, 15],
      [1 * S, 20],
    ]);
    expect(of("delta", [], w4, p)).toBe(5);
  });
  it("has no value without a point inside the window", () => {
    expect(of("delta", [], { start: 4 * S, end: 5 * S }, counter())).toBeUndefined();
  });
  it("has no value for a single point and nothing before it", () => {
    const p = input([[0, 15]]);
    expect(of("delta", [], w4, p)).toBeUndefined();
  });
});

describe("WindowAggregates", () => {
  it("explains a missing value naming the input", () => {
    const view = new WindowAggregates(four);
    view.moveTo(empty);
    expect(view.explain("mean", "flow")).toBe('no points of "flow" in window');
    expect(view.explain("twa", "flow")).toBe(
      'no covered time of "flow" in window (no points in or around it within maxGap)',
    );
    expect(view.explain("integral", "flow")).toBe(view.explain("twa", "flow"));
    const none = new WindowAggregates(input([]));
    none.moveTo(empty);
    // The same words with no points at all: whether there are any depends on how far a read looked.
    expect(none.explain("twa", "flow")).toBe(view.explain("twa", "flow"));
    const single = new WindowAggregates(input([[0, 15]]));
    single.moveTo(w4);
    expect(single.explain("delta", "units")).toMatch(
      /delta\(units\) needs a point before the window or two inside it/,
    );
  });

  it("gives the same values sweeping windows forward, backward or one at a time", () => {
    const windows = [0, 1, 2, 3, 4].map((k) => ({ start: (k - 1) * S, end: k * S }));
    const expected = windows.map((w) => [aggregate(four, "twa", [], w), aggregate(four, "max", [], w)]);
    const view = new WindowAggregates(four);
    const at = (w: Window) => {
      view.moveTo(w);
      return [view.value("twa", []), view.value("max", [])];
    };
    const forward = windows.map(at);
    const backward = [...windows].reverse().map(at).reverse();
    expect(forward).toEqual(expected);
    expect(backward).toEqual(expected);
    expect(view.pointCount).toBe(1);
  });

  it("advances a caller's hint to the window's first point", () => {
    const hint: AggregateHint = { index: 0 };
    expect(aggregate(four, "first", [], { start: 2 * S, end: 3 * S }, hint)).toBe(3);
    expect(hint.index).toBe(3);
  });
});
