import { describe, expect, it } from "vitest";
import { computeKpis } from "../src/engine.js";
import { CDF_MIN_TIME, STATUS_BAD } from "../src/model.js";
import { parseKpiConfig } from "../src/parseKpiConfig.js";
import type { PointInput } from "../src/points.js";
import type { PointsRequest } from "../src/ports.js";
import type { ReadStats } from "../src/readAround.js";
import { readInputs } from "../src/readInputs.js";
import { InMemoryDatapointStore } from "../src/testing/index.js";

const M = 60_000;
const H = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);

function kpi(value: string, input: Record<string, unknown> = {}) {
  return parseKpiConfig({
    kpis: [
      {
        externalId: "kpi",
        window: { every: "1h" },
        start: "2024-01-01T00:00:00Z",
        inputs: { x: { externalId: "x", ...input } },
        value,
      },
    ],
  })[0]!;
}

async function firstWindow(
  value: string,
  points: PointInput[],
  input: Record<string, unknown> = {},
  isStep = false,
) {
  const store = new InMemoryDatapointStore();
  store.insert({ externalId: "x" }, points, { isStep });
  const k = kpi(value, input);
  const stats: ReadStats = { points: 0, requests: 0 };
  const series = await readInputs(store, [{ kpi: k, from: T0, to: T0 + H }], stats);
  return {
    datapoint: computeKpis([{ kpi: k, windows: [{ start: T0, end: T0 + H }] }], series)[0]![0]!,
    stats,
  };
}

describe("readInputs: the nearest kept points, not the nearest raw ones", () => {
  it("a Bad point just before the window does not hide the kept point before it (twa)", async () => {
    // f = 20 from -20m to 20m, then 20 -> 10 until 40m: (20·20 + 15·20) / 40 = 17.5.
    const { datapoint } = await firstWindow("twa(x)", [
      { timestamp: T0 - 20 * M, value: 20 },
      { timestamp: T0 - 5 * M, value: null, status: STATUS_BAD },
      { timestamp: T0 + 20 * M, value: 20 },
      { timestamp: T0 + 40 * M, value: 10 },
    ]);
    expect(datapoint).toEqual({ timestamp: T0, value: 17.5, status: "Good" });
  });

  it("delta starts from the last kept point before the window, past Bad and out-of-range ones", async () => {
    const { datapoint } = await firstWindow(
      "delta(x)",
      [
        { timestamp: T0 - 2 * H, value: 100 },
        { timestamp: T0 - 3 * M, value: 1e9 },
        { timestamp: T0 - M, value: null, status: STATUS_BAD },
        { timestamp: T0 + 10 * M, value: 130 },
      ],
      { counter: true, clean: [{ range: [0, 1e6] }] },
    );
    expect(datapoint).toEqual({ timestamp: T0, value: 30, status: "Good" });
  });

  it("a spike filter sees its (window - 1) / 2 neighbours beyond the window", async () => {
    // Around the point at 5m: 10, 10, 10, [99], 10 -> 99 is a spike. Without the points before the
    // window, the truncated neighbourhood [99, 10] would keep it.
    const { datapoint } = await firstWindow(
      "max(x)",
      [-30, -20, -10, 5, 15].map((m) => ({ timestamp: T0 + m * M, value: m === 5 ? 99 : 10 })),
      { clean: [{ spike: { window: 7, k: 3 } }] },
    );
    expect(datapoint).toEqual({ timestamp: T0, value: 10, status: "Good" });
  });

  it("a flatline run that began long before the window is judged as a whole", async () => {
    // 7 every 10 minutes from -3h: one run longer than 1h, so only its first point stays and the
    // window has none.
    const points = Array.from({ length: 24 }, (_, i) => ({ timestamp: T0 - 3 * H + i * 10 * M, value: 7 }));
    const { datapoint } = await firstWindow("count(x)", points, {
      clean: [{ flatline: { duration: "1h" } }],
    });
    expect(datapoint).toEqual({ timestamp: T0, value: 0, status: "Good" });
  });

  it("finds a step value set 70 years ago in a few growing reads, and stops at CDF's start", async () => {
    const { datapoint, stats } = await firstWindow(
      "twa(x)",
      [{ timestamp: Date.UTC(1954, 0, 1), value: 3 }],
      {},
      true,
    );
    expect(datapoint).toEqual({ timestamp: T0, value: 3, status: "Good" });
    expect(stats.requests).toBeLessThanOrEqual(12);
    const empty = await firstWindow("twa(x)", [], {}, true);
    expect(empty.datapoint.status).toBe("Bad");
    expect(empty.stats.requests).toBeLessThanOrEqual(14);
  });

  it("reads every input of many KPIs in one batched call per round", async () => {
    const store = new InMemoryDatapointStore();
    const calls: PointsRequest[][] = [];
    const read = store.read.bind(store);
    store.read = (requests) => {
      calls.push([...requests]);
      return read(requests);
    };
    const kpis = Array.from({ length: 20 }, (_, i) => {
      store.insert({ externalId: `x${i}` }, [{ timestamp: T0 - 10 * M, value: i }]);
      return { ...kpi("twa(x)"), inputs: [{ ...kpi("twa(x)").inputs[0]!, series: { externalId: `x${i}` } }] };
    });
    await readInputs(
      store,
      kpis.map((k) => ({ kpi: k, from: T0, to: T0 + H })),
    );
    expect(calls.length).toBeLessThanOrEqual(2);
    expect(calls[0]!.length).toBe(40);
    expect(calls.flat().every((r) => r.start >= CDF_MIN_TIME)).toBe(true);
  });
});
