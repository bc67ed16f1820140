import type { TestEmulator } from "@kpi-pipeline/cdf-emulator/testing";
import {
  computeKpis,
  type InputSeries,
  type KpiDefinition,
  PointColumnsBuilder,
  parseKpiConfig,
  type RunPorts,
  runKpis,
  type SeriesRef,
  STATUS_BAD,
  STATUS_UNCERTAIN,
  seriesLookupKey,
  windowsBetween,
} from "@kpi-pipeline/kpi-core";
import { InMemoryDatapointStore } from "@kpi-pipeline/kpi-core/testing";
import { describe, expect, it } from "vitest";
import type { CdfConnection } from "../src/cdfConnection.js";
import { createCdfPorts } from "../src/createCdfPorts.js";
import { RawDocumentStore } from "../src/rawDocumentStore.js";
import { ACTIVE_VERSION_KEY } from "../src/rawVersionPointer.js";
import { cdfOnEmulator } from "./cdfOnEmulator.js";
import { insertMirrored, type MirroredPoint } from "./mirroredWrites.js";
import { seedSeries } from "./seedSeries.js";

// runKpis with aggregate pushdown on (the default) through late data, an overwrite, a Bad
// correction and a deleted range: every closed window equals kpi-core over the final data, kept
// in an in-memory mirror that never goes through CDF's aggregates.

const M = 60_000;
const H = 60 * M;
const T0 = Date.parse("2024-10-26T00:00:00Z"); // Europe/Oslo's 25-hour day is the 27th.
const SELF_ID = "kpi-fn@1";

const TEMP: SeriesRef = { externalId: "plant:temp" };
const PRESSURE: SeriesRef = { instanceId: { space: "plant", externalId: "pressure" } };

const KPIS: KpiDefinition[] = parseKpiConfig({
  defaults: { settle: "5m", timeZone: "Europe/Oslo" },
  kpis: [
    {
      externalId: "kpi:temp:range:10m",
      window: { every: "10m" },
      start: "2024-10-26T00:00:00Z",
      inputs: { temp: { externalId: "plant:temp" } },
      value: "max(temp) - min(temp)",
    },
    {
      externalId: "kpi:samples:1h",
      window: { every: "1h" },
      start: "2024-10-26T00:00:00Z",
      inputs: {
        temp: { externalId: "plant:temp" },
        pressure: { instanceId: { space: "plant", externalId: "pressure" }, uncertain: true },
      },
      value: "count(temp) + count(pressure)",
    },
    {
      externalId: "kpi:pressure:peak:day",
      window: { every: "1d" },
      start: "2024-10-26T00:00:00+02:00",
      inputs: { pressure: { instanceId: { space: "plant", externalId: "pressure" } } },
      value: "max(pressure)",
    },
  ],
});

let t: TestEmulator;
let cdf: CdfConnection;
let mirror: InMemoryDatapointStore;

cdfOnEmulator({ project: "pushdown-run-test", clock: new Date(T0).toISOString() }, (suite) => {
  ({ t, cdf } = suite);
});

type Point = MirroredPoint;

const insert = (ref: SeriesRef, points: Point[]) => insertMirrored(t, mirror, ref, points);

/** Temperature every 30 s, pressure every 2 minutes; some Bad and Uncertain points. */
async function feed(fromH: number, toH: number, seed: number): Promise<void> {
  let s = seed;
  const next = () => {
    s = (s * 1103515245 + 12345) >>> 0;
    return s / 2 ** 32;
  };
  const temp: Point[] = [];
  const pressure: Point[] = [];
  for (let ts = T0 + fromH * H; ts < T0 + toH * H; ts += 30_000) {
    const r = next();
    temp.push(r < 0.05 ? { timestamp: ts, status: STATUS_BAD } : { timestamp: ts, value: 20 + next() * 5 });
    if (ts % (2 * M) === 0) {
      const status = r < 0.1 ? STATUS_UNCERTAIN : r < 0.15 ? STATUS_BAD : 0;
      pressure.push({ timestamp: ts + 1000, value: Math.round(next() * 1000) / 10, status });
    }
  }
  await insert(TEMP, temp);
  await insert(PRESSURE, pressure);
}

