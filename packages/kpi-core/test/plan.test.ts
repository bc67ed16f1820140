import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseKpiConfig } from "../src/definition.js";
import type { KpiDefinition, Window } from "../src/model.js";
import { allClosedWindows, dirtyWindows, dueWindows } from "../src/plan.js";

const H = 3_600_000;
const M = 60_000;
const T0 = Date.UTC(2024, 0, 1); // the KPIs' start

function kpi(overrides: Record<string, unknown> = {}): KpiDefinition {
  return parseKpiConfig({
    kpis: [
      {
        externalId: "kpi",
        window: { every: "1h" },
        start: "2024-01-01T00:00:00Z",
        inputs: { x: { externalId: "x" } },
        value: "twa(x)",
        ...overrides,
      },
    ],
  })[0]!;
}

const hours = (windows: Window[]) => windows.map((w) => (w.start - T0) / H);

describe("dueWindows", () => {
  const hourly = kpi({ settle: "5m" });

  it("starts at the KPI's start when nothing is finalized", () => {
    const due = dueWindows(hourly, undefined, T0 + 3 * H + 5 * M);
    expect(hours(due.windows)).toEqual([0, 1, 2]);
    expect(due.backlog).toBe(0);
  });

  it("leaves out a window that has ended but not settled", () => {
    expect(hours(dueWindows(hourly, undefined, T0 + 3 * H + 5 * M - 1).windows)).toEqual([0, 1]);
  });

  it("continues after the last finalized window and catches up skipped runs", () => {
    // Last run finalized 01:00; runs at 02:05 and 03:05 were skipped; now is 04:10.
    expect(hours(dueWindows(hourly, T0 + H, T0 + 4 * H + 10 * M).windows)).toEqual([2, 3]);
  });

  it("returns nothing when the last finalized window is the latest closed one", () => {
    expect(dueWindows(hourly, T0 + 2 * H, T0 + 3 * H + 10 * M)).toEqual({ windows: [], backlog: 0 });
  });

  it("bounds a run by maxWindows and reports the rest as backlog", () => {
    const due = dueWindows(hourly, undefined, T0 + 24 * H + 5 * M, 10);
    expect(hours(due.windows)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(due.backlog).toBe(14);
  });

  it("with maxWindows 0 reports everything as backlog", () => {
    expect(dueWindows(hourly, undefined, T0 + 5 * H + 5 * M, 0)).toEqual({ windows: [], backlog: 5 });
  });

  it("never goes before the KPI's start, even for an older checkpoint", () => {
    expect(hours(dueWindows(hourly, T0 - 10 * H, T0 + H + 5 * M).windows)).toEqual([0]);
  });

  it("gives nothing before the first window has closed", () => {
    expect(dueWindows(hourly, undefined, T0)).toEqual({ windows: [], backlog: 0 });
  });

  it("follows calendar days, so a DST day's window closes 23 hours after it opens", () => {
    const daily = kpi({ window: { every: "1d", timeZone: "Europe/Oslo" }, start: "2024-03-30" });
    // 2024-03-30 00:00 CET = 03-29T23:00Z; 03-31 is 23 h and ends 03-31T22:00Z.
    const due = dueWindows(daily, undefined, Date.UTC(2024, 2, 31, 22));
    expect(due.windows).toEqual([
      { start: Date.UTC(2024, 2, 29, 23), end: Date.UTC(2024, 2, 30, 23) },
      { start: Date.UTC(2024, 2, 30, 23), end: Date.UTC(2024, 2, 31, 22) },
    ]);
  });

  it("rejects a negative maxWindows", () => {
    expect(() => dueWindows(hourly, undefined, T0, -1)).toThrow("maxWindows must be 0 or more, got -1");
  });

  it("due windows in bounded runs add up to all closed windows, without repeats (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 7 }), fc.integer({ min: 0, max: 60 }), (perRun, closedHours) => {
        const now = T0 + closedHours * H + 5 * M;
        const seen: Window[] = [];
        let last: number | undefined;
        for (;;) {
          const due = dueWindows(hourly, last, now, perRun);
          if (due.windows.length === 0) break;
          seen.push(...due.windows);
          last = due.windows[due.windows.length - 1]!.start;
        }
        expect(seen).toEqual(allClosedWindows(hourly, now));
        expect(seen).toHaveLength(closedHours);
      }),
    );
  });
});

