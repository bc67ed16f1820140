import type { TestEmulator } from "@kpi-pipeline/cdf-emulator/testing";
import {
  computeKpis,
  type InputSeries,
  type KpiDefinition,
  PointColumnsBuilder,
  parseKpiConfig,
  type RunPorts,
  type RunReport,
  runKpis,
  type SeriesRef,
  STATUS_BAD,
  seriesLookupKey,
  windowsBetween,
} from "@kpi-pipeline/kpi-core";
import { InMemoryDatapointStore } from "@kpi-pipeline/kpi-core/testing";
import { describe, expect, it } from "vitest";
import type { CdfConnection } from "../src/cdfConnection.js";
import { createCdfPorts } from "../src/createCdfPorts.js";
import { ensureTimeSeries } from "../src/ensureTimeSeries.js";
import { RawDocumentStore } from "../src/rawDocumentStore.js";
import { RawStateStore } from "../src/rawStateStore.js";
import { ACTIVE_VERSION_KEY } from "../src/rawVersionPointer.js";
import type { RetryPolicy } from "../src/withRetries.js";
import { cdfOnEmulator } from "./cdfOnEmulator.js";
import { failingInsertAfter } from "./failingInsertAfter.js";
import { deleteMirrored, insertMirrored, type MirroredPoint } from "./mirroredWrites.js";
import { seedSeries } from "./seedSeries.js";

// runKpis through createCdfPorts on the emulator, over real HTTP with the real SDK, on the
// emulator's virtual clock: several runs with late data, an overwrite, a deleted range, a Bad
// correction, a fenced run and a crashed one in between. At the end every closed window of every
// KPI must hold what kpi-core computes over the final input data (kept in an in-memory mirror
// fed the same points, so the check does not go through the reader under test), and none may be
// missing.

const M = 60_000;
const H = 60 * M;
const T0 = Date.parse("2024-03-30T00:00:00Z"); // Europe/Oslo changes to summer time on the 31st.
const SELF = { functionExternalId: "kpi-fn", epoch: 1 };
const SELF_ID = "kpi-fn@1";
const ONE_ATTEMPT: RetryPolicy = { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1 };

const FLOW: SeriesRef = { externalId: "plant:flow" };
const LEVEL: SeriesRef = { instanceId: { space: "plant", externalId: "level" } };

const LEVEL_DAY_SERIES: SeriesRef = { instanceId: { space: "kpis", externalId: "kpi:level:day" } };
const KPIS: KpiDefinition[] = parseKpiConfig({
  defaults: { settle: "5m" },
  kpis: [
    {
      externalId: "kpi:flow:1h",
      unit: "m3/h",
      window: { every: "1h" },
      start: "2024-03-30T00:00:00Z",
      inputs: { flow: { externalId: "plant:flow", clean: [{ range: [0, 100] }] } },
      value: "twa(flow)",
    },
    {
      // Input and output both data-model series: the output is created as a CogniteTimeSeries node.
      instanceId: { space: "kpis", externalId: "kpi:level:day" },
      window: { every: "1d", timeZone: "Europe/Oslo" },
      start: "2024-03-30T00:00:00+01:00",
      inputs: { level: { instanceId: { space: "plant", externalId: "level" } } },
      value: "timeAbove(level, 2) / 3600",
    },
    {
      externalId: "kpi:mix:30m",
      window: { every: "30m" },
      start: "2024-03-30T00:00:00Z",
      inputs: {
        flow: { externalId: "plant:flow" },
        level: { instanceId: { space: "plant", externalId: "level" } },
      },
      value: "max(flow) - twa(level)",
    },
  ],
});

const LEVEL_DAY = KPIS.find((kpi) => seriesLookupKey(kpi.series) === seriesLookupKey(LEVEL_DAY_SERIES))!.key;

let t: TestEmulator;
let cdf: CdfConnection;
/** The inputs as they are in the emulator, kept independently of the reader. */
let mirror: InMemoryDatapointStore;

