import type { TestEmulator } from "@kpi-pipeline/cdf-emulator/testing";
import {
  aggregatePushdown,
  computeKpis,
  type KpiDefinition,
  parseKpiConfig,
  readInputs,
  STATUS_BAD,
  STATUS_UNCERTAIN,
  windowsBetween,
} from "@kpi-pipeline/kpi-core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { CdfConnection } from "../src/cdfConnection.js";
import { CdfDatapointSource } from "../src/cdfDatapointSource.js";
import { readIntervalAggregates } from "../src/readIntervalAggregates.js";
import { cdfOnEmulator } from "./cdfOnEmulator.js";
import { type SeedPoint, seedSeries } from "./seedSeries.js";

let t: TestEmulator;
let cdf: CdfConnection;

cdfOnEmulator({ project: "pushdown-test" }, (suite) => {
  ({ t, cdf } = suite);
});

const M = 60_000;
const H = 3_600_000;
// October 2024 in Oslo: local midnight to local midnight, with the 25-hour day of 27 October.
const START = Date.UTC(2024, 8, 30, 22);
const END = Date.UTC(2024, 9, 31, 23);

function kpisOver(x: string, y: { space: string; externalId: string }): KpiDefinition[] {
  const inputs = { x: { externalId: x }, y: { instanceId: y } };
  const withUncertain = { x: { externalId: x }, y: { instanceId: y, uncertain: true } };
  return parseKpiConfig({
    defaults: { timeZone: "Europe/Oslo" },
    kpis: [
      { externalId: "k10m", window: { every: "10m" }, inputs, value: "max(x) - min(x)" },
      {
        externalId: "k1h",
        window: { every: "1h" },
        inputs: withUncertain,
        value: "count(x) + 10 * count(y)",
      },
      { externalId: "k1h15", window: { every: "1h", offset: "15m" }, inputs, value: "max(y)" },
      {
        externalId: "kday",
        window: { every: "1d" },
        inputs: withUncertain,
        value: "min(x) * count(y) - max(y)",
      },
      { externalId: "kmonth", window: { every: "1mo" }, inputs, value: "count(x) / count(y)" },
      // Raw beside pushed on the same series and grid.
      { externalId: "ktwa", window: { every: "10m" }, inputs: { x: inputs.x }, value: "twa(x)" },
    ],
  });
}

// Timestamps on and next to window edges as well as anywhere, so an interval one millisecond off
// would show.
const timestampArb = fc.oneof(
  fc.integer({ min: START, max: END - 1 }),
  fc
    .tuple(fc.integer({ min: 0, max: (END - START) / (10 * M) - 1 }), fc.constantFrom(0, 1, 10 * M - 1))
    .map(([k, jitter]) => START + k * 10 * M + jitter),
  fc.integer({ min: 0, max: 26 }).map((h) => Date.UTC(2024, 9, 27, 0) + h * H - (h % 2)),
);

const pointArb = fc.record({
  timestamp: timestampArb,
  value: fc
    .oneof(fc.double({ min: -1e12, max: 1e12, noNaN: true }), fc.integer({ min: -3, max: 3 }))
    .map((v) => (Object.is(v, -0) ? 0 : v)),
  status: fc.constantFrom(0, 0, 0, STATUS_UNCERTAIN, STATUS_UNCERTAIN + 7, STATUS_BAD, STATUS_BAD + 3),
  omitValue: fc.boolean(),
});

function seedPoint(p: { timestamp: number; value: number; status: number; omitValue: boolean }): SeedPoint {
  const bad = p.status >= STATUS_BAD;
  return {
    timestamp: p.timestamp,
    ...(bad && p.omitValue ? {} : { value: p.value }),
    ...(p.status === 0 ? {} : { status: p.status }),
  };
}

