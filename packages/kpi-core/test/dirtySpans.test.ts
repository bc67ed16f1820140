import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  changedRegions,
  dirtySpans,
  dirtySpansOfKpis,
  type InputChanges,
  type Span,
} from "../src/dirtySpans.js";
import type { KpiDefinition } from "../src/kpiDefinition.js";
import type { Window } from "../src/model.js";
import { windowsOfSpans } from "../src/plan.js";
import type { PointInput } from "../src/points.js";
import { InMemoryDatapointStore } from "../src/testing/index.js";
import { hourlyKpi as kpi } from "./hourlyKpi.js";

const H = 3_600_000;
const M = 60_000;
const T0 = Date.UTC(2024, 0, 1); // the KPIs' start

const hours = (windows: Iterable<Window>) => [...windows].map((w) => (w.start - T0) / H);

type Data = Record<string, { points: PointInput[]; isStep?: boolean }>;

/** The dirty windows (in hours from T0) after these changes, over this data as it is now. */
async function dirty(
  k: KpiDefinition,
  changes: InputChanges | InputChanges[],
  data: Data = {},
  now = T0 + 48 * H,
) {
  const store = new InMemoryDatapointStore();
  for (const input of k.inputs) store.insert(input.series, [], {});
  for (const [name, { points, isStep }] of Object.entries(data)) {
    store.insert({ externalId: name }, points, isStep === undefined ? {} : { isStep });
  }
  const spans = await dirtySpans(store, k, Array.isArray(changes) ? changes : [changes], now);
  return hours(windowsOfSpans(k, spans, now));
}

const at = (...hs: number[]): PointInput[] => hs.map((h) => ({ timestamp: T0 + h * H, value: h }));
const upsert = (...hs: number[]): InputChanges => ({
  timestamps: hs.map((h) => T0 + h * H),
  deletedRanges: [],
});