cdfOnEmulator({ project: "e2e-test", clock: new Date(T0).toISOString() }, (suite) => {
  ({ t, cdf } = suite);
});

function lcg(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) >>> 0;
    return s / 2 ** 32;
  };
}

type Point = MirroredPoint;

const insert = (ref: SeriesRef, points: Point[]) => insertMirrored(t, mirror, ref, points);

const deleteRange = (ref: SeriesRef, start: number, end: number) =>
  deleteMirrored(t, mirror, ref, start, end);

/** Flow every 10 minutes (some Bad, some out of the clean range), level steps every ~40 minutes. */
async function feed(fromH: number, toH: number, seed: number): Promise<void> {
  const next = lcg(seed);
  const flow: Point[] = [];
  const level: Point[] = [];
  for (let ts = T0 + fromH * H; ts < T0 + toH * H; ts += 10 * M) {
    const r = next();
    flow.push(
      r < 0.08
        ? { timestamp: ts, status: STATUS_BAD }
        : { timestamp: ts, value: r < 0.12 ? 150 : 20 + next() * 30 },
    );
    if (next() < 0.25) level.push({ timestamp: ts + 3 * M, value: Math.floor(next() * 4) });
  }
  await insert(FLOW, flow);
  await insert(LEVEL, level);
}

/** What every KPI's output must hold now: kpi-core over the mirror's final data. */
function truth(now: number): Map<string, Array<[number, number | null, number]>> {
  const series = new Map<string, InputSeries>();
  for (const [ref, isStep] of [
    [FLOW, false],
    [LEVEL, true],
  ] as const) {
    const b = new PointColumnsBuilder();
    for (const p of mirror.points(ref)) b.append(p.timestamp, p.value, p.status);
    series.set(seriesLookupKey(ref), { points: b.build(), isStep });
  }
  const results = computeKpis(
    KPIS.map((kpi) => ({ kpi, windows: windowsBetween(kpi.window, kpi.startMs!, now - kpi.settleMs) })),
    series,
  );
  return new Map(
    KPIS.map((kpi, i) => [
      kpi.key,
      results[i]!.map((d): [number, number | null, number] =>
        d.status === "Good" ? [d.timestamp, d.value, 0] : [d.timestamp, null, STATUS_BAD],
      ),
    ]),
  );
}

async function outputs(): Promise<Map<string, Array<[number, number | null, number]>>> {
  const out = new Map<string, Array<[number, number | null, number]>>();
  for (const kpi of KPIS) {
    const response = await cdf.post<{
      items: Array<{ datapoints: Array<{ timestamp: number; value?: number; status?: { code: number } }> }>;
    }>("/timeseries/data/list", {
      items: [{ ...kpi.series, limit: 100_000 }],
      start: T0 - 24 * H,
      end: T0 + 30 * 24 * H,
      includeStatus: true,
      ignoreBadDataPoints: false,
      ignoreUnknownIds: true,
    });
    out.set(
      kpi.key,
      (response.items[0]?.datapoints ?? []).map((p) => [p.timestamp, p.value ?? null, p.status?.code ?? 0]),
    );
  }
  return out;
}

class Crash extends Error {}

/** The ports, except that the process "dies" right after the output's `writes`-th write: every later call throws. */
function crashingAfterWrite(ports: RunPorts, writes: number): RunPorts {
  let written = 0;
  let dead = false;
  const wrap = <T extends object>(target: T, isOutput: boolean): T =>
    new Proxy(target, {
      get(obj, key, receiver) {
        const value = Reflect.get(obj, key, receiver);
        if (typeof value !== "function") return value;
        return async (...args: unknown[]) => {
          if (dead) throw new Crash("the process is gone");
          const result = await value.apply(obj, args);
          if (isOutput && key === "write" && ++written === writes) {
            dead = true;
            throw new Crash(`crash after write ${writes}`);
          }
          return result;
        };
      },
    });
  return {
    source: wrap(ports.source, false),
    output: wrap(ports.output, true),
    pointer: wrap(ports.pointer, false),
    changes: Object.assign(wrap(ports.changes, false), { partitions: ports.changes.partitions }),
    state: wrap(ports.state, false),
    clock: ports.clock,
  };
}

