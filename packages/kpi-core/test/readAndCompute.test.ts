import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { computeKpis } from "../src/engine.js";
import { parseKpiConfig } from "../src/parseKpiConfig.js";
import type { PointsRequest } from "../src/ports.js";
import { readAndCompute } from "../src/readAndCompute.js";
import { readInputs } from "../src/readInputs.js";
import { InMemoryDatapointStore } from "../src/testing/index.js";
import { windowsBetween } from "../src/window.js";

const M = 60_000;
const T0 = Date.UTC(2024, 0, 1);
const VALUES = ["twa", "count", "max", "delta", "timeAbove"];

describe("readAndCompute", () => {
  it("gives each KPI the datapoints of reading the whole batch at once and computing it, whichever inputs they share", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            inputs: fc.uniqueArray(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 2 }),
            value: fc.constantFrom(...VALUES),
            fromWindow: fc.integer({ min: 0, max: 10 }),
            windows: fc.integer({ min: 1, max: 6 }),
          }),
          { minLength: 1, maxLength: 8 },
        ),
        fc.array(
          fc.tuple(
            fc.integer({ min: 0, max: 4 }),
            fc.integer({ min: -30, max: 200 }),
            fc.integer({ min: -5, max: 5 }),
          ),
          {
            maxLength: 200,
          },
        ),
        async (specs, points) => {
          const store = new InMemoryDatapointStore();
          for (let s = 0; s < 5; s++) store.insert({ externalId: `in-${s}` }, []);
          for (const [s, minute, v] of points)
            store.insert({ externalId: `in-${s}` }, [{ timestamp: T0 + minute * M, value: v }]);
          const kpis = parseKpiConfig({
            defaults: { start: "2024-01-01T00:00:00Z" },
            kpis: specs.map((spec, k) => ({
              externalId: `kpi-${k}`,
              window: { every: "10m" },
              inputs: Object.fromEntries(spec.inputs.map((s) => [`x${s}`, { externalId: `in-${s}` }])),
              value: spec.inputs
                .map((s) => `${spec.value}(x${s})`)
                .join(" + ")
                .replace(/timeAbove\((x\d)\)/g, "timeAbove($1, 0)"),
            })),
          });
          const entries = kpis.map((kpi, k) => {
            const from = T0 + specs[k]!.fromWindow * 10 * M;
            const to = from + specs[k]!.windows * 10 * M;
            return { kpi, from, to, windows: windowsBetween(kpi.window, from, to) };
          });
          const stats = { points: 0, requests: 0 };
          const got = await readAndCompute(store, entries, stats);
          const whole = computeKpis(
            entries.map(({ kpi, windows }) => ({ kpi, windows })),
            await readInputs(store, entries),
          );
          expect(got).toEqual(whole);
        },
      ),
      { numRuns: 150 },
    );
  });

  it("reads KPIs that share an input together, and the others apart, each group while the one before is computed", async () => {
    const store = new InMemoryDatapointStore();
    for (const s of ["a", "b", "c"]) {
      store.insert(
        { externalId: s },
        Array.from({ length: 30 }, (_, i) => ({ timestamp: T0 + i * M, value: i })),
      );
    }
    const kpis = parseKpiConfig({
      defaults: { start: "2024-01-01T00:00:00Z" },
      kpis: [
        { externalId: "k1", window: { every: "10m" }, inputs: { x: { externalId: "a" } }, value: "count(x)" },
        { externalId: "k2", window: { every: "10m" }, inputs: { x: { externalId: "b" } }, value: "count(x)" },
        {
          externalId: "k3",
          window: { every: "10m" },
          inputs: { x: { externalId: "a" }, y: { externalId: "c" } },
          value: "count(x) + count(y)",
        },
      ],
    });
    const reads: string[][] = [];
    const source = {
      read: async (requests: readonly PointsRequest[]) => {
        reads.push(
          [...new Set(requests.map((r) => ("externalId" in r.series ? r.series.externalId : "?")))].sort(),
        );
        return store.read(requests);
      },
    };
    const entries = kpis.map((kpi) => ({
      kpi,
      from: T0,
      to: T0 + 20 * M,
      windows: windowsBetween(kpi.window, T0, T0 + 20 * M),
    }));
    const got = await readAndCompute(source, entries, { points: 0, requests: 0 });
    expect(got.map((d) => d.map((p) => (p.status === "Good" ? p.value : p.status)))).toEqual([
      [10, 10],
      [10, 10],
      [20, 20],
    ]);
    // k1 and k3 share a: one group with c, read (in rounds) before k2's b, alone.
    expect(reads.filter((r, i) => i === 0 || r.join() !== reads[i - 1]!.join())).toEqual([["a", "c"], ["b"]]);
  });

  it("reads many KPIs with inputs of their own and little data in two parts, not a read each", async () => {
    const store = new InMemoryDatapointStore();
    const kpis = parseKpiConfig({
      defaults: { start: "2024-01-01T00:00:00Z" },
      kpis: Array.from({ length: 50 }, (_, k) => ({
        externalId: `k${k}`,
        window: { every: "10m" },
        inputs: { x: { externalId: `in-${k}` } },
        value: "twa(x)",
      })),
    });
    for (let k = 0; k < 50; k++)
      store.insert(
        { externalId: `in-${k}` },
        Array.from({ length: 40 }, (_, i) => ({ timestamp: T0 + (i - 5) * M, value: i })),
      );
    const entries = kpis.map((kpi) => ({
      kpi,
      from: T0,
      to: T0 + 30 * M,
      windows: windowsBetween(kpi.window, T0, T0 + 30 * M),
    }));
    const before = store.reads;
    await readInputs(store, entries);
    const whole = store.reads - before;
    await readAndCompute(store, entries, { points: 0, requests: 0 });
    expect(store.reads - before - whole).toBeLessThanOrEqual(2 * whole);
  });

  it("when computing a part throws, the next part's read has ended before it rethrows, and no further read starts", async () => {
    const store = new InMemoryDatapointStore();
    const kpis = parseKpiConfig({
      defaults: { start: "2024-01-01T00:00:00Z" },
      kpis: ["a", "b", "c", "d"].map((s) => ({
        externalId: `k${s}`,
        window: { every: "1h" },
        inputs: { x: { externalId: s } },
        value: "twa(x)",
      })),
    });
    for (const s of ["a", "b", "c", "d"])
      store.insert(
        { externalId: s },
        Array.from({ length: 200_000 }, (_, i) => ({ timestamp: T0 + i * 10, value: i })),
      );
    const log: string[] = [];
    const source = {
      async read(requests: readonly PointsRequest[]) {
        log.push("start");
        await new Promise((resolve) => setTimeout(resolve, 20));
        log.push("end");
        return store.read(requests);
      },
    };
    const H = 60 * M;
    const entries = kpis.map((kpi, i) => ({
      kpi,
      from: T0,
      to: T0 + H,
      // The first KPI's window is empty: computing it throws.
      windows: i === 0 ? [{ start: T0, end: T0 }] : [{ start: T0, end: T0 + H }],
    }));
    await expect(readAndCompute(source, entries, { points: 0, requests: 0 })).rejects.toThrow();
    const atReject = log.length;
    expect(log.filter((e) => e === "start").length).toBe(log.filter((e) => e === "end").length);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(log.length).toBe(atReject);
  });

  it("throws what a later group's read threw", async () => {
    const store = new InMemoryDatapointStore();
    store.insert({ externalId: "a" }, [{ timestamp: T0, value: 1 }]);
    const kpis = parseKpiConfig({
      defaults: { start: "2024-01-01T00:00:00Z" },
      kpis: [
        { externalId: "k1", window: { every: "10m" }, inputs: { x: { externalId: "a" } }, value: "count(x)" },
        {
          externalId: "k2",
          window: { every: "10m" },
          inputs: { x: { externalId: "missing" } },
          value: "count(x)",
        },
        {
          externalId: "k3",
          window: { every: "10m" },
          inputs: { x: { externalId: "missing-too" } },
          value: "count(x)",
        },
      ],
    });
    const entries = kpis.map((kpi) => ({
      kpi,
      from: T0,
      to: T0 + 10 * M,
      windows: windowsBetween(kpi.window, T0, T0 + 10 * M),
    }));
    await expect(readAndCompute(store, entries, { points: 0, requests: 0 })).rejects.toThrow(/missing/);
  });
});
