import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Window } from "../src/model.js";
import { allClosedWindows, dueWindows, firstWindowStart } from "../src/plan.js";
import { hourlyKpi as kpi } from "./hourlyKpi.js";

const H = 3_600_000;
const M = 60_000;
const T0 = Date.UTC(2024, 0, 1); // the KPIs' start

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

describe("a KPI without start (live from its first run)", () => {
  const live = kpi({ start: undefined, settle: "5m" });

  it("has as first window the first that closes after the first run", () => {
    // First run at 03:02: window 2 closed at 03:05, after the run, so it is the first.
    expect(firstWindowStart(live, T0 + 3 * H + 2 * M)).toBe(T0 + 2 * H);
    // First run at 03:05 exactly: window 2 closed then, so the first is window 3.
    expect(firstWindowStart(live, T0 + 3 * H + 5 * M)).toBe(T0 + 3 * H);
  });

  it("has no due window in its first run, and each window from then on in later runs", () => {
    const since = T0 + 3 * H + 7 * M;
    expect(dueWindows(live, undefined, since, Number.POSITIVE_INFINITY, since).windows).toEqual([]);
    expect(
      hours(dueWindows(live, undefined, T0 + 6 * H + 5 * M, Number.POSITIVE_INFINITY, since).windows),
    ).toEqual([3, 4, 5]);
  });

  it("needs the first run's time", () => {
    expect(() => firstWindowStart(live, undefined)).toThrow(
      /KPI kpi has no start; give the time of its first run/,
    );
  });
});

describe("allClosedWindows", () => {
  it("lists every closed window from the start, the recompute after a config change", () => {
    expect(hours(allClosedWindows(kpi({ settle: "5m" }), T0 + 3 * H + 4 * M))).toEqual([0, 1]);
  });
});