describe("runKpis through createCdfPorts on the emulator", () => {
  it("keeps every closed window equal to kpi-core over the final data through late data, corrections, a fence and a crash", async () => {
    await t.emulator.control.reset();
    await t.emulator.control.setClock(T0);
    mirror = new InMemoryDatapointStore();
    await seedSeries(t, [
      { ref: FLOW, points: [] },
      { ref: LEVEL, isStep: true, points: [] },
    ]);
    await cdf.post("/models/spaces", { items: [{ space: "kpis" }] });
    const documents = new RawDocumentStore(cdf, { db: "kpi_state", table: "state" });
    await documents.put(ACTIVE_VERSION_KEY, { ...SELF, previous: null });
    const clock = { now: () => t.emulator.control.now() };
    const options = { self: SELF_ID, budgetMs: 60_000, batchWindows: 8 };
    const requests: Array<{ run: string; requests: number; report: RunReport | undefined }> = [];
    const run = async (name: string, wrap: (ports: RunPorts) => RunPorts = (p) => p) => {
      const before = cdf.requestCount;
      const { ports, subscription } = await createCdfPorts(cdf, KPIS, {
        clock,
        partitionCount: 2,
        changePageSize: 40,
        maxWritePoints: 50,
      });
      let report: RunReport | undefined;
      try {
        report = await runKpis(KPIS, wrap(ports), { ...options, subscription });
      } catch (error) {
        if (!(error instanceof Crash)) throw error;
      }
      requests.push({ run: name, requests: cdf.requestCount - before, report });
      return report;
    };

    // Run 1: history from start, 20 hours in.
    await feed(-2, 20, 1);
    await t.emulator.control.setClock(T0 + 20 * H + 5 * M);
    const first = await run("first");
    expect(first?.kpis.map((k) => [k.key, k.summary.due, k.summary.error])).toEqual([
      ["kpi:flow:1h", 20, undefined],
      [LEVEL_DAY, 0, undefined],
      ["kpi:mix:30m", 40, undefined],
    ]);

    // Late data: hours 3 and 4 get points between the ones they had; new data up to hour 26.
    const late = lcg(7);
    await insert(
      FLOW,
      Array.from({ length: 12 }, (_, i) => ({
        timestamp: T0 + 3 * H + i * 10 * M + 5 * M,
        value: 60 + late() * 20,
      })),
    );
    await feed(20, 26, 2);
    await t.emulator.control.setClock(T0 + 26 * H + 5 * M);
    const second = await run("late data");
    expect(second?.kpis.find((k) => k.key === "kpi:flow:1h")?.summary.dirty).toBeGreaterThanOrEqual(2);

    // An overwrite, a deleted range and a Bad correction, all well back; then a day's more data.
    await insert(FLOW, [{ timestamp: T0 + 5 * H, value: 99 }]);
    await deleteRange(LEVEL, T0 + 8 * H, T0 + 9 * H + 30 * M);
    await insert(FLOW, [{ timestamp: T0 + 10 * H + 20 * M, status: STATUS_BAD }]);
    await feed(26, 49, 3);
    await t.emulator.control.setClock(T0 + 49 * H + 5 * M);
    await run("corrections");

    // The pointer names someone else: nothing is written, nothing committed.
    await documents.put(ACTIVE_VERSION_KEY, { functionExternalId: "kpi-fn", epoch: 2, previous: SELF });
    await insert(FLOW, [{ timestamp: T0 + 2 * H + 7 * M, value: 80 }]);
    await feed(49, 52, 4);
    await t.emulator.control.setClock(T0 + 52 * H + 5 * M);
    const beforeFence = await outputs();
    const fenced = await run("fenced");
    expect(fenced?.fenced).toBe(true);
    expect(await outputs()).toEqual(beforeFence);
    await documents.put(ACTIVE_VERSION_KEY, { functionExternalId: "kpi-fn", epoch: 3, previous: null });
    const SELF3 = "kpi-fn@3";
    options.self = SELF3;

    // A run that dies after its first write batch, then the next run, at the same time.
    await insert(FLOW, [{ timestamp: T0 + 30 * H + 1 * M, value: 1 }]);
    await deleteRange(FLOW, T0 + 40 * H, T0 + 40 * H + 25 * M);
    await feed(52, 60, 5);
    await t.emulator.control.setClock(T0 + 60 * H + 5 * M);
    expect(await run("crashed", (ports) => crashingAfterWrite(ports, 1))).toBeUndefined();
    const repaired = await run("after the crash");
    expect(repaired?.fenced).toBe(false);
    expect(repaired?.cursorsCommitted).toBe(true);
    expect(repaired?.kpis.every((k) => k.summary.error === undefined)).toBe(true);

    const now = t.emulator.control.now();
    const expected = truth(now);
    const got = await outputs();
    for (const kpi of KPIS) {
      const closed = windowsBetween(kpi.window, kpi.startMs!, now - kpi.settleMs).length;
      expect(got.get(kpi.key)!.length, `${kpi.key}: windows present`).toBe(closed);
      expect(got.get(kpi.key), kpi.key).toEqual(expected.get(kpi.key));
    }
    // Requests per run, for the README (counted by the connection, the SDK's retries included).
    console.info(
      requests
        .map(
          (r) =>
            `${r.run}: ${r.requests} requests; ` +
            (r.report?.kpis.map((k) => `${k.key} due ${k.summary.due} dirty ${k.summary.dirty}`).join(", ") ??
              "no report"),
        )
        .join("\n"),
    );
  }, 120_000);
});