describe("dirtySpans and windowsOfSpans", () => {
  it("marks the window containing a changed point and its neighbours within maxGap (linear, 1 h default)", async () => {
    // A point at 05:30 takes part in segments reaching 04:30 .. 06:30: windows 4, 5, 6.
    expect(await dirty(kpi(), upsert(5.5), { x: { points: at(5.5) } })).toEqual([4, 5, 6]);
  });

  it("a point on a window boundary with maxGap 1h touches only the windows the segments cross", async () => {
    // 05:00 exactly: segments within [04:00, 06:00] -> windows 4 and 5; window 6 only meets an end.
    expect(await dirty(kpi(), upsert(5), { x: { points: at(5) } })).toEqual([4, 5]);
  });

  it("uses the input's maxGap for the reach of linear segments", async () => {
    const wide = kpi({ inputs: { x: { externalId: "x", maxGap: "3h" } } });
    expect(await dirty(wide, upsert(5.5))).toEqual([2, 3, 4, 5, 6, 7, 8]);
    const narrow = kpi({ inputs: { x: { externalId: "x", maxGap: "10m" } } });
    expect(await dirty(narrow, upsert(5.5))).toEqual([5]);
  });

  it("a linear input's change between kept points a minute away dirties only the windows between them", async () => {
    // 05:29 and 05:31 bound the segments through 05:30: window 5 alone, not 4 and 6 (maxGap's reach).
    const m = 1 / 60;
    expect(await dirty(kpi(), upsert(5.5), { x: { points: at(5.5 - m, 5.5, 5.5 + m) } })).toEqual([5]);
  });

  it("points appended after the last kept point dirty nothing before that point's window", async () => {
    // Minute data up to 06:00, then 06:01..06:09 arrive: window 5 ends at 06:00, where its last
    // segment ends, so only window 6 changes (the scheduled call's case).
    const m = 1 / 60;
    const old = Array.from({ length: 61 }, (_, i) => 5 + i * m);
    const appended = Array.from({ length: 9 }, (_, i) => 6 + (i + 1) * m);
    // At 07:12 window 7 is still open; its reach from 06:09 is the next call's business.
    expect(
      await dirty(kpi(), upsert(...appended), { x: { points: at(...old, ...appended) } }, T0 + 7.2 * H),
    ).toEqual([6]);
  });

  it("a change before a window whose first kept point comes a minute after its start dirties that window", async () => {
    // 05:59 changes the segment 05:58 -> 06:01, which crosses into window 6.
    const m = 1 / 60;
    expect(await dirty(kpi(), upsert(6 - m), { x: { points: at(6 - 2 * m, 6 - m, 6 + m) } })).toEqual([5, 6]);
  });

  it("a linear input's change whose neighbours lie farther than maxGap keeps maxGap's reach", async () => {
    const narrow = kpi({ inputs: { x: { externalId: "x", maxGap: "20m" } } });
    // Neighbours at 04:00 and 07:00 are beyond 20 minutes: windows within 20 minutes of 05:50.
    expect(await dirty(narrow, upsert(5 + 50 / 60), { x: { points: at(4, 5 + 50 / 60, 7) } })).toEqual([
      5, 6,
    ]);
  });

  it("marks windows overlapping a deleted range widened by maxGap", async () => {
    const deleted = { timestamps: [], deletedRanges: [{ start: T0 + 10 * H, end: T0 + 12 * H }] };
    expect(await dirty(kpi(), deleted)).toEqual([9, 10, 11, 12]);
  });

  it("a step input's change reaches up to the next kept point after it, past Bad ones", async () => {
    const step = kpi({ inputs: { x: { externalId: "x", step: true } } });
    const points = [...at(5.5, 9.5), { timestamp: T0 + 7 * H, value: null, status: 2147483648 }];
    expect(await dirty(step, upsert(5.5), { x: { points } })).toEqual([5, 6, 7, 8, 9]);
  });

  it("a step input's change with no later point holds through every closed window", async () => {
    const step = kpi({ inputs: { x: { externalId: "x", step: true } } });
    expect(await dirty(step, upsert(40.5), { x: { points: at(40.5) } }, T0 + 45 * H)).toEqual([
      40, 41, 42, 43, 44,
    ]);
  });

  it("a step input's hold is capped by its maxGap", async () => {
    const step = kpi({ inputs: { x: { externalId: "x", step: true, maxGap: "2h" } } });
    expect(await dirty(step, upsert(5.5), { x: { points: at(5.5) } })).toEqual([5, 6, 7]);
  });

  it("treats a series CDF marks isStep as step", async () => {
    expect(await dirty(kpi(), upsert(5.5), { x: { points: at(5.5, 7.5), isStep: true } })).toEqual([5, 6, 7]);
  });

  it("a deleted range on a step input reaches to the next point after it", async () => {
    const step = kpi({ inputs: { x: { externalId: "x", step: true } } });
    const deleted = { timestamps: [], deletedRanges: [{ start: T0 + 10 * H, end: T0 + 11 * H }] };
    expect(await dirty(step, deleted, { x: { points: at(9, 13.5) } })).toEqual([10, 11, 12, 13]);
  });

  it("delta() makes the window holding the next kept point dirty, however far", async () => {
    const counter = kpi({
      inputs: { n: { externalId: "n", counter: true, maxGap: "10m" } },
      value: "delta(n)",
    });
    expect(await dirty(counter, upsert(5.5), { n: { points: at(5.5, 9.25) } })).toEqual([5, 6, 7, 8, 9]);
    expect(await dirty(counter, upsert(5.5), { n: { points: at(5.5) } })).toEqual([5]);
  });

  it("a late point that extends a flatline run marks every window of the run", async () => {
    // 7 at 00:30, 01:30, 02:30 spans 2 h (kept at flatline 2h); a late 7 at 03:30 makes the run
    // 3 h long, so 01:30 and 02:30 are dropped now: windows 1 and 2 change, not only 2 .. 4.
    const flat = kpi({
      inputs: { x: { externalId: "x", clean: [{ flatline: { duration: "2h" } }], maxGap: "10m" } },
      value: "count(x)",
    });
    const points = [0.5, 1.5, 2.5, 3.5].map((h) => ({ timestamp: T0 + h * H, value: 7 }));
    expect(await dirty(flat, upsert(3.5), { x: { points } })).toEqual([0, 1, 2, 3]);
  });

  it("a late point changes the spike verdicts of its (window - 1) / 2 neighbours on each side", async () => {
    const spiky = kpi({
      inputs: { x: { externalId: "x", clean: [{ spike: { window: 5 } }], maxGap: "10m" } },
      value: "count(x)",
    });
    const points = at(1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5);
    expect(await dirty(spiky, upsert(4.5), { x: { points } })).toEqual([2, 3, 4, 5, 6]);
  });

  it("includes only closed windows: end + settle <= now", async () => {
    expect(await dirty(kpi({ settle: "5m" }), upsert(5.5), {}, T0 + 6 * H + 5 * M)).toEqual([4, 5]);
  });

  it("includes no window before the KPI's start", async () => {
    expect(await dirty(kpi(), upsert(-0.5, 0.25))).toEqual([0, 1]);
  });

  it("returns sorted windows without duplicates for many changes", async () => {
    expect(await dirty(kpi(), upsert(20.5, 5.5, 5.6, 6.1))).toEqual([4, 5, 6, 7, 19, 20, 21]);
  });

  it("ignores changes to an input the value does not use, and applies each input's own rules", async () => {
    const two = kpi({
      inputs: {
        x: { externalId: "x", maxGap: "10m" },
        s: { externalId: "s", step: true, maxGap: "2h" },
        y: { externalId: "y" },
      },
      value: "twa(x) + last(s)",
    });
    expect(await dirty(two, { input: "y", ...upsert(5.5) })).toEqual([]);
    expect(
      await dirty(two, [
        { input: "x", ...upsert(1.5) },
        { input: "s", ...upsert(10.5) },
      ]),
    ).toEqual([1, 10, 11, 12]);
  });

  it("walks millions of dirty windows lazily: a step change 9 years back with no later point", async () => {
    const minutely = kpi({ window: { every: "1m" }, inputs: { x: { externalId: "x", step: true } } });
    const now = T0 + 9 * 365 * 24 * H;
    const store = new InMemoryDatapointStore();
    store.insert({ externalId: "x" }, [{ timestamp: T0 + H, value: 1 }]);
    const spans = await dirtySpans(store, minutely, [upsert(1)], now);
    expect(spans).toEqual([{ from: T0 + H, to: now }]);
    const walk = windowsOfSpans(minutely, spans, now);
    expect(walk.next().value).toEqual({ start: T0 + H, end: T0 + H + M });
  });
});