describe("dirtyWindows", () => {
  const now = T0 + 48 * H;

  it("marks the window containing a changed point and its neighbours within maxGap (linear, 1 h default)", () => {
    // A point at 05:30 takes part in segments reaching 04:30 .. 06:30: windows 4, 5, 6.
    expect(hours(dirtyWindows(kpi(), { timestamps: [T0 + 5.5 * H], deletedRanges: [] }, { now }))).toEqual([
      4, 5, 6,
    ]);
  });

  it("a point on a window boundary with maxGap 1h touches only the windows the segments cross", () => {
    // 05:00 exactly: segments within (04:00, 06:00) -> windows 4 and 5, not 3 or 6.
    expect(hours(dirtyWindows(kpi(), { timestamps: [T0 + 5 * H], deletedRanges: [] }, { now }))).toEqual([
      4, 5,
    ]);
  });

  it("uses the input's maxGap for the reach of linear segments", () => {
    const wide = kpi({ inputs: { x: { externalId: "x", maxGap: "3h" } } });
    expect(hours(dirtyWindows(wide, { timestamps: [T0 + 5.5 * H], deletedRanges: [] }, { now }))).toEqual([
      2, 3, 4, 5, 6, 7, 8,
    ]);
    const narrow = kpi({ inputs: { x: { externalId: "x", maxGap: "10m" } } });
    expect(hours(dirtyWindows(narrow, { timestamps: [T0 + 5.5 * H], deletedRanges: [] }, { now }))).toEqual([
      5,
    ]);
  });

  it("marks windows overlapping a deleted range widened by maxGap", () => {
    // [10:00, 12:00) deleted: affected (09:00, 12:59:59.999 + 1h) -> windows 9 .. 12.
    const deleted = { timestamps: [], deletedRanges: [{ start: T0 + 10 * H, end: T0 + 12 * H }] };
    expect(hours(dirtyWindows(kpi(), deleted, { now }))).toEqual([9, 10, 11, 12]);
  });

  it("a step input's change reaches up to the next point after it", () => {
    const step = kpi({ inputs: { x: { externalId: "x", step: true } } });
    const nextPointAfter = (_: string, t: number) => (t < T0 + 9.5 * H ? T0 + 9.5 * H : undefined);
    const dirty = dirtyWindows(
      step,
      { timestamps: [T0 + 5.5 * H], deletedRanges: [] },
      { now, nextPointAfter },
    );
    expect(hours(dirty)).toEqual([5, 6, 7, 8, 9]);
  });

  it("a step input's change with no later point holds through every closed window", () => {
    const step = kpi({ inputs: { x: { externalId: "x", step: true } } });
    const dirty = dirtyWindows(
      step,
      { timestamps: [T0 + 40.5 * H], deletedRanges: [] },
      { now: T0 + 45 * H },
    );
    expect(hours(dirty)).toEqual([40, 41, 42, 43, 44]);
  });

  it("a step input's hold is capped by its maxGap", () => {
    const step = kpi({ inputs: { x: { externalId: "x", step: true, maxGap: "2h" } } });
    expect(hours(dirtyWindows(step, { timestamps: [T0 + 5.5 * H], deletedRanges: [] }, { now }))).toEqual([
      5, 6, 7,
    ]);
  });

  it("treats a series CDF marks isStep as step, via the context", () => {
    const dirty = dirtyWindows(
      kpi(),
      { timestamps: [T0 + 5.5 * H], deletedRanges: [] },
      { now, isStep: () => true, nextPointAfter: () => T0 + 7.5 * H },
    );
    expect(hours(dirty)).toEqual([5, 6, 7]);
  });

  it("a deleted range on a step input reaches to the next point after it", () => {
    const step = kpi({ inputs: { x: { externalId: "x", step: true } } });
    const deleted = { timestamps: [], deletedRanges: [{ start: T0 + 10 * H, end: T0 + 11 * H }] };
    const dirty = dirtyWindows(step, deleted, { now, nextPointAfter: () => T0 + 13.5 * H });
    expect(hours(dirty)).toEqual([10, 11, 12, 13]);
  });

  it("delta() makes the window holding the next point dirty, however far", () => {
    const counter = kpi({
      inputs: { n: { externalId: "n", counter: true, maxGap: "10m" } },
      value: "delta(n)",
    });
    const dirty = dirtyWindows(
      counter,
      { timestamps: [T0 + 5.5 * H], deletedRanges: [] },
      { now, nextPointAfter: () => T0 + 9.25 * H },
    );
    expect(hours(dirty)).toEqual([5, 6, 7, 8, 9]);
  });

  it("delta() without nextPointAfter marks the window after the changed point's", () => {
    const counter = kpi({ inputs: { n: { externalId: "n", maxGap: "10m" } }, value: "delta(n)" });
    expect(hours(dirtyWindows(counter, { timestamps: [T0 + 5.5 * H], deletedRanges: [] }, { now }))).toEqual([
      5, 6,
    ]);
  });

  it("delta() with no later point marks only the changed point's window", () => {
    const counter = kpi({ inputs: { n: { externalId: "n", maxGap: "10m" } }, value: "delta(n)" });
    const dirty = dirtyWindows(
      counter,
      { timestamps: [T0 + 5.5 * H], deletedRanges: [] },
      { now, nextPointAfter: () => undefined },
    );
    expect(hours(dirty)).toEqual([5]);
  });

  it("includes only closed windows: end + settle <= now", () => {
    const settled = kpi({ settle: "5m" });
    const dirty = dirtyWindows(
      settled,
      { timestamps: [T0 + 5.5 * H], deletedRanges: [] },
      { now: T0 + 6 * H + 5 * M },
    );
    expect(hours(dirty)).toEqual([4, 5]);
  });

  it("includes no window before the KPI's start", () => {
    expect(
      hours(dirtyWindows(kpi(), { timestamps: [T0 - 0.5 * H, T0 + 0.25 * H], deletedRanges: [] }, { now })),
    ).toEqual([0, 1]);
  });

  it("returns sorted windows without duplicates for many changes", () => {
    const dirty = dirtyWindows(
      kpi(),
      { timestamps: [T0 + 20.5 * H, T0 + 5.5 * H, T0 + 5.6 * H, T0 + 6.1 * H], deletedRanges: [] },
      { now },
    );
    expect(hours(dirty)).toEqual([4, 5, 6, 7, 19, 20, 21]);
  });

  it("ignores changes to an input the value does not use", () => {
    const two = kpi({ inputs: { x: { externalId: "x" }, y: { externalId: "y" } } });
    expect(dirtyWindows(two, { input: "y", timestamps: [T0 + 5.5 * H], deletedRanges: [] }, { now })).toEqual(
      [],
    );
    expect(
      hours(dirtyWindows(two, { input: "x", timestamps: [T0 + 5.5 * H], deletedRanges: [] }, { now })),
    ).toEqual([4, 5, 6]);
  });

  it("applies each input's own rules when changes name their input", () => {
    const two = kpi({
      inputs: { x: { externalId: "x", maxGap: "10m" }, s: { externalId: "s", step: true, maxGap: "2h" } },
      value: "twa(x) + last(s)",
    });
    const dirty = dirtyWindows(
      two,
      [
        { input: "x", timestamps: [T0 + 1.5 * H], deletedRanges: [] },
        { input: "s", timestamps: [T0 + 10.5 * H], deletedRanges: [] },
      ],
      { now },
    );
    expect(hours(dirty)).toEqual([1, 10, 11, 12]);
  });

  it("changed points of a linear input mark exactly the closed windows overlapping (t - 1 h, t + 1 h) of some t, in order (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 47 * H }), { maxLength: 20 }), (offsets) => {
        const dirty = dirtyWindows(
          kpi(),
          { timestamps: offsets.map((o) => T0 + o), deletedRanges: [] },
          { now },
        );
        // Hour k is [k h, k h + 1 h); the closed ones from the start are 0 .. 47.
        const expected = Array.from({ length: 48 }, (_, k) => k).filter((k) =>
          offsets.some((o) => k * H < o + H && (k + 1) * H > o - H),
        );
        expect(hours(dirty)).toEqual(expected);
      }),
    );
  });
});

describe("allClosedWindows", () => {
  it("lists every closed window from the start, the recompute after a config change", () => {
    expect(hours(allClosedWindows(kpi({ settle: "5m" }), T0 + 3 * H + 4 * M))).toEqual([0, 1]);
  });
});