describe("aggregate pushdown on the emulator", () => {
  it("gives the raw path's datapoints for count/min/max KPIs (Bad, Uncertain, overwrites, Oslo days and months, instanceId)", async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(pointArb, { maxLength: 120 }),
        fc.array(pointArb, { maxLength: 120 }),
        // Later writes at the same timestamps: a Bad point over a Good one, and the reverse.
        fc.array(fc.tuple(fc.nat(), pointArb), { maxLength: 20 }),
        fc.integer({ min: 3, max: 10_000 }),
        fc.integer({ min: 1, max: 100 }),
        async (xs, ys, overwrites, aggregatesPerRequest, itemsPerRequest) => {
          run++;
          const x = `px-${run}`;
          const y = { space: "sp", externalId: `py-${run}` };
          await seedSeries(t, [
            { ref: { externalId: x }, points: xs.map(seedPoint) },
            { ref: { instanceId: y }, points: ys.map(seedPoint) },
          ]);
          const again = overwrites.flatMap(([i, p]) => {
            const at = [...xs, ...ys][i % Math.max(1, xs.length + ys.length)];
            return at === undefined ? [] : [{ ...p, timestamp: at.timestamp }];
          });
          await insertAgain(t, [
            { ref: { externalId: x }, points: again.filter((_, i) => i % 2 === 0).map(seedPoint) },
            { ref: { instanceId: y }, points: again.filter((_, i) => i % 2 === 1).map(seedPoint) },
          ]);
          const kpis = kpisOver(x, y);
          const requests = kpis.map((kpi) => ({ kpi, windows: windowsOf(kpi) }));
          const spans = requests.map(({ kpi, windows }) => ({
            kpi,
            from: windows[0]!.start,
            to: windows.at(-1)!.end,
          }));
          const source = new CdfDatapointSource(cdf, { aggregatesPerRequest, itemsPerRequest });
          const pushedStats = { points: 0, requests: 0 };
          const inputs = await readInputs(source, spans, pushedStats);
          const pushed = computeKpis(requests, inputs);
          const raw = computeKpis(requests, await readInputs(source, spans, undefined, { pushdown: false }));
          expect(pushed).toEqual(raw);
          // Every KPI but twa was answered from aggregates: x at 10m, 1h, 1d, 1mo; y at 1h and 1d
          // with Uncertain, and at 1h+15m and 1mo without.
          expect(kpis.filter((k) => aggregatePushdown(k) !== undefined).map((k) => k.key)).toEqual([
            "k10m",
            "k1h",
            "k1h15",
            "kday",
            "kmonth",
          ]);
          expect(inputs.get(x)?.aggregates).toHaveLength(4);
          expect(inputs.get(`sp\u001f${y.externalId}`)?.aggregates).toHaveLength(4);
          expect(inputs.get(`sp\u001f${y.externalId}`)?.pointsRead).toBe(false);
        },
      ),
      { numRuns: 15 },
    );
  }, 120_000);

  it("keeps to 10,000 intervals per request and follows every cursor: 40 series over two days in 10-minute intervals", async () => {
    await t.emulator.control.reset();
    const day = Date.UTC(2030, 0, 1);
    const refs = Array.from({ length: 40 }, (_, i) => ({ externalId: `dense-${i}` }));
    await seedSeries(
      t,
      refs.map((ref, s) => ({
        ref,
        points: Array.from({ length: 2 * 1440 }, (_, i) => ({
          timestamp: day + i * M,
          value: (i * (s + 1)) % 997,
        })),
      })),
    );
    const before = cdf.requestCount;
    const answers = await readIntervalAggregates(
      cdf,
      refs.map((series) => ({
        series,
        start: day,
        end: day + 2 * 86_400_000,
        granularity: "10m",
        includeUncertain: false,
      })),
    );
    // 40 series x 288 intervals = 11,520 intervals: two requests (250 per item, then the rest by cursor).
    expect(cdf.requestCount - before).toBe(2);
    for (const [s, a] of answers.entries()) {
      expect(a.intervals.length).toBe(288);
      expect(Array.from(a.intervals.count)).toEqual(new Array(288).fill(10));
      expect(a.intervals.starts[287]).toBe(day + 287 * 10 * M);
      expect(a.intervals.max[0]).toBe(Math.max(...Array.from({ length: 10 }, (_, i) => (i * (s + 1)) % 997)));
    }
  }, 60_000);

  it("is off with aggregatePushdown: false, and an unknown input is named as on the raw path", async () => {
    expect(new CdfDatapointSource(cdf, { aggregatePushdown: false }).aggregates).toBeUndefined();
    const source = new CdfDatapointSource(cdf);
    await expect(
      source.aggregates!([
        {
          series: { externalId: "nowhere" },
          start: START,
          end: END,
          granularity: "1h",
          includeUncertain: false,
        },
      ]),
    ).rejects.toThrow(/Input time series externalId "nowhere" does not exist in CDF project pushdown-test/);
  });
});

function windowsOf(kpi: KpiDefinition) {
  return windowsBetween(kpi.window, START, END);
}

/** Writes points again over existing series (seedSeries creates them, which only works once). */
async function insertAgain(
  t: TestEmulator,
  series: ReadonlyArray<{ ref: object; points: readonly SeedPoint[] }>,
): Promise<void> {
  const items = series
    .filter((s) => s.points.length > 0)
    .map((s) => ({
      ...s.ref,
      datapoints: s.points.map((p) => ({
        timestamp: p.timestamp,
        ...(p.value === undefined ? {} : { value: p.value }),
        ...(p.status === undefined ? {} : { status: { code: p.status } }),
      })),
    }));
  if (items.length > 0) {
    await t.client.post(`/api/v1/projects/${t.emulator.project}/timeseries/data`, { data: { items } });
  }
}
