import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { computeKpis } from "../src/engine.js";
import type { KpiDefinition } from "../src/kpiDefinition.js";
import { CDF_MIN_TIME, type InputSeries, STATUS_BAD } from "../src/model.js";
import { parseKpiConfig } from "../src/parseKpiConfig.js";
import { PointColumnsBuilder } from "../src/points.js";
import { type RunPorts, runKpis } from "../src/runKpis.js";
import { seriesLookupKey } from "../src/series.js";
import {
  FixedClock,
  InMemoryChangeSource,
  type InMemoryChangeSourceOptions,
  InMemoryDatapointStore,
  InMemoryStateStore,
  InMemoryVersionPointer,
} from "../src/testing/index.js";
import { windowsBetween } from "../src/window.js";

const M = 60_000;
const H = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);
const SELF = "kpi-fn@1";

const KPIS = parseKpiConfig({
  defaults: { start: "2024-01-01T00:00:00Z", settle: "5m" },
  kpis: [
    {
      externalId: "kpi:flow",
      window: { every: "1h" },
      inputs: { flow: { externalId: "flow", clean: [{ spike: { window: 5 } }] } },
      value: "twa(flow)",
    },
    {
      externalId: "kpi:units",
      window: { every: "1h" },
      inputs: { units: { externalId: "units", counter: true } },
      value: "delta(units)",
    },
    {
      externalId: "kpi:mode",
      window: { every: "30m" },
      inputs: { mode: { externalId: "mode", step: true, clean: [{ flatline: { duration: "2h" } }] } },
      value: "timeAbove(mode, 1) + count(mode)",
    },
  ],
});

/** A small deterministic pseudo-random sequence, so every world gets the same data. */
function lcg(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) >>> 0;
    return s / 2 ** 32;
  };
}

function world(changeOptions: InMemoryChangeSourceOptions = { partitions: 2 }) {
  const store = new InMemoryDatapointStore();
  for (const name of ["flow", "units", "mode"]) store.insert({ externalId: name }, []);
  const changes = new InMemoryChangeSource(store, changeOptions);
  const ports: RunPorts = {
    source: store,
    output: store,
    pointer: new InMemoryVersionPointer(SELF),
    changes,
    state: new InMemoryStateStore(),
    clock: new FixedClock(T0),
  };
  return {
    store,
    changes,
    ports,
    clock: ports.clock as FixedClock,
    pointer: ports.pointer as InMemoryVersionPointer,
    state: ports.state as InMemoryStateStore,
  };
}

type World = ReturnType<typeof world>;

/** Points every 10 minutes over [fromH, toH) hours, with a few Bad ones. */
function feed(w: World, fromH: number, toH: number, seed: number): void {
  const next = lcg(seed);
  let units = 1000;
  for (let t = T0 + fromH * H; t < T0 + toH * H; t += 10 * M) {
    const bad = next() < 0.1;
    w.store.insert({ externalId: "flow" }, [
      { timestamp: t, value: bad ? null : 50 + next() * 10, status: bad ? STATUS_BAD : 0 },
    ]);
    units = next() < 0.05 ? 0 : units + Math.floor(next() * 20);
    w.store.insert({ externalId: "units" }, [{ timestamp: t, value: units }]);
    w.store.insert({ externalId: "mode" }, [
      { timestamp: t, value: next() < 0.7 ? 2 : Math.floor(next() * 3) },
    ]);
  }
}

/** Late points, corrections and a deletion inside already computed windows. */
async function correct(w: World, seed: number): Promise<void> {
  const next = lcg(seed);
  for (let k = 0; k < 6; k++) {
    const t = T0 + Math.floor(next() * 9 * 6) * 10 * M + Math.floor(next() * 10) * M;
    w.store.insert({ externalId: "flow" }, [{ timestamp: t, value: next() < 0.3 ? 500 : 55 }]);
    w.store.insert({ externalId: "mode" }, [{ timestamp: t, value: 2 }]);
  }
  const from = T0 + Math.floor(next() * 8) * H;
  await w.store.delete({ externalId: "units" }, { start: from, end: from + 25 * M });
}

/** The datapoints every KPI must have: its windows computed over all points as they are now. */
function truth(
  w: World,
  now: number,
  kpis: readonly KpiDefinition[] = KPIS,
): Map<string, Array<{ timestamp: number; value: number; status: number }>> {
  const series = new Map<string, InputSeries>();
  for (const name of ["flow", "units", "mode"]) {
    const b = new PointColumnsBuilder();
    for (const p of w.store.points({ externalId: name })) b.append(p.timestamp, p.value, p.status);
    series.set(name, { points: b.build(), isStep: false });
  }
  const requests = kpis.map((kpi) => ({
    kpi,
    windows: windowsBetween(kpi.window, kpi.startMs!, now - kpi.settleMs),
  }));
  const results = computeKpis(requests, series);
  return new Map(
    kpis.map((kpi, i) => [
      kpi.key,
      results[i]!.map((d) =>
        d.status === "Good"
          ? { timestamp: d.timestamp, value: d.value, status: 0 }
          : { timestamp: d.timestamp, value: Number.NaN, status: STATUS_BAD },
      ),
    ]),
  );
}