describe("dirtySpansOfKpis", () => {
  it("tells deleted ranges apart that JSON would spell alike, when the changes share a timestamps array", async () => {
    const store = new InMemoryDatapointStore();
    store.insert({ externalId: "x" }, at(1, 2, 3));
    const none: number[] = [];
    const end = T0 + 4 * H;
    const spans = await dirtySpansOfKpis(
      store,
      [
        { kpi: kpi(), changes: [{ timestamps: none, deletedRanges: [{ start: Number.NaN, end }] }] },
        {
          kpi: kpi(),
          changes: [{ timestamps: none, deletedRanges: [{ start: Number.NEGATIVE_INFINITY, end }] }],
        },
      ],
      T0 + 48 * H,
    );
    expect(spans[0]).toEqual([]);
    expect(hours(windowsOfSpans(kpi(), spans[1]!, T0 + 48 * H))).toEqual([0, 1, 2, 3, 4]);
  });
});

describe("changedRegions", () => {
  const M = 60_000;
  it("covers every changed point and deleted range, keeps at most the limit, and joins nothing under it", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 10_000 }), { maxLength: 60 }),
        fc.array(
          fc.record({ start: fc.integer({ min: 0, max: 10_000 }), length: fc.integer({ min: 0, max: 50 }) }),
          {
            maxLength: 5,
          },
        ),
        fc.integer({ min: 1, max: 80 }),
        (minutes, deletions, max) => {
          const change: InputChanges = {
            timestamps: minutes.map((m) => T0 + m * M),
            deletedRanges: deletions.map((d) => ({
              start: T0 + d.start * M,
              end: T0 + (d.start + d.length) * M,
            })),
          };
          const exact = changedRegions([change], Number.POSITIVE_INFINITY);
          const capped = changedRegions([change], max);
          const covers = (spans: Span[], from: number, to: number) =>
            spans.some((s) => s.from <= from && to <= s.to);
          for (const t of change.timestamps) expect(covers(capped, t, t + 1)).toBe(true);
          for (const r of change.deletedRanges)
            if (r.end > r.start) expect(covers(capped, r.start, r.end)).toBe(true);
          expect(capped.length).toBeLessThanOrEqual(Math.max(max, 1));
          if (exact.length <= max) expect(capped).toEqual(exact);
          for (let i = 1; i < capped.length; i++) expect(capped[i]!.from).toBeGreaterThan(capped[i - 1]!.to);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe("changedRegions joins changed points at most a window apart", () => {
  it("joins points exactly a window apart, not a window and 1 ms apart (a window could fit between those)", () => {
    const W = 600_000;
    const t = 1_700_000_000_000;
    const regions = (gap: number) =>
      changedRegions([{ timestamps: [t, t + gap], deletedRanges: [] }], 20_000, W);
    expect(regions(W)).toEqual([{ from: t, to: t + W + 1 }]);
    expect(regions(W + 1)).toEqual([
      { from: t, to: t + 1 },
      { from: t + W + 1, to: t + W + 2 },
    ]);
    // Unjoined (0), only points 1 ms apart or less are one region.
    expect(changedRegions([{ timestamps: [t, t + 1, t + 3], deletedRanges: [] }])).toEqual([
      { from: t, to: t + 2 },
      { from: t + 3, to: t + 4 },
    ]);
  });
});
