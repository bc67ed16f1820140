import { describe, expect, it } from "vitest";
import { cleanInput } from "../src/clean.js";
import { type CleanStep, type InputSpec, STATUS_BAD, STATUS_UNCERTAIN } from "../src/model.js";
import { type PointInput, pointColumnsFrom } from "../src/points.js";

function spec(clean: CleanStep[] = [], uncertain = false): InputSpec {
  return {
    name: "x",
    series: { externalId: "x" },
    clean,
    maxGapMs: undefined,
    step: false,
    counter: false,
    uncertain,
  };
}

function kept(points: PointInput[], clean: CleanStep[] = [], uncertain = false) {
  const c = cleanInput(pointColumnsFrom(points), spec(clean, uncertain));
  return { t: [...c.timestamps], v: [...c.values] };
}

const series = (values: number[]): PointInput[] => values.map((value, i) => ({ timestamp: i * 1000, value }));

describe("cleanInput: status and value filter", () => {
  it("keeps only Good points by default", () => {
    const r = kept([
      { timestamp: 1, value: 1 },
      { timestamp: 2, value: 2, status: STATUS_UNCERTAIN },
      { timestamp: 3, value: 3, status: STATUS_BAD },
      { timestamp: 4, value: 4, status: 0x3fffffff },
    ]);
    expect(r.t).toEqual([1, 4]);
  });

  it("keeps Uncertain points too when asked, never Bad ones", () => {
    const r = kept(
      [
        { timestamp: 1, value: 1 },
        { timestamp: 2, value: 2, status: STATUS_UNCERTAIN + 5 },
        { timestamp: 3, value: 3, status: STATUS_BAD },
      ],
      [],
      true,
    );
    expect(r.t).toEqual([1, 2]);
  });

  it("a later Bad point at a timestamp removes the earlier Good value (dedupe before filtering)", () => {
    const r = kept([
      { timestamp: 1, value: 1 },
      { timestamp: 2, value: 2 },
      { timestamp: 2, value: 20, status: STATUS_BAD },
    ]);
    expect(r).toEqual({ t: [1], v: [1] });
  });

  it("drops empty and non-finite values", () => {
    const r = kept([
      { timestamp: 1, value: null },
      { timestamp: 2, value: Number.NaN },
      { timestamp: 3, value: Number.POSITIVE_INFINITY },
      { timestamp: 4, value: Number.NEGATIVE_INFINITY },
      { timestamp: 5, value: 5 },
    ]);
    expect(r).toEqual({ t: [5], v: [5] });
  });
});

describe("cleanInput: range", () => {
  it("drops values outside [lo, hi] and keeps the bounds", () => {
    expect(kept(series([-1, 0, 250, 500, 501]), [{ range: [0, 500] }]).v).toEqual([0, 250, 500]);
  });

  it("keeps everything when all values are in range", () => {
    expect(kept(series([1, 2, 3]), [{ range: [0, 5] }]).v).toEqual([1, 2, 3]);
  });
});