function outputs(w: World) {
  return new Map(KPIS.map((kpi) => [kpi.key, w.store.points(kpi.series)]));
}

class Crash extends Error {}

/**
 * Ports that crash right before, or right after, their call number `at` (counted from 0): that
 * call and every later one throw, as nothing reaches the world from a process that died, even
 * where the run catches an error and carries on.
 */
function crashing(ports: RunPorts, at: number, after: boolean): { ports: RunPorts; calls: () => number } {
  let calls = 0;
  const wrap = <T extends object>(target: T): T =>
    new Proxy(target, {
      get(obj, key, receiver) {
        const value = Reflect.get(obj, key, receiver);
        if (typeof value !== "function" || key === "now") return value;
        return async (...args: unknown[]) => {
          const n = calls++;
          if (n > at) throw new Crash(`call ${n} after the crash`);
          if (n === at && !after) throw new Crash(`crash before call ${n}`);
          const result = await value.apply(obj, args);
          if (n === at && after) throw new Crash(`crash after call ${n}`);
          return result;
        };
      },
    });
  return {
    ports: {
      source: wrap(ports.source),
      output: wrap(ports.output),
      pointer: wrap(ports.pointer),
      changes: Object.assign(wrap(ports.changes), { partitions: ports.changes.partitions }),
      state: wrap(ports.state),
      clock: ports.clock,
    },
    calls: () => calls,
  };
}

const OPTIONS = { self: SELF, subscription: "kpi-inputs", budgetMs: 60_000, batchWindows: 4 };

/** Three runs with data arriving and corrected in between; `ports` may crash. */
async function scenario(w: World, portsFor: (w: World, run: number) => RunPorts): Promise<number> {
  let crashes = 0;
  let runs = 0;
  const run = async () => {
    try {
      await runKpis(KPIS, portsFor(w, runs++), OPTIONS);
    } catch (error) {
      if (!(error instanceof Crash)) throw error;
      crashes++;
      // The next run, at the same time, after the crash.
      await runKpis(KPIS, w.ports, OPTIONS);
    }
  };
  feed(w, -2, 7, 1);
  w.clock.set(T0 + 6 * H + 5 * M);
  await run();
  feed(w, 7, 12, 2);
  await correct(w, 3);
  w.clock.set(T0 + 12 * H + 5 * M);
  await run();
  await correct(w, 4);
  w.clock.set(T0 + 13 * H);
  await run();
  return crashes;
}

