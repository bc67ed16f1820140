import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { aggregatePushdown } from "../src/aggregatePushdown.js";
import { computeKpis } from "../src/engine.js";
import type { KpiDefinition } from "../src/kpiDefinition.js";
import { STATUS_BAD, STATUS_UNCERTAIN, type WindowSpec } from "../src/model.js";
import { parseKpiConfig } from "../src/parseKpiConfig.js";
import type { DatapointSource } from "../src/ports.js";
import { readInputs } from "../src/readInputs.js";
import { InMemoryDatapointStore } from "../src/testing/index.js";
import { windowContaining, windowsBetween } from "../src/window.js";
import { AggregatingStore } from "./aggregatingStore.js";

const M = 60_000;
const H = 3_600_000;

function kpis(
  ...defs: Array<{ value: string; window?: object; inputs?: Record<string, object> }>
): KpiDefinition[] {
  return parseKpiConfig({
    kpis: defs.map((d, i) => ({
      externalId: `kpi:${i}`,
      window: d.window ?? { every: "10m" },
      inputs: d.inputs ?? { x: { externalId: "x" } },
      value: d.value,
    })),
  });
}

const one = (value: string, window?: object, inputs?: Record<string, object>) =>
  kpis({ value, ...(window ? { window } : {}), ...(inputs ? { inputs } : {}) })[0]!;

describe("aggregatePushdown: which KPIs take CDF's aggregates", () => {
  it.each([
    ["count(x)", { every: "10m" }, "10m"],
    ["max(x) - min(x)", { every: "1h" }, "1h"],
    // A 15-minute offset: an hour granularity would start on the whole hour, minutes start on the window.
    ["max(x)", { every: "1h", offset: "15m" }, "60m"],
    ["min(x)", { every: "90m" }, "90m"],
    ["min(x)", { every: "48h" }, "48h"],
    ["count(x) / windowSeconds", { every: "30s" }, "30s"],
  ])("%s on %j asks for granularity %s", (value, window, granularity) => {
    const p = aggregatePushdown(one(value, window));
    expect(p).toMatchObject({ granularity, timeZone: undefined });
  });

  it("calendar days and months without offset follow the KPI's time zone", () => {
    expect(aggregatePushdown(one("max(x)", { every: "1d", timeZone: "Europe/Oslo" }))).toMatchObject({
      granularity: "1d",
      timeZone: "Europe/Oslo",
    });
    expect(aggregatePushdown(one("count(x)", { every: "1mo", timeZone: "Europe/Oslo" }))).toMatchObject({
      granularity: "1mo",
      timeZone: "Europe/Oslo",
    });
    expect(aggregatePushdown(one("count(x)", { every: "1d" }))).toMatchObject({
      granularity: "1d",
      timeZone: undefined,
    });
  });

  it.each([
    ["sum(x)", { every: "10m" }, "CDF adds in another order"],
    ["mean(x)", { every: "10m" }, "a sum inside"],
    ["twa(x)", { every: "10m" }, "interpolation rules differ"],
    ["max(x) + twa(x)", { every: "10m" }, "one aggregate needs raw points"],
    ["first(x)", { every: "10m" }, "no CDF aggregate"],
    ["max(x)", { every: "3h", offset: "15m" }, "180m is over CDF's 120 minutes, 3h starts on the hour"],
    ["max(x)", { every: "1d", offset: "6h", timeZone: "Europe/Oslo" }, "CDF's days start at midnight"],
    ["max(x)", { every: "1w" }, "no week granularity"],
    ["2 * 3", { every: "10m" }, "no aggregate at all"],
  ])("%s on %j is read raw: %s", (value, window, _why) => {
    expect(aggregatePushdown(one(value, window))).toBeUndefined();
  });

  it("an input with clean steps is read raw; an unused one does not matter", () => {
    expect(
      aggregatePushdown(one("max(x)", undefined, { x: { externalId: "x", clean: [{ range: [0, 10] }] } })),
    ).toBeUndefined();
    const p = aggregatePushdown(
      one("max(x)", undefined, {
        x: { externalId: "x" },
        y: { externalId: "y", clean: [{ range: [0, 10] }] },
      }),
    );
    expect(p?.inputs.map((i) => i.name)).toEqual(["x"]);
  });

  it("the status filter is part of the table key, so Good-only and Good+Uncertain never share numbers", () => {
    const p = aggregatePushdown(
      one("max(x) - max(y)", undefined, {
        x: { externalId: "s" },
        y: { externalId: "s", uncertain: true },
      }),
    )!;
    expect(p.tableKey(p.inputs[0]!)).not.toBe(p.tableKey(p.inputs[1]!));
  });

  it("a span fits only when it starts and ends on window boundaries (CDF's first interval starts at the query's start)", () => {
    const t0 = Date.UTC(2024, 0, 1);
    const quarterPast = aggregatePushdown(one("max(x)", { every: "1h", offset: "15m" }))!;
    expect(quarterPast.fits(t0 + 15 * M, t0 + 3 * H + 15 * M)).toBe(true);
    expect(quarterPast.fits(t0, t0 + 3 * H + 15 * M)).toBe(false);
    expect(quarterPast.fits(t0 + 15 * M, t0 + 3 * H)).toBe(false);
    expect(quarterPast.fits(t0 + 15 * M, t0 + 15 * M)).toBe(false);
    const oslo = aggregatePushdown(one("max(x)", { every: "1d", timeZone: "Europe/Oslo" }))!;
    const midnight = Date.UTC(2023, 11, 31, 23);
    expect(oslo.fits(midnight, midnight + 48 * H)).toBe(true);
    expect(oslo.fits(midnight + H, midnight + 48 * H)).toBe(false);
    expect(oslo.fits(midnight, midnight + 47 * H)).toBe(false);
  });

  it("Oslo's DST days fit (the change is hours from midnight); zones changing at midnight or off the quarter hour do not", () => {
    const oslo = aggregatePushdown(one("max(x)", { every: "1d", timeZone: "Europe/Oslo" }))!;
    const spring = Date.UTC(2024, 2, 30, 23); // 2024-03-31 00:00 CET: a 23 h day
    const autumn = Date.UTC(2024, 9, 26, 22); // 2024-10-27 00:00 CEST: a 25 h day
    expect(oslo.fits(spring, spring + 23 * H)).toBe(true);
    expect(oslo.fits(autumn, autumn + 25 * H)).toBe(true);
    // Santiago's clocks change at midnight: which instant starts that day is a matter of convention.
    const santiago = aggregatePushdown(one("max(x)", { every: "1d", timeZone: "America/Santiago" }))!;
    const before = Date.UTC(2024, 8, 5, 4); // 2024-09-05 00:00 -04
    expect(santiago.fits(before, before + 2 * 24 * H)).toBe(true);
    const change = Date.UTC(2024, 8, 8, 4); // 2024-09-08 begins at 01:00 -03, the instant 2024-09-08 04:00Z
    expect(santiago.fits(change - 24 * H, change + 23 * H)).toBe(false);
    // Monrovia kept -00:44:30 until 1972: CDF refuses offsets that are not whole quarter hours.
    const monrovia = aggregatePushdown(one("max(x)", { every: "1d", timeZone: "Africa/Monrovia" }))!;
    const day = { kind: "calendar", unit: "day", offsetMs: 0, timeZone: "Africa/Monrovia" } as const;
    const old = windowContaining(day, Date.UTC(1969, 0, 10));
    expect(monrovia.fits(old.start, old.end)).toBe(false);
    const now = windowContaining(day, Date.UTC(2024, 0, 10));
    expect(monrovia.fits(now.start, now.end)).toBe(true);
  });
});