describe("a KPI whose input does not exist", () => {
  it("stops only that KPI, with an error naming the series, and the others are written", async () => {
    await t.emulator.control.reset();
    await t.emulator.control.setClock(T0 + 3 * H + 5 * M);
    await seedSeries(t, [{ ref: FLOW, points: [{ timestamp: T0, value: 10 }] }]);
    const kpis = parseKpiConfig({
      defaults: { settle: "5m", start: "2024-03-30T00:00:00Z" },
      kpis: [
        {
          externalId: "kpi:ok",
          window: { every: "1h" },
          inputs: { flow: { externalId: "plant:flow" } },
          value: "count(flow)",
        },
        {
          externalId: "kpi:orphan",
          window: { every: "1h" },
          inputs: { x: { externalId: "no-such-input" } },
          value: "count(x)",
        },
      ],
    });
    const documents = new RawDocumentStore(cdf, { db: "kpi_state", table: "state" });
    await documents.put(ACTIVE_VERSION_KEY, { ...SELF, previous: null });
    // A subscription cannot hold a series that does not exist, so the ports are built over the good input only.
    const { ports, subscription } = await createCdfPorts(cdf, kpis.slice(0, 1), {
      clock: { now: () => t.emulator.control.now() },
    });
    const report = await runKpis(kpis, ports, { self: SELF_ID, subscription, budgetMs: 60_000 });
    expect(report.kpis.map((k) => [k.key, k.summary.due, k.summary.error])).toEqual([
      ["kpi:ok", 3, undefined],
      [
        "kpi:orphan",
        0,
        'reading inputs failed: Input time series externalId "no-such-input" does not exist in CDF project e2e-test. ' +
          "Create it, or correct the KPI's input in kpis.yaml.",
      ],
    ]);
  });
});