function truth(now: number): Map<string, Array<[number, number | null]>> {
  const series = new Map<string, InputSeries>();
  for (const ref of [TEMP, PRESSURE]) {
    const b = new PointColumnsBuilder();
    for (const p of mirror.points(ref)) b.append(p.timestamp, p.value, p.status);
    series.set(seriesLookupKey(ref), { points: b.build(), isStep: false });
  }
  const results = computeKpis(
    KPIS.map((kpi) => ({ kpi, windows: windowsBetween(kpi.window, kpi.startMs!, now - kpi.settleMs) })),
    series,
  );
  return new Map(KPIS.map((kpi, i) => [kpi.key, results[i]!.map((d) => [d.timestamp, d.value])]));
}

async function outputs(): Promise<Map<string, Array<[number, number | null]>>> {
  const out = new Map<string, Array<[number, number | null]>>();
  for (const kpi of KPIS) {
    const response = await cdf.post<{
      items: Array<{ datapoints: Array<{ timestamp: number; value?: number }> }>;
    }>("/timeseries/data/list", {
      items: [{ ...kpi.series, limit: 100_000 }],
      start: T0 - 24 * H,
      end: T0 + 30 * 24 * H,
      ignoreBadDataPoints: false,
      ignoreUnknownIds: true,
    });
    out.set(
      kpi.key,
      (response.items[0]?.datapoints ?? []).map((p) => [p.timestamp, p.value ?? null]),
    );
  }
  return out;
}

describe("runKpis with aggregate pushdown on the emulator", () => {
  it("keeps every closed window equal to kpi-core over the final raw data through late data and corrections", async () => {
    mirror = new InMemoryDatapointStore();
    await seedSeries(t, [
      { ref: TEMP, points: [] },
      { ref: PRESSURE, points: [] },
    ]);
    await new RawDocumentStore(cdf, { db: "kpi_state", table: "state" }).put(ACTIVE_VERSION_KEY, {
      functionExternalId: "kpi-fn",
      epoch: 1,
      previous: null,
    });
    const clock = { now: () => t.emulator.control.now() };
    const calls = { aggregates: 0, read: 0 };
    const run = async () => {
      const { ports, subscription } = await createCdfPorts(cdf, KPIS, { clock });
      const source = ports.source;
      const counted: RunPorts = {
        ...ports,
        source: {
          read: (r) => {
            calls.read++;
            return source.read(r);
          },
          aggregates: (r) => {
            calls.aggregates++;
            return source.aggregates!(r);
          },
        },
      };
      return runKpis(KPIS, counted, { self: SELF_ID, subscription, budgetMs: 60_000, batchWindows: 48 });
    };

    await feed(0, 30, 1);
    await t.emulator.control.setClock(T0 + 30 * H + 5 * M);
    const first = await run();
    expect(first.kpis.every((k) => k.summary.error === undefined)).toBe(true);
    // The history was read as aggregates, not points.
    expect(calls.aggregates).toBeGreaterThan(0);

    // Late points inside old windows, an overwrite, a Bad correction, a deleted range; more data.
    await insert(TEMP, [
      { timestamp: T0 + 2 * H + 15_000, value: 99 },
      { timestamp: T0 + 3 * H, value: -5 },
      { timestamp: T0 + 4 * H + 30_000, status: STATUS_BAD },
    ]);
    await insert(PRESSURE, [{ timestamp: T0 + 25 * H + 1000, value: 500 }]);
    await t.client.post(`/api/v1/projects/${t.emulator.project}/timeseries/data/delete`, {
      data: { items: [{ ...TEMP, inclusiveBegin: T0 + 10 * H, exclusiveEnd: T0 + 10 * H + 25 * M }] },
    });
    await mirror.delete(TEMP, { start: T0 + 10 * H, end: T0 + 10 * H + 25 * M });
    await feed(30, 52, 2);
    await t.emulator.control.setClock(T0 + 52 * H + 5 * M);
    const second = await run();
    expect(second.kpis.every((k) => k.summary.error === undefined)).toBe(true);
    expect(second.kpis.find((k) => k.key === "kpi:temp:range:10m")?.summary.dirty).toBeGreaterThanOrEqual(4);

    const now = t.emulator.control.now();
    const expected = truth(now);
    const got = await outputs();
    for (const kpi of KPIS) {
      const closed = windowsBetween(kpi.window, kpi.startMs!, now - kpi.settleMs).length;
      expect(got.get(kpi.key)!.length, `${kpi.key}: windows present`).toBe(closed);
      expect(got.get(kpi.key), kpi.key).toEqual(expected.get(kpi.key));
    }
  }, 120_000);
});