const T0 = Date.UTC(2024, 0, 1);
const grids = new Map<string, WindowSpec>([
  ["10m/UTC", { kind: "fixed", everyMs: 10 * M, offsetMs: 0 }],
  ["1h/UTC", { kind: "fixed", everyMs: H, offsetMs: 0 }],
]);

describe("readInputs and computeKpis with a source that aggregates", () => {
  const point = fc.record({
    minute: fc.integer({ min: 0, max: 179 }),
    value: fc.integer({ min: -50, max: 50 }).map((v) => v / 4),
    status: fc.constantFrom(0, 0, 0, STATUS_UNCERTAIN, STATUS_BAD),
  });

  it("pushed-down KPIs give the raw path's datapoints, beside raw KPIs on the same series", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(point, { maxLength: 60 }),
        fc.array(point, { maxLength: 60 }),
        async (xs, ys) => {
          const defs = kpis(
            { value: "max(x) - min(x)" },
            {
              value: "count(x) + count(y)",
              inputs: { x: { externalId: "x" }, y: { externalId: "y", uncertain: true } },
            },
            { value: "twa(x)" },
            {
              value: "min(y) / max(x)",
              window: { every: "1h" },
              inputs: { x: { externalId: "x" }, y: { externalId: "y" } },
            },
          );
          const store = new AggregatingStore(grids);
          for (const [ref, rows] of [
            ["x", xs],
            ["y", ys],
          ] as const) {
            store.insert(
              { externalId: ref },
              rows.map((p) => ({ timestamp: T0 + p.minute * M + 7_000, value: p.value, status: p.status })),
            );
          }
          const spans = defs.map((kpi) => ({ kpi, from: T0, to: T0 + 3 * H }));
          const requests = defs.map((kpi) => ({ kpi, windows: windowsBetween(kpi.window, T0, T0 + 3 * H) }));
          const pushed = computeKpis(requests, await readInputs(store, spans));
          const raw = computeKpis(requests, await readInputs(store, spans, undefined, { pushdown: false }));
          expect(pushed).toEqual(raw);
          // One aggregate call, for the three KPIs that qualify (x and y at 10m, x and y at 1h, y with Uncertain).
          expect(store.aggregateRequests).toHaveLength(1);
          expect(
            store.aggregateRequests[0]!.map((r) => [r.series, r.granularity, r.includeUncertain]),
          ).toEqual([
            [{ externalId: "x" }, "10m", false],
            [{ externalId: "y" }, "10m", true],
            [{ externalId: "x" }, "1h", false],
            [{ externalId: "y" }, "1h", false],
          ]);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("a KPI asked raw is computed from raw points, not from a table another KPI of the batch pushed", async () => {
    // The aggregates lag: they miss the fresh point 100 that the raw path has.
    const stale = new InMemoryDatapointStore();
    const store = new AggregatingStore(grids, stale);
    const old = Array.from({ length: 60 }, (_, k) => ({ timestamp: T0 + k * M, value: 1 }));
    store.insert({ externalId: "x" }, [...old, { timestamp: T0 + 35 * M, value: 100 }]);
    stale.insert({ externalId: "x" }, old);
    const [settled, fresh] = kpis({ value: "count(x)" }, { value: "max(x)" });
    const windows = windowsBetween(settled!.window, T0, T0 + H);
    const series = await readInputs(store, [
      { kpi: settled!, from: T0, to: T0 + H },
      { kpi: fresh!, from: T0, to: T0 + H, raw: true },
    ]);
    const [, got] = computeKpis(
      [
        { kpi: settled!, windows },
        { kpi: fresh!, windows },
      ],
      series,
    );
    expect(got!.map((d) => (d.status === "Good" ? d.value : Number.NaN))).toEqual([1, 1, 1, 100, 1, 1]);
  });

  it("spans of one grid are read together only when the range between them fits too", async () => {
    const zone = "America/Santiago";
    const store = new AggregatingStore(
      new Map([["1d/America/Santiago", { kind: "calendar", unit: "day", offsetMs: 0, timeZone: zone }]]),
    );
    const day = (d: number) => Date.UTC(2024, 8, d, 4); // local midnight, -04:00, before 8 September
    store.insert({ externalId: "x" }, [
      { timestamp: day(5) + H, value: 1 },
      { timestamp: day(10) + H, value: 2 },
    ]);
    const [a, b] = kpis(
      { value: "max(x)", window: { every: "1d", timeZone: zone } },
      { value: "count(x)", window: { every: "1d", timeZone: zone } },
    );
    // 8 September starts at 01:00 (clocks go from 00:00 to 01:00): between the two spans.
    const late = Date.UTC(2024, 8, 10, 3); // 10 September 00:00 -03:00
    const spans = [
      { kpi: a!, from: day(5), to: day(7) },
      { kpi: b!, from: late, to: late + 48 * H },
    ];
    const series = await readInputs(store, spans);
    expect(store.aggregateRequests[0]!.map((r) => [r.start, r.end])).toEqual([
      [day(5), day(7)],
      [late, late + 48 * H],
    ]);
    const requests = spans.map(({ kpi, from, to }) => ({
      kpi,
      windows: windowsBetween(kpi.window, from, to),
    }));
    expect(computeKpis(requests, series)).toEqual(
      computeKpis(requests, await readInputs(store, spans, undefined, { pushdown: false })),
    );
  });

  it("a series read only as aggregates is never mistaken for a series without points", async () => {
    const store = new AggregatingStore(grids);
    store.insert({ externalId: "x" }, [{ timestamp: T0, value: 5 }]);
    const [pushedKpi] = kpis({ value: "max(x)" });
    const series = await readInputs(store, [{ kpi: pushedKpi!, from: T0, to: T0 + H }]);
    expect(series.get("x")?.pointsRead).toBe(false);
    // The same series, asked by a KPI that needs raw points, must fail loudly rather than compute "no points".
    const [rawKpi] = kpis({ value: "twa(x)" });
    expect(() => computeKpis([{ kpi: rawKpi!, windows: [{ start: T0, end: T0 + 10 * M }] }], series)).toThrow(
      /read as CDF aggregates only/,
    );
  });

  it("an interval that does not start a window fails the computation instead of giving a number", async () => {
    const skewed: DatapointSource = {
      read: async () => [],
      aggregates: async () => [
        {
          isStep: false,
          intervals: {
            length: 1,
            starts: Float64Array.of(T0 + 5 * M),
            count: Float64Array.of(1),
            min: Float64Array.of(1),
            max: Float64Array.of(1),
          },
        },
      ],
    };
    const [k] = kpis({ value: "max(x)" });
    const series = await readInputs(skewed, [{ kpi: k!, from: T0, to: T0 + 10 * M }]);
    expect(() => computeKpis([{ kpi: k!, windows: [{ start: T0, end: T0 + 10 * M }] }], series)).toThrow(
      /lies inside window/,
    );
  });
});