describe("cleanInput: spike (Hampel)", () => {
  it("drops a lone spike on a flat signal (MAD 0: a value that occurs once and is not the median)", () => {
    expect(kept(series([1, 1, 10, 1, 1]), [{ spike: { window: 5, k: 3 } }]).v).toEqual([1, 1, 1, 1]);
    expect(kept(series([1, 10, 1]), [{ spike: { window: 3, k: 3 } }]).v).toEqual([1, 1]);
  });

  it("keeps a signal that alternates between two levels (MAD 0, each level occurs more than once)", () => {
    const twoLevel = Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? 9.9 : 10.1));
    // Window 3 cannot: [9.9, 10.1, 9.9] is a lone 10.1 between two 9.9s (README, Cleaning).
    for (const window of [5, 7, 9, 11]) {
      expect(kept(series(twoLevel), [{ spike: { window, k: 3 } }]).v).toEqual(twoLevel);
    }
  });

  it("with MAD 0, drops a value seen once in the neighbourhood even when it is close to the median", () => {
    // Window around 10.3: [10, 10, 10, 10.3, 10, 10, 9.7], median 10, MAD 0; 10.3 and 9.7 occur once.
    expect(
      kept(series([10, 10, 10, 10.3, 10, 10, 9.7, 10, 10, 10]), [{ spike: { window: 7, k: 3 } }]).v,
    ).toEqual([10, 10, 10, 10, 10, 10, 10, 10]);
  });

  it("keeps a point within k scaled MADs of the median", () => {
    // Window around 14 (index 2): [10, 12, 14, 11, 13] median 12, |x-12| = [2,0,2,1,1] MAD 1,
    // limit 3 * 1.4826 * 1 = 4.45 > |14 - 12| = 2: kept. Every other point is within its window too.
    expect(kept(series([10, 12, 14, 11, 13]), [{ spike: { window: 5, k: 3 } }]).v).toEqual([
      10, 12, 14, 11, 13,
    ]);
  });

  it("drops a point more than k scaled MADs from the median", () => {
    // Window around 30 (index 2): [10, 12, 30, 11, 13] median 12, deviations [2,0,18,1,1] MAD 1,
    // limit 4.45 < 18: dropped. Index 3 (11): window [12,30,11,13] median 12.5, deviations
    // [0.5,17.5,1.5,0.5] MAD 1, |11 - 12.5| = 1.5 < 4.45: kept.
    expect(kept(series([10, 12, 30, 11, 13]), [{ spike: { window: 5, k: 3 } }]).v).toEqual([10, 12, 11, 13]);
  });

  it("truncates the window at the series' ends", () => {
    // First point: window [100, 1, 1] (itself and the two after), median 1, MAD 0: dropped.
    expect(kept(series([100, 1, 1, 1]), [{ spike: { window: 5, k: 3 } }]).v).toEqual([1, 1, 1]);
  });

  it("decides every point on the step's input, not on the output so far", () => {
    // Two adjacent spikes in window 3: around index 2, [1, 9, 9] median 9 MAD 0 -> 9 kept; an
    // iterative filter would have removed the first 9 and then judged the second against 1s.
    expect(kept(series([1, 1, 9, 9, 1, 1]), [{ spike: { window: 3, k: 3 } }]).v).toEqual([1, 1, 9, 9, 1, 1]);
  });
});

describe("cleanInput: flatline", () => {
  it("drops the repeats of a run longer than the duration, keeping its first point", () => {
    // Run of 5 at t = 1000..4000: span 3000 > 2000.
    expect(kept(series([1, 5, 5, 5, 5, 2]), [{ flatline: { durationMs: 2000 } }])).toEqual({
      t: [0, 1000, 5000],
      v: [1, 5, 2],
    });
  });

  it("keeps a run that lasts exactly the duration", () => {
    // Run of 5 at t = 1000..3000: span 2000, not > 2000.
    expect(kept(series([1, 5, 5, 5, 2]), [{ flatline: { durationMs: 2000 } }]).v).toEqual([1, 5, 5, 5, 2]);
  });

  it("judges a run at the end of the series too", () => {
    expect(kept(series([1, 7, 7, 7, 7]), [{ flatline: { durationMs: 1000 } }]).v).toEqual([1, 7]);
  });
});

describe("cleanInput: step order", () => {
  it("runs the steps in the order written, each on the previous one's output", () => {
    // range first removes the 1000, so the 7s become one run 0..4000 (> 3000): only the first stays.
    const points = series([7, 7, 1000, 7, 7]);
    expect(kept(points, [{ range: [0, 100] }, { flatline: { durationMs: 3000 } }]).v).toEqual([7]);
    // flatline first sees runs of 1000 ms only; then range drops the 1000.
    expect(kept(points, [{ flatline: { durationMs: 3000 } }, { range: [0, 100] }]).v).toEqual([7, 7, 7, 7]);
  });
});