describe("a write that fails part way", () => {
  it("is reported as the KPI's error, nothing past it counts as done, and the next run completes the output", async () => {
    await t.emulator.control.reset();
    await t.emulator.control.setClock(T0 + 10 * H + 5 * M);
    mirror = new InMemoryDatapointStore();
    await seedSeries(t, [
      { ref: FLOW, points: [] },
      { ref: LEVEL, isStep: true, points: [] },
    ]);
    await feed(0, 10, 11);
    const kpis = KPIS.filter((k) => k.key !== LEVEL_DAY);
    const documents = new RawDocumentStore(cdf, { db: "kpi_state", table: "state" });
    await documents.put(ACTIVE_VERSION_KEY, { ...SELF, previous: null });
    await ensureTimeSeries(
      cdf,
      kpis.map((k) => ({ externalId: k.key, configHash: k.configHash, inputs: [] })),
    );
    const options = { clock: { now: () => t.emulator.control.now() }, maxWritePoints: 5, retry: ONE_ATTEMPT };
    const broken = await createCdfPorts(failingInsertAfter(t, cdf, 2, 1000), kpis, options);
    const report = await runKpis(kpis, broken.ports, {
      self: SELF_ID,
      subscription: broken.subscription,
      budgetMs: 60_000,
    });
    const failed = report.kpis.filter((k) => k.summary.error !== undefined);
    expect(failed.length).toBeGreaterThan(0);
    for (const k of failed)
      expect(k.summary.error).toMatch(
        /^writing datapoints failed: Datapoint write stopped at request \d+ of \d+: POST \/timeseries\/data got no answer from CDF/,
      );
    // What the output holds is a prefix of the truth: nothing after a hole.
    const expected = truth(t.emulator.control.now());
    const partial = await outputs();
    for (const kpi of kpis) {
      const want = expected.get(kpi.key)!;
      expect(partial.get(kpi.key)).toEqual(want.slice(0, partial.get(kpi.key)!.length));
    }
    expect([...partial.values()].flat().length).toBeLessThan([...expected.values()].flat().length);

    t.emulator.control.clearFaults();
    const healthy = await createCdfPorts(cdf, kpis, { clock: options.clock });
    const next = await runKpis(kpis, healthy.ports, {
      self: SELF_ID,
      subscription: healthy.subscription,
      budgetMs: 60_000,
    });
    expect(next.kpis.map((k) => k.summary.error)).toEqual([undefined, undefined]);
    const final = await outputs();
    for (const kpi of kpis) expect(final.get(kpi.key), kpi.key).toEqual(expected.get(kpi.key));
  });
});