describe("runKpis", () => {
  it("brings every KPI to the values of all points as they are now, after late data, corrections and deletions", async () => {
    const w = world({ partitions: 2, pageSize: 3 });
    await scenario(w, (x) => x.ports);
    expect(outputs(w)).toEqual(truth(w, w.clock.now()));
  });

  it("a crash before or after any port call, then the next run, gives exactly the values of an uninterrupted run", async () => {
    const clean = world();
    await scenario(clean, (x) => x.ports);
    const expected = outputs(clean);
    // In each of the three runs, crash at each port call in turn, until the index passes its last.
    for (const crashRun of [0, 1, 2]) {
      let variants = 0;
      for (let at = 0; ; at++) {
        if (at > 1000) throw new Error("a run makes more than 1000 port calls; raise the bound");
        let crashes = 0;
        for (const after of [false, true]) {
          const w = world({ partitions: 2, pageSize: 3, duplicate: true, shuffleSeed: at });
          crashes += await scenario(w, (x, run) =>
            run === crashRun ? crashing(x.ports, at, after).ports : x.ports,
          );
          variants++;
          expect(outputs(w), `run ${crashRun}, crash ${after ? "after" : "before"} call ${at}`).toEqual(
            expected,
          );
        }
        if (crashes === 0) break;
      }
      expect(variants).toBeGreaterThan(20);
    }
  }, 120_000);

  it("duplicated and reordered changes change nothing", async () => {
    const plain = world({ partitions: 1 });
    await scenario(plain, (x) => x.ports);
    const unkind = world({ partitions: 3, pageSize: 2, duplicate: true, shuffleSeed: 11 });
    await scenario(unkind, (x) => x.ports);
    expect(outputs(unkind)).toEqual(outputs(plain));
    expect(outputs(unkind)).toEqual(truth(unkind, unkind.clock.now()));
  });

  it("stops writing when the version pointer flips between batches, and commits nothing", async () => {
    const w = world();
    feed(w, -2, 7, 1);
    w.clock.set(T0 + 6 * H + 5 * M);
    let writes = 0;
    const output = {
      latest: w.store.latest.bind(w.store),
      remove: w.store.remove.bind(w.store),
      write: async (items: Parameters<InMemoryDatapointStore["write"]>[0]) => {
        await w.store.write(items);
        if (++writes === 1) w.pointer.flip("kpi-fn@2");
      },
    };
    const report = await runKpis(KPIS, { ...w.ports, output }, { ...OPTIONS, batchWindows: 2 });
    expect(report.fenced).toBe(true);
    expect(writes).toBe(1);
    expect(w.store.points(KPIS[0]!.series).map((p) => (p.timestamp - T0) / H)).toEqual([0, 1]);
    expect(w.state.kpiState(KPIS[0]!.key)).toBeUndefined();
    expect(w.state.cursor(OPTIONS.subscription, 0)).toBeUndefined();
  });

  it("writes nothing when another version is active", async () => {
    const w = world();
    feed(w, -2, 7, 1);
    w.clock.set(T0 + 6 * H + 5 * M);
    w.pointer.flip("kpi-fn@0");
    const report = await runKpis(KPIS, w.ports, OPTIONS);
    expect(report).toEqual({
      at: T0 + 6 * H + 5 * M,
      fenced: true,
      cursorsCommitted: false,
      kpis: [],
      read: { calls: 0, points: 0 },
    });
    expect(w.store.points(KPIS[0]!.series)).toEqual([]);
  });

  it("starts no batch once the time budget is spent, reports the rest as backlog, and the next runs finish it", async () => {
    const w = world();
    feed(w, -2, 7, 1);
    w.clock.set(T0 + 6 * H + 5 * M);
    const source = {
      read: async (requests: Parameters<InMemoryDatapointStore["read"]>[0]) => {
        w.clock.advance(20_000);
        return w.store.read(requests);
      },
    };
    const budget = { ...OPTIONS, batchWindows: 2, budgetMs: 30_000 };
    const first = await runKpis(KPIS, { ...w.ports, source }, budget);
    const flow = first.kpis.find((k) => k.key === "kpi:flow")!.summary;
    expect(flow.due).toBe(2);
    expect(flow.backlog).toBe(4);
    for (let i = 0; i < 10; i++) await runKpis(KPIS, { ...w.ports, source }, budget);
    expect(outputs(w)).toEqual(truth(w, T0 + 6 * H + 5 * M));
  });

  it("summarizes per KPI: due and dirty windows, no-value reasons, points read, requests", async () => {
    const w = world();
    feed(w, -2, 7, 1);
    w.clock.set(T0 + 6 * H + 5 * M);
    const reads = w.store.reads;
    const first = await runKpis(KPIS, w.ports, OPTIONS);
    expect(first.cursorsCommitted).toBe(true);
    // The run's own count is what the source saw, all KPIs together.
    expect(first.read.calls).toBe(w.store.reads - reads);
    expect(first.read.points).toBeGreaterThan(0);
    const units = first.kpis.find((k) => k.key === "kpi:units")!.summary;
    expect(units).toMatchObject({ due: 6, dirty: 0, backlog: 0, pendingSpans: 0 });
    expect(units.pointsRead).toBeGreaterThan(0);
    expect(units.requests).toBeGreaterThan(0);
    await w.store.delete({ externalId: "units" }, { start: T0 + 2 * H, end: T0 + 3 * H });
    w.clock.set(T0 + 6 * H + 10 * M);
    const second = await runKpis(KPIS, w.ports, OPTIONS);
    const after = second.kpis.find((k) => k.key === "kpi:units")!.summary;
    // Windows 1-3: a deletion reaches back by maxGap (kept simple: delta itself needs no segment),
    // window 2 has no point left, window 3's delta starts before the hole.
    expect(after).toMatchObject({ due: 0, dirty: 3, noValue: { 'no points of "units" in window': 1 } });
    expect(w.state.kpiState("kpi:units")!.lastRun).toEqual(after);
  });

  it("recomputes everything when the subscription lost changes (cursor older than its retention)", async () => {
    const w = world();
    feed(w, -2, 7, 1);
    w.clock.set(T0 + 6 * H + 5 * M);
    await runKpis(KPIS, w.ports, OPTIONS);
    await correct(w, 5);
    w.changes.expire();
    w.clock.set(T0 + 6 * H + 6 * M);
    const report = await runKpis(KPIS, w.ports, OPTIONS);
    expect(report.kpis.find((k) => k.key === "kpi:flow")!.summary.dirty).toBe(6);
    expect(outputs(w)).toEqual(truth(w, w.clock.now()));
  });

  it("leaves a KPI whose definition changed to the backfill, saying so", async () => {
    const w = world();
    feed(w, -2, 7, 1);
    w.clock.set(T0 + 3 * H + 5 * M);
    await runKpis(KPIS, w.ports, OPTIONS);
    const old = w.state.kpiState("kpi:flow")!;
    await w.state.save({ kpis: new Map([["kpi:flow", { ...old, configHash: "0000000000000000" }]]) });
    w.clock.set(T0 + 6 * H + 5 * M);
    const report = await runKpis(KPIS, w.ports, OPTIONS);
    const flow = report.kpis.find((k) => k.key === "kpi:flow")!.summary;
    expect(flow.due).toBe(0);
    expect(flow.error).toMatch(/definition changed .* recompute it over its whole history/);
    expect(w.store.points(KPIS[0]!.series)).toHaveLength(3);
    expect(w.store.points(KPIS[1]!.series)).toHaveLength(6);
  });

  it("takes a changed definition's hash at once when its output has no datapoint yet: nothing to mix with", async () => {
    const w = world();
    feed(w, -2, 7, 1);
    w.clock.set(T0 + 6 * H + 5 * M);
    await w.state.save({ kpis: new Map([["kpi:flow", { configHash: "0000000000000000" }]]) });
    const report = await runKpis(KPIS, w.ports, OPTIONS);
    expect(report.kpis[0]!.adoptedConfigHash).toBe(KPIS[0]!.configHash);
    expect(report.kpis[0]!.summary.error).toBeUndefined();
    expect(w.state.kpiState("kpi:flow")!.configHash).toBe(KPIS[0]!.configHash);
    expect(outputs(w)).toEqual(truth(w, w.clock.now()));
  });

  it("keeps the changes that arrive while a KPI waits for its backfill, so the cursor moving on loses none", async () => {
    const w = world();
    feed(w, -2, 7, 1);
    w.clock.set(T0 + 6 * H + 5 * M);
    await runKpis(KPIS, w.ports, OPTIONS);
    const flow = KPIS[0]!;
    const computed = w.state.kpiState(flow.key)!;
    // The definition changed: a backfill recomputes the KPI, but reads before the corrections below.
    await w.state.save({ kpis: new Map([[flow.key, { ...computed, configHash: "0000000000000000" }]]) });
    await correct(w, 6);
    w.clock.set(T0 + 6 * H + 6 * M);
    const skipped = await runKpis(KPIS, w.ports, OPTIONS);
    expect(skipped.cursorsCommitted).toBe(true);
    expect(skipped.kpis.find((k) => k.key === flow.key)!.summary.pendingSpans).toBeGreaterThan(0);
    // The backfill records the new hash; the changes it did not see are still to do.
    const waiting = w.state.kpiState(flow.key)!;
    await w.state.save({ kpis: new Map([[flow.key, { ...waiting, configHash: flow.configHash }]]) });
    w.clock.set(T0 + 6 * H + 7 * M);
    await runKpis(KPIS, w.ports, OPTIONS);
    expect(outputs(w)).toEqual(truth(w, w.clock.now()));
  });

  it("reads no long stretch between KPIs whose next windows lie years apart on a shared input", async () => {
    const kpis = parseKpiConfig({
      kpis: [
        {
          externalId: "kpi:old",
          start: "2015-01-01T00:00:00Z",
          window: { every: "1h" },
          inputs: { x: { externalId: "x" } },
          value: "twa(x)",
        },
        {
          externalId: "kpi:new",
          start: "2024-01-01T00:00:00Z",
          window: { every: "1h" },
          inputs: { x: { externalId: "x" } },
          value: "twa(x)",
        },
      ],
    });
    const store = new InMemoryDatapointStore();
    for (const from of [Date.UTC(2015, 0, 1), Date.UTC(2023, 11, 31)]) {
      store.insert(
        { externalId: "x" },
        Array.from({ length: 6 * 30 }, (_, k) => ({ timestamp: from + k * 10 * M, value: k % 7 })),
      );
    }
    let widest = 0;
    const source: RunPorts["source"] = {
      read: async (requests) => {
        for (const r of requests) if (r.limit === undefined) widest = Math.max(widest, r.end - r.start);
        return store.read(requests);
      },
    };
    const ports: RunPorts = {
      source,
      output: store,
      pointer: new InMemoryVersionPointer(SELF),
      changes: new InMemoryChangeSource(store, { partitions: 1 }),
      state: new InMemoryStateStore(),
      clock: new FixedClock(Date.UTC(2024, 0, 1, 3)),
    };
    await runKpis(kpis, ports, { ...OPTIONS, batchWindows: 1000 });
    expect(store.points(kpis[1]!.series)).toHaveLength(3);
    // A batch of 1,000 hourly windows spans 42 days; reading 2015 to 2024 in one go spans 9 years.
    expect(widest).toBeLessThan(100 * 24 * H);
  });

  it("a failed write stops only that KPI's later batches; the others go on; the next run fills in, in order", async () => {
    const w = world();
    feed(w, -2, 7, 1);
    w.clock.set(T0 + 6 * H + 5 * M);
    // The first batch (all three KPIs) fails, then the first KPI's own retry fails too.
    w.store.failWrites(2);
    const report = await runKpis(KPIS, w.ports, { ...OPTIONS, batchWindows: 2 });
    const errors = report.kpis.map((k) => k.summary.error);
    expect(errors).toEqual([
      "writing datapoints failed: write batch failed (injected)",
      undefined,
      undefined,
    ]);
    expect(w.store.points(KPIS[0]!.series)).toEqual([]);
    const truthNow = truth(w, w.clock.now());
    expect(w.store.points(KPIS[1]!.series)).toEqual(truthNow.get(KPIS[1]!.key));
    expect(w.store.points(KPIS[2]!.series)).toEqual(truthNow.get(KPIS[2]!.key));
    await runKpis(KPIS, w.ports, OPTIONS);
    expect(outputs(w)).toEqual(truthNow);
  });

  it("a KPI whose input cannot be read stops alone; the others are written", async () => {
    const w = world();
    feed(w, -2, 7, 1);
    w.clock.set(T0 + 6 * H + 5 * M);
    const [broken] = parseKpiConfig({
      kpis: [
        {
          externalId: "kpi:broken",
          window: { every: "1h" },
          start: "2024-01-01T00:00:00Z",
          inputs: { x: { externalId: "no-such-series" } },
          value: "twa(x)",
        },
      ],
    });
    const report = await runKpis([broken!, ...KPIS], w.ports, OPTIONS);
    expect(report.kpis[0]!.summary.error).toMatch(
      /^reading inputs failed: time series externalId:no-such-series does not exist/,
    );
    expect(outputs(w)).toEqual(truth(w, w.clock.now()));
  });

  it("when planning a KPI's changed windows fails, it recomputes all of them, and the others go on", async () => {
    const w = world();
    feed(w, -2, 7, 1);
    w.clock.set(T0 + 6 * H + 5 * M);
    await runKpis(KPIS, w.ports, OPTIONS);
    await correct(w, 6);
    w.clock.set(T0 + 6 * H + 6 * M);
    // The batched planning of all KPIs fails, and so does the units KPI's own retry.
    let failures = 0;
    const source = {
      read: async (requests: Parameters<InMemoryDatapointStore["read"]>[0]) => {
        if (failures < 2 && requests.some((r) => seriesLookupKey(r.series) === "units")) {
          failures++;
          throw new Error("injected read failure");
        }
        return w.store.read(requests);
      },
    };
    const report = await runKpis(KPIS, { ...w.ports, source }, OPTIONS);
    const units = report.kpis.find((k) => k.key === "kpi:units")!.summary;
    expect(units.error).toMatch(/planning changed windows failed \(injected read failure\)/);
    expect(units.dirty).toBe(6);
    expect(report.cursorsCommitted).toBe(true);
    expect(outputs(w)).toEqual(truth(w, w.clock.now()));
  });

  it("rejects a budget or batch size that is no amount, naming it", async () => {
    const w = world();
    await expect(runKpis(KPIS, w.ports, { ...OPTIONS, budgetMs: Number.NaN })).rejects.toThrow(
      "runKpis: budgetMs must be 0 or more milliseconds, got NaN",
    );
    await expect(runKpis(KPIS, w.ports, { ...OPTIONS, batchWindows: 0.5 })).rejects.toThrow(
      "runKpis: batchWindows must be a whole number of windows, 1 or more, got 0.5",
    );
    for (const staleRunMs of [0, Number.POSITIVE_INFINITY, Number.NaN])
      await expect(runKpis(KPIS, w.ports, { ...OPTIONS, staleRunMs })).rejects.toThrow(
        `runKpis: staleRunMs must be a finite number of milliseconds above 0, got ${staleRunMs}`,
      );
  });

  it("loads all state in one call (and its pending records again after the last write) and saves it in few, however many KPIs", async () => {
    const many = parseKpiConfig({
      defaults: { start: "2024-01-01T00:00:00Z", settle: "5m" },
      kpis: Array.from({ length: 40 }, (_, k) => ({
        externalId: `kpi:many-${k}`,
        window: { every: "1h" },
        inputs: { flow: { externalId: "flow" } },
        value: `twa(flow) + ${k}`,
      })),
    });
    const w = world();
    feed(w, -2, 7, 1);
    const order: string[] = [];
    const state = w.state;
    const ports: RunPorts = {
      ...w.ports,
      state: {
        load: (keys, subscription) => state.load(keys, subscription),
        save: async (entries) => {
          order.push(Object.keys(entries).join());
          await state.save(entries);
        },
      },
    };
    for (const hour of [6, 7]) {
      w.clock.set(T0 + hour * H + 5 * M);
      if (hour === 7) await correct(w, 8);
      const loads = state.loads;
      order.length = 0;
      await runKpis(many, ports, OPTIONS);
      // The start, then the overlap check; saves: the run's open record, the same with its plan
      // (beside the first batch), the states (no closed record: nothing left pending), the
      // cursors, then the open record removed.
      expect(state.loads - loads).toBe(2);
      expect(order).toEqual(["pending", "pending", "kpis", "cursors", "pending"]);
    }
    expect(state.kpiState("kpi:many-39")!.lastRun!.due).toBe(1);
  });

  it("asks the fence, the state and the outputs' latest at once, and a fenced run whose state cannot load still only says fenced", async () => {
    const w = world();
    feed(w, -2, 7, 1);
    w.clock.set(T0 + 6 * H + 5 * M);
    const events: string[] = [];
    const gate =
      <T>(name: string, call: () => Promise<T>) =>
      async () => {
        events.push(`ask ${name}`);
        await new Promise((resolve) => setTimeout(resolve, 5));
        const answer = await call();
        events.push(`got ${name}`);
        return answer;
      };
    const ports = (load: RunPorts["state"]["load"]): RunPorts => ({
      ...w.ports,
      pointer: { active: gate("pointer", () => w.pointer.active()) },
      state: { load: (keys, s) => gate("state", () => load(keys, s))(), save: (e) => w.state.save(e) },
      output: {
        write: (items) => w.ports.output.write(items),
        remove: (items) => w.ports.output.remove(items),
        latest: (series) => gate("latest", () => w.ports.output.latest(series))(),
      },
    });
    const report = await runKpis(
      KPIS,
      ports((keys, s) => w.state.load(keys, s)),
      OPTIONS,
    );
    expect(report.kpis.map((k) => k.summary.error)).toEqual(KPIS.map(() => undefined));
    expect(events.slice(0, 3).sort()).toEqual(["ask latest", "ask pointer", "ask state"]);
    w.pointer.flip("kpi-fn@0");
    const fenced = await runKpis(
      KPIS,
      ports(() => Promise.reject(new Error("Raw is down"))),
      OPTIONS,
    );
    expect(fenced.fenced).toBe(true);
    expect(fenced.kpis).toEqual([]);
  });

  it("takes ports written in plain JavaScript that answer with a value, not a promise", async () => {
    const w = world();
    feed(w, -2, 7, 1);
    w.clock.set(T0 + 6 * H + 5 * M);
    const plainPorts = {
      ...w.ports,
      pointer: { active: () => ({ version: SELF, generation: "1" }) },
      output: {
        write: (items: never) => w.ports.output.write(items),
        latest: () => KPIS.map(() => undefined),
      },
    } as unknown as RunPorts;
    const report = await runKpis(KPIS, plainPorts, OPTIONS);
    expect(report.fenced).toBe(false);
    expect(report.kpis.map((k) => k.summary.error)).toEqual(KPIS.map(() => undefined));
  });

  it("a KPI without start is live from its first run", async () => {
    const [live] = parseKpiConfig({
      kpis: [
        {
          externalId: "kpi:live",
          window: { every: "1h" },
          inputs: { x: { externalId: "flow" } },
          value: "twa(x)",
        },
      ],
    });
    const w = world();
    feed(w, -2, 7, 1);
    w.clock.set(T0 + 3 * H + 10 * M);
    await runKpis([live!], w.ports, OPTIONS);
    expect(w.store.points(live!.series)).toEqual([]);
    w.clock.set(T0 + 6 * H);
    await runKpis([live!], w.ports, OPTIONS);
    expect(w.store.points(live!.series).map((p) => (p.timestamp - T0) / H)).toEqual([3, 4, 5]);
    expect(seriesLookupKey(live!.series)).toBe("kpi:live");
  });
});

describe("runKpis recompute (backfill mode)", () => {
  const flow = KPIS[0]!;
  const units = KPIS[1]!;

  /** A world whose outputs are up to date at 6:05, then overwritten with a value no window has. */
  async function spoiled() {
    const w = world();
    feed(w, -2, 7, 1);
    w.clock.set(T0 + 6 * H + 5 * M);
    await runKpis(KPIS, w.ports, OPTIONS);
    for (const kpi of KPIS) {
      w.store.insert(
        kpi.series,
        w.store.points(kpi.series).map((p) => ({ timestamp: p.timestamp, value: -1 })),
      );
    }
    return w;
  }

  it("rewrites exactly the chosen KPIs' windows starting in [from, to) that the output has, and saves no state or cursor", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: -3 * 60, max: 8 * 60 }),
        fc.integer({ min: 1, max: 9 * 60 }),
        fc.integer({ min: 1, max: 5 }),
        async (fromMin, lengthMin, batchWindows) => {
          const w = await spoiled();
          const before = outputs(w);
          const stateOf = () => ({
            kpis: KPIS.map((k) => w.state.kpiState(k.key)),
            pending: KPIS.map((k) => w.state.pendingOf(k.key)),
            cursor: w.state.cursor(OPTIONS.subscription, 0),
          });
          const stateBefore = stateOf();
          const saves = w.state.saves;
          const from = T0 + fromMin * M;
          const to = from + lengthMin * M;
          w.clock.set(T0 + 8 * H);
          const report = await runKpis(KPIS, w.ports, {
            ...OPTIONS,
            batchWindows,
            recompute: { from, to, kpis: [flow.key] },
          });
          const expected = truth(w, T0 + 6 * H + 5 * M).get(flow.key)!;
          expect(w.store.points(flow.series)).toEqual(
            before.get(flow.key)!.map((p, i) => (p.timestamp >= from && p.timestamp < to ? expected[i] : p)),
          );
          for (const other of KPIS.slice(1))
            expect(w.store.points(other.series)).toEqual(before.get(other.key));
          expect(report.kpis.map((k) => k.key)).toEqual([flow.key]);
          expect(report.kpis[0]!.recompute!.written).toBe(true);
          expect(report.cursorsCommitted).toBe(false);
          // Its own run record, opened and removed (no other run overlapped): nothing else.
          expect(stateOf()).toEqual(stateBefore);
          expect(w.state.saves - saves).toBe(2);
        },
      ),
      { numRuns: 40 },
    );
  });

  it("never writes past the output's end: the due windows there are the scheduled run's", async () => {
    const w = await spoiled();
    w.clock.set(T0 + 10 * H);
    const report = await runKpis(KPIS, w.ports, {
      ...OPTIONS,
      recompute: { from: T0 + 5 * H, to: T0 + 9 * H },
    });
    expect(w.store.points(flow.series).map((p) => (p.timestamp - T0) / H)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(w.store.points(flow.series).at(-1)!.value).not.toBe(-1);
    expect(report.kpis.find((k) => k.key === flow.key)!.recompute).toEqual({
      from: T0 + 5 * H,
      to: T0 + 6 * H,
      written: true,
      removed: 0,
    });
  });

  it("records a changed definition's recompute as progress; once it covers the whole output, the next scheduled run takes the new hash", async () => {
    const w = world();
    feed(w, -2, 7, 1);
    w.clock.set(T0 + 6 * H + 5 * M);
    await runKpis(KPIS, w.ports, OPTIONS);
    const old = w.state.kpiState(flow.key)!;
    await w.state.save({ kpis: new Map([[flow.key, { ...old, configHash: "0000000000000000" }]]) });
    for (const p of w.store.points(flow.series))
      w.store.insert(flow.series, [{ timestamp: p.timestamp, value: -1 }]);
    w.clock.set(T0 + 7 * H + 5 * M);
    const recompute = (from: number, to: number) =>
      runKpis(KPIS, w.ports, { ...OPTIONS, recompute: { from, to, kpis: [flow.key] } });

    // The second half first: parts may come in any order.
    const second = await recompute(T0 + 3 * H, T0 + 24 * H);
    expect(second.kpis[0]!.recompute!.changedDefinition).toEqual({
      configHash: flow.configHash,
      done: [{ from: T0 + 3 * H, to: T0 + 6 * H }],
      complete: false,
    });
    const waiting = await runKpis(KPIS, w.ports, OPTIONS);
    expect(waiting.kpis[0]!.summary.error).toMatch(/definition changed/);
    expect(waiting.kpis[0]!.adoptedConfigHash).toBeUndefined();
    expect(w.store.points(flow.series)).toHaveLength(6);

    const first = await recompute(T0 - 24 * H, T0 + 3 * H);
    expect(first.kpis[0]!.recompute!.changedDefinition!.complete).toBe(true);
    expect(w.state.kpiState(flow.key)!.configHash).toBe("0000000000000000");
    const taken = await runKpis(KPIS, w.ports, OPTIONS);
    expect(taken.kpis[0]!.adoptedConfigHash).toBe(flow.configHash);
    expect(taken.kpis[0]!.summary).toMatchObject({ due: 1 });
    expect(taken.kpis[0]!.summary.error).toBeUndefined();
    expect(w.state.kpiState(flow.key)!.configHash).toBe(flow.configHash);
    expect(outputs(w)).toEqual(truth(w, w.clock.now()));
  });

  it("a scheduled run takes the new hash only when every datapoint of the output is the new definition's", async () => {
    const [doubled] = parseKpiConfig({
      defaults: { start: "2024-01-01T00:00:00Z", settle: "5m" },
      kpis: [
        {
          externalId: "kpi:flow",
          window: { every: "1h" },
          inputs: { flow: { externalId: "flow", clean: [{ spike: { window: 5 } }] } },
          value: "twa(flow) * 2",
        },
      ],
    });
    const v2 = [doubled!, ...KPIS.slice(1)];
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.integer({ min: -3, max: 9 }), fc.integer({ min: 1, max: 8 })), {
          minLength: 1,
          maxLength: 4,
        }),
        fc.integer({ min: 1, max: 4 }),
        async (parts, batchWindows) => {
          const w = world();
          feed(w, -2, 7, 1);
          w.clock.set(T0 + 6 * H + 5 * M);
          await runKpis(KPIS, w.ports, OPTIONS);
          w.clock.set(T0 + 6 * H + 30 * M);
          for (const [fromH, hours] of parts) {
            await runKpis(v2, w.ports, {
              ...OPTIONS,
              batchWindows,
              recompute: { from: T0 + fromH * H, to: T0 + (fromH + hours) * H, kpis: [doubled!.key] },
            });
          }
          const report = await runKpis(v2, w.ports, OPTIONS);
          const covered = [0, 1, 2, 3, 4, 5].every((h) => parts.some(([f, n]) => f <= h && h < f + n));
          const stored = w.store.points(doubled!.series);
          const expected = truth(w, w.clock.now(), v2).get(doubled!.key)!;
          if (report.kpis[0]!.adoptedConfigHash !== undefined) {
            expect(stored).toEqual(expected);
          } else {
            expect(report.kpis[0]!.summary.error).toMatch(/definition changed/);
            expect(stored.filter((p, i) => p.value !== expected[i]!.value).length).toBeGreaterThan(0);
          }
          expect(report.kpis[0]!.adoptedConfigHash).toBe(covered ? doubled!.configHash : undefined);
        },
      ),
      { numRuns: 40 },
    );
  });

  it("takes no new hash from progress that replaced another stored hash, or is for another definition", async () => {
    const w = world();
    feed(w, -2, 7, 1);
    w.clock.set(T0 + 6 * H + 5 * M);
    await runKpis(KPIS, w.ports, OPTIONS);
    const old = w.state.kpiState(flow.key)!;
    await w.state.save({ kpis: new Map([[flow.key, { ...old, configHash: "1111111111111111" }]]) });
    const all = [{ from: T0 - 100 * H, to: T0 + 100 * H }];
    for (const progress of [
      { configHash: flow.configHash, replaces: "2222222222222222", done: all },
      { configHash: "3333333333333333", replaces: "1111111111111111", done: all },
    ]) {
      await w.state.save({ recomputes: new Map([[flow.key, progress]]) });
      const report = await runKpis(KPIS, w.ports, OPTIONS);
      expect(report.kpis[0]!.adoptedConfigHash).toBeUndefined();
      expect(w.state.kpiState(flow.key)!.configHash).toBe("1111111111111111");
    }
    // A recompute for this definition starts its own progress, not on top of the foreign one.
    const report = await runKpis(KPIS, w.ports, {
      ...OPTIONS,
      recompute: { from: T0 + 2 * H, to: T0 + 3 * H, kpis: [flow.key] },
    });
    expect(report.kpis[0]!.recompute!.changedDefinition!.done).toEqual([
      { from: T0 + 2 * H, to: T0 + 3 * H },
    ]);
  });

  it("records as done only what was written: a failed write leaves the rest undone", async () => {
    const w = world();
    feed(w, -2, 7, 1);
    w.clock.set(T0 + 6 * H + 5 * M);
    await runKpis(KPIS, w.ports, OPTIONS);
    const old = w.state.kpiState(units.key)!;
    await w.state.save({ kpis: new Map([[units.key, { ...old, configHash: "0000000000000000" }]]) });
    let writes = 0;
    const output = {
      latest: w.store.latest.bind(w.store),
      remove: w.store.remove.bind(w.store),
      write: async (items: Parameters<InMemoryDatapointStore["write"]>[0]) => {
        if (++writes === 2) throw new Error("injected");
        await w.store.write(items);
      },
    };
    const report = await runKpis(
      KPIS,
      { ...w.ports, output },
      { ...OPTIONS, batchWindows: 2, recompute: { from: T0, to: T0 + 6 * H, kpis: [units.key] } },
    );
    expect(report.kpis[0]!.summary.error).toBe("writing datapoints failed: injected");
    expect(report.kpis[0]!.recompute).toMatchObject({ written: false });
    // From CDF's first timestamp: what lay before the first window was removed first (none here).
    expect(w.state.recomputeProgress(units.key)!.done).toEqual([{ from: CDF_MIN_TIME, to: T0 + 2 * H }]);
  });

  it("a fenced recompute records nothing done", async () => {
    const w = world();
    feed(w, -2, 7, 1);
    w.clock.set(T0 + 6 * H + 5 * M);
    await runKpis(KPIS, w.ports, OPTIONS);
    const old = w.state.kpiState(flow.key)!;
    await w.state.save({ kpis: new Map([[flow.key, { ...old, configHash: "0000000000000000" }]]) });
    const output = {
      latest: w.store.latest.bind(w.store),
      remove: w.store.remove.bind(w.store),
      write: async (items: Parameters<InMemoryDatapointStore["write"]>[0]) => {
        w.pointer.flip("kpi-fn@2");
        await w.store.write(items);
      },
    };
    const { generation } = await w.pointer.active();
    const report = await runKpis(
      KPIS,
      { ...w.ports, output },
      { ...OPTIONS, batchWindows: 1, recompute: { from: T0, to: T0 + 6 * H } },
    );
    expect(report.fenced).toBe(true);
    // Only the mark saved before its first write (it began to rewrite the output): nothing done.
    expect(w.state.recomputeProgress(flow.key)).toEqual({
      configHash: flow.configHash,
      replaces: "0000000000000000",
      done: [],
      mark: expect.any(String),
      afterSeal: "",
      generation,
    });
  });

  it("rejects a range that is not one, and KPIs it does not know, naming them", async () => {
    const w = world();
    await expect(runKpis(KPIS, w.ports, { ...OPTIONS, recompute: { from: T0, to: T0 } })).rejects.toThrow(
      `runKpis: recompute needs from < to, both epoch milliseconds, got from ${T0}, to ${T0}`,
    );
    await expect(
      runKpis(KPIS, w.ports, { ...OPTIONS, recompute: { from: T0, to: Number.NaN } }),
    ).rejects.toThrow(/from < to/);
    await expect(
      runKpis(KPIS, w.ports, {
        ...OPTIONS,
        recompute: { from: T0, to: T0 + H, kpis: ["kpi:flow", "kpi:nope"] },
      }),
    ).rejects.toThrow('runKpis: recompute names KPIs not in the definitions: "kpi:nope"');
  });
});