describe("a changed definition, recomputed in parts", () => {
  /** A fresh project with six hours of inputs, this version active, and a run of given KPIs on it. */
  async function sixHoursOfFlow(seed: number) {
    await t.emulator.control.reset();
    await t.emulator.control.setClock(T0 + 6 * H + 5 * M);
    mirror = new InMemoryDatapointStore();
    await seedSeries(t, [
      { ref: FLOW, points: [] },
      { ref: LEVEL, isStep: true, points: [] },
    ]);
    await feed(0, 6, seed);
    const documents = new RawDocumentStore(cdf, { db: "kpi_state", table: "state" });
    await documents.put(ACTIVE_VERSION_KEY, { ...SELF, previous: null });
    const clock = { now: () => t.emulator.control.now() };
    const run = async (kpis: KpiDefinition[], recompute?: { from: number; to: number }) => {
      const { ports, subscription } = await createCdfPorts(cdf, kpis, { clock });
      return runKpis(kpis, ports, {
        self: SELF_ID,
        subscription,
        budgetMs: 60_000,
        ...(recompute === undefined ? {} : { recompute }),
      });
    };
    return { documents, run };
  }

  it("keeps the old hash in Raw until the parts cover the whole output, then the next scheduled run takes the new one", async () => {
    const { documents, run } = await sixHoursOfFlow(21);
    const definition = (value: string) =>
      parseKpiConfig({
        defaults: { settle: "5m", start: "2024-03-30T00:00:00Z" },
        kpis: [
          {
            externalId: "kpi:changing",
            window: { every: "1h" },
            inputs: { flow: { externalId: "plant:flow" } },
            value,
          },
        ],
      });
    const stored = async () => {
      const response = await cdf.post<{ items: Array<{ datapoints: Array<{ value?: number }> }> }>(
        "/timeseries/data/list",
        { items: [{ externalId: "kpi:changing" }], start: T0, end: T0 + 24 * H },
      );
      return response.items[0]!.datapoints.map((p) => p.value);
    };
    const v1 = definition("count(flow)");
    await run(v1);
    const counts = (await stored()).map((v) => v!);
    expect(counts).toHaveLength(6);
    const tenfold = counts.map((c) => c * 10);

    const v2 = definition("count(flow) * 10");
    expect((await run(v2)).kpis[0]!.summary.error).toMatch(/definition changed/);
    const late = await run(v2, { from: T0 + 3 * H, to: T0 + 24 * H });
    expect(late.kpis[0]!.recompute!.changedDefinition!.complete).toBe(false);
    expect(await stored()).toEqual([...counts.slice(0, 3), ...tenfold.slice(3)]);
    const early = await run(v2, { from: T0, to: T0 + 3 * H });
    expect(early.kpis[0]!.recompute!.changedDefinition!.complete).toBe(true);
    const raw = new RawStateStore(documents);
    expect((await raw.load([v2[0]!.key], "kpi-pipeline-inputs")).kpis.get(v2[0]!.key)!.configHash).toBe(
      v1[0]!.configHash,
    );

    await t.emulator.control.setClock(T0 + 7 * H + 5 * M);
    await feed(6, 7, 22);
    const taken = await run(v2);
    expect(taken.kpis[0]!.adoptedConfigHash).toBe(v2[0]!.configHash);
    const after = await stored();
    expect(after.slice(0, 6)).toEqual(tenfold);
    expect(after).toHaveLength(7);
    expect((await raw.load([v2[0]!.key], "kpi-pipeline-inputs")).kpis.get(v2[0]!.key)!.configHash).toBe(
      v2[0]!.configHash,
    );
  });

  it("on another grid and start, leaves only the new windows: CDF deletes the old ones between them and before the start", async () => {
    const { run } = await sixHoursOfFlow(23);
    const definition = (window: { every: string; offset?: string }, start: string) =>
      parseKpiConfig({
        defaults: { settle: "5m" },
        kpis: [
          {
            externalId: "kpi:regrid",
            window,
            start,
            inputs: { flow: { externalId: "plant:flow" } },
            value: "count(flow)",
          },
        ],
      });
    const timestamps = async () => {
      const response = await cdf.post<{ items: Array<{ datapoints: Array<{ timestamp: number }> }> }>(
        "/timeseries/data/list",
        {
          items: [{ externalId: "kpi:regrid" }],
          start: T0 - 24 * H,
          end: T0 + 24 * H,
          ignoreBadDataPoints: false,
        },
      );
      return response.items[0]!.datapoints.map((p) => (p.timestamp - T0) / M);
    };
    const v1 = definition({ every: "1h" }, "2024-03-30T00:00:00Z");
    await run(v1);
    expect(await timestamps()).toEqual([0, 60, 120, 180, 240, 300]);

    const v2 = definition({ every: "30m", offset: "10m" }, "2024-03-30T01:10:00Z");
    expect((await run(v2)).kpis[0]!.summary.error).toMatch(/definition changed/);
    const recompute = await run(v2, { from: T0 - 24 * H, to: T0 + 24 * H });
    // 00:00 before the start, 01:00 to 04:00 between the new windows, 05:00 inside the last one.
    expect(recompute.kpis[0]!.recompute).toMatchObject({
      written: true,
      removed: 6,
      changedDefinition: { complete: true },
    });
    // 01:10 to 04:40, the windows up to the old output's end (05:00); 00:00 (before the start) and
    // the hours between went.
    expect(await timestamps()).toEqual([70, 100, 130, 160, 190, 220, 250, 280]);
    const taken = await run(v2);
    expect(taken.kpis[0]!.adoptedConfigHash).toBe(v2[0]!.configHash);
    expect(await timestamps()).toEqual([70, 100, 130, 160, 190, 220, 250, 280, 310]);
  });
});
