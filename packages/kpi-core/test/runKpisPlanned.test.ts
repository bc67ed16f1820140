import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Span } from "../src/dirtySpans.js";
import { computeWindows } from "../src/engine.js";
import { parseKpiConfig } from "../src/parseKpiConfig.js";
import { PointColumnsBuilder } from "../src/points.js";
import type { PendingRecord, StateSave } from "../src/ports.js";
import { type RunPorts, runKpis } from "../src/runKpis.js";
import { seriesLookupKey } from "../src/series.js";
import {
  FixedClock,
  InMemoryChangeSource,
  InMemoryDatapointStore,
  InMemoryStateStore,
} from "../src/testing/index.js";
import { windowContaining } from "../src/window.js";
import { isProvisionalPlan } from "./heldPorts.js";

// A run's record carries its plan (PendingRecord.planned): every window it may write. Another
// run that overlapped it recomputes only the windows it wrote that meet that plan, so the plan
// must hold every window the run writes, on every path: due windows, dirty ones, a chunk retried
// after a failed batch, a recompute's range, all windows after a lost cursor or a failed planning.

const M = 60_000;
const H = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);
const SELF = "f@1";
const KPIS = parseKpiConfig({
  defaults: { settle: "1m" },
  kpis: [
    {
      externalId: "kpi:max10m",
      start: "2024-01-01T00:00:00Z",
      window: { every: "10m" },
      inputs: { x: { externalId: "x" } },
      value: "max(x)",
    },
    {
      externalId: "kpi:twa1h",
      start: "2024-01-01T00:15:00Z",
      window: { every: "1h", offset: "15m" },
      inputs: { x: { externalId: "x", clean: [{ spike: { window: 5, k: 3 } }], maxGap: "30m" } },
      value: "twa(x)",
    },
    {
      externalId: "kpi:day",
      start: "2023-12-30",
      window: { every: "1d", timeZone: "Europe/Oslo" },
      inputs: { y: { externalId: "y", step: true } },
      value: "twa(y) + count(y)",
    },
    {
      externalId: "kpi:sum30m",
      start: "2024-01-01T00:00:00Z",
      window: { every: "30m" },
      inputs: { x: { externalId: "x" }, y: { externalId: "y", step: true } },
      value: "sum(x) + last(y)",
    },
  ],
});
const KEYS = KPIS.map((k) => k.key);

const late = fc.record({
  series: fc.constantFrom("x", "y"),
  // From a day before T0 to 30 hours after it, to the second.
  at: fc.integer({ min: -24 * 3600, max: 30 * 3600 }).map((s) => T0 + s * 1000),
  value: fc.integer({ min: 0, max: 9 }),
  deleteMs: fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 1, max: 3 * H })),
});

const scenario = fc.record({
  late: fc.array(late, { maxLength: 6 }),
  /** Hours after T0 the checked run starts. */
  startHour: fc.integer({ min: 26, max: 40 }),
  budgetCalls: fc.constantFrom(0, 5, 12, 1000, 1000),
  batchWindows: fc.integer({ min: 1, max: 6 }),
  failWrites: fc.integer({ min: 0, max: 2 }),
  failReads: fc.constantFrom(0, 0, 0, 1, 2),
  lost: fc.constantFrom(false, false, false, true),
  changedHash: fc.option(fc.constantFrom(...KEYS), { nil: undefined, freq: 2 }),
  /** Pending spans a stored record leaves (hours after T0). */
  pending: fc.array(
    fc.record({ key: fc.constantFrom(...KEYS), from: fc.integer({ min: -30, max: 40 }), hours: fc.nat(5) }),
    { maxLength: 3 },
  ),
  recompute: fc.option(
    fc.record({
      from: fc.integer({ min: -48, max: 40 }),
      hours: fc.integer({ min: 1, max: 60 }),
      kpis: fc.option(fc.subarray(KEYS, { minLength: 1 }), { nil: undefined }),
    }),
    { nil: undefined, freq: 2 },
  ),
});

/** Whether the window is inside one of the spans. */
const inside = (w: Span, spans: readonly Span[]) => spans.some((s) => s.from <= w.from && w.to <= s.to);

/** One KPI: the max of x over 10-minute windows from 2024-01-01. */
const MAX_10M = parseKpiConfig({
  defaults: { start: "2024-01-01T00:00:00Z", settle: "1m" },
  kpis: [
    { externalId: "kpi:max", window: { every: "10m" }, inputs: { x: { externalId: "x" } }, value: "max(x)" },
  ],
});

describe("a run's plan", () => {
  it("holds every window the run writes, on every path", async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (sc) => {
        const store = new InMemoryDatapointStore();
        // x every 10 minutes, y every 3 hours (a step), over the first day.
        store.insert(
          { externalId: "x" },
          Array.from({ length: 144 }, (_, k) => ({ timestamp: T0 + k * 10 * M, value: (k * 7) % 5 })),
        );
        store.insert(
          { externalId: "y" },
          Array.from({ length: 8 }, (_, k) => ({ timestamp: T0 + k * 3 * H, value: k % 3 })),
          { isStep: true },
        );
        const changes = new InMemoryChangeSource(store, { partitions: 2 });
        const state = new InMemoryStateStore();
        const clock = new FixedClock(T0 + 24 * H + 5 * M);
        const pointer = { active: async () => ({ version: SELF, generation: "1" }) };
        const plain: RunPorts = { source: store, output: store, pointer, changes, state, clock };
        await runKpis(KPIS, plain, { self: SELF, subscription: "s", budgetMs: 60_000, runId: "r0" });

        for (const p of sc.late) {
          if (p.deleteMs > 0)
            await store.delete({ externalId: p.series }, { start: p.at, end: p.at + p.deleteMs });
          else store.insert({ externalId: p.series }, [{ timestamp: p.at, value: p.value }]);
        }
        if (sc.lost) changes.expire();
        if (sc.changedHash !== undefined) {
          await state.save({ kpis: new Map([[sc.changedHash, { configHash: "an older definition" }]]) });
        }
        if (sc.pending.length > 0) {
          const kpis = new Map<string, Span[]>();
          for (const p of sc.pending) {
            const from = T0 + p.from * H;
            kpis.set(p.key, [...(kpis.get(p.key) ?? []), { from, to: from + p.hours * H }]);
          }
          await state.save({ pending: { put: { id: "left", kpis } } });
        }
        clock.set(T0 + sc.startHour * H + 7 * M);
        store.failWrites(sc.failWrites);

        // The checked run: each port call moves its clock a second (so a budget runs out), reads
        // fail as asked (the first ones are planning's), and its writes and record puts are kept.
        const written = new Map<string, Span[]>();
        const puts: PendingRecord[] = [];
        let readsToFail = sc.failReads;
        const tick = () => {
          clock.set(clock.now() + 1000);
        };
        const byOutput = new Map(KPIS.map((k) => [seriesLookupKey(k.series), k]));
        const ports: RunPorts = {
          source: {
            read: async (r) => {
              tick();
              if (readsToFail-- > 0) throw new Error("read failed (injected)");
              return store.read(r);
            },
          },
          output: {
            latest: (r) => store.latest(r),
            write: async (items) => {
              tick();
              // Counted before it is sent, as a write that fails may have landed.
              for (const { series, datapoints } of items) {
                const kpi = byOutput.get(seriesLookupKey(series))!;
                const spans = written.get(kpi.key) ?? [];
                for (const d of datapoints) {
                  const w = windowContaining(kpi.window, d.timestamp);
                  spans.push({ from: w.start, to: w.end });
                }
                written.set(kpi.key, spans);
              }
              await store.write(items);
            },
            remove: (r) => store.remove(r),
          },
          pointer,
          changes: {
            partitions: changes.partitions,
            poll: (c) => {
              tick();
              return changes.poll(c);
            },
          },
          state: {
            load: (k, s) => state.load(k, s),
            save: async (e: StateSave) => {
              if (e.pending?.put?.id.startsWith("checked~")) puts.push(structuredClone(e.pending.put));
              await state.save(e);
            },
          },
          clock,
        };
        const recompute =
          sc.recompute === undefined
            ? undefined
            : {
                from: T0 + sc.recompute.from * H,
                to: T0 + (sc.recompute.from + sc.recompute.hours) * H,
                ...(sc.recompute.kpis === undefined ? {} : { kpis: sc.recompute.kpis }),
              };
        const report = await runKpis(KPIS, ports, {
          self: SELF,
          subscription: "s",
          // The budget, in port calls so far (a second each).
          budgetMs: sc.budgetCalls * 1000,
          runId: "checked",
          batchWindows: sc.batchWindows,
          ...(recompute === undefined ? {} : { recompute }),
        });

        // Every put has a plan. A recompute's first put has the whole plan. A scheduled run's
        // first put has the provisional one (any window of each KPI it may write) until its plan
        // proper is put; every put after that has the same plan.
        expect(puts.every((p) => p.planned !== undefined)).toBe(true);
        const provisional = puts[0]!.planned!;
        expect(isProvisionalPlan(provisional)).toBe(recompute === undefined && provisional.size > 0);
        const plans = puts.map((p) => p.planned!).filter((p) => !isProvisionalPlan(p));
        for (const p of plans) expect(p).toEqual(plans[0]);
        const planned = plans[0] ?? new Map<string, Span[]>();
        for (const [key, spans] of written) {
          if (recompute === undefined) expect(provisional.has(key), key).toBe(true);
          for (const w of spans) {
            expect(
              inside(w, planned.get(key) ?? []),
              `${key} [${w.from - T0}, ${w.to - T0}) in its plan`,
            ).toBe(true);
          }
        }
        // The plan asks no more than it may: a KPI left to the backfill plans nothing, not even
        // provisionally.
        const left = report.kpis.find((k) => k.key === sc.changedHash)?.summary.error?.includes("changed");
        if (sc.changedHash !== undefined && recompute === undefined) {
          expect(planned.has(sc.changedHash)).toBe(false);
          expect(provisional.has(sc.changedHash)).toBe(!left);
        }
      }),
      { numRuns: 300 },
    );
  }, 120_000);
});

describe("a large plan", () => {
  const ONE = MAX_10M;
  const KEY = ONE[0]!.key;
  /** x every 10 minutes for `hours`, at the end of them; the puts of the run's record and its writes. */
  const site = (hours: number) => {
    const store = new InMemoryDatapointStore();
    store.insert(
      { externalId: "x" },
      Array.from({ length: hours * 6 }, (_, k) => ({ timestamp: T0 + k * 10 * M, value: 1 })),
    );
    const state = new InMemoryStateStore();
    const clock = new FixedClock(T0 + hours * H);
    const ports: RunPorts = {
      source: store,
      output: store,
      pointer: { active: async () => ({ version: SELF, generation: "1" }) },
      changes: new InMemoryChangeSource(store, { partitions: 1 }),
      state,
      clock,
    };
    const puts: PendingRecord[] = [];
    const written: Span[] = [];
    const watched: RunPorts = {
      ...ports,
      output: {
        latest: (r) => store.latest(r),
        remove: (r) => store.remove(r),
        write: async (items) => {
          for (const d of items[0]!.datapoints) {
            const w = windowContaining(ONE[0]!.window, d.timestamp);
            written.push({ from: w.start, to: w.end });
          }
          await store.write(items);
        },
      },
      state: {
        load: (k, sub) => state.load(k, sub),
        save: async (e: StateSave) => {
          if (e.pending?.put !== undefined) puts.push(structuredClone(e.pending.put));
          await state.save(e);
        },
      },
    };
    return { store, clock, ports, watched, puts, written };
  };
  const opts = (runId: string) => ({ self: SELF, subscription: "s", budgetMs: 60_000, runId });

  it("of more than 32 spans is joined to 32 that still hold every window written", async () => {
    const { clock, ports, watched, puts, written } = site(140);
    await runKpis(ONE, ports, opts("r0"));
    // 40 windows left pending by an earlier run, each gap one window longer than the one before:
    // 40 dirty spans, of which joining the 8 smallest gaps leaves 32.
    const left = Array.from({ length: 40 }, (_, k) => {
      const from = T0 + ((k * (k + 1)) / 2) * 10 * M;
      return { from, to: from + 10 * M };
    });
    await ports.state.save({ pending: { put: { id: "earlier", kpis: new Map([[KEY, left]]) } } });
    clock.set(T0 + 140 * H + 12 * M);
    await runKpis(ONE, watched, opts("S"));
    const planned = puts
      .find((p) => p.planned !== undefined && !isProvisionalPlan(p.planned))!
      .planned!.get(KEY)!;
    expect(planned.length).toBe(32);
    expect(written.length).toBeGreaterThan(40); // the 40, and what came due
    for (const w of written)
      expect(
        planned.some((s) => s.from <= w.from && w.to <= s.to),
        `${(w.from - T0) / M}`,
      ).toBe(true);
  });
});

describe("overlapping runs with plans", () => {
  // Two runs at once, each a scheduled call or a backfill of a random range, while late points
  // land anywhere in the KPI's history: each recomputes only what meets the other's plan, and
  // after one more run every window must still equal a computation over the data as it is.
  const KPI = MAX_10M;
  const run = fc.record({
    recompute: fc.option(
      fc.record({ from: fc.integer({ min: 0, max: 11 }), windows: fc.integer({ min: 1, max: 14 }) }),
      { nil: undefined, freq: 3 },
    ),
    budgetMs: fc.constantFrom(0, 60_000, 60_000),
    // Its clock against the first run's: up to 3 minutes ahead.
    aheadMs: fc.integer({ min: 0, max: 180 }).map((s) => s * 1000),
  });

  it("after any interleaving of a backfill or a scheduled call beside another and late points, one more run leaves every window exact", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.array(
          fc.record({
            // In one of a few windows, so that both runs often write the same one: an old one, the
            // last the output has, the first due one, one closed for a run whose clock is ahead.
            at: fc
              .tuple(fc.constantFrom(3, 10, 11, 12), fc.integer({ min: 0, max: 599 }))
              .map(([w, sec]) => (w * 600 + sec) * 1000 + 7),
            value: fc.integer({ min: 0, max: 9 }),
          }),
          { minLength: 1, maxLength: 5 },
        ),
        run,
        run,
        async (s, late, a, b) => {
          const store = new InMemoryDatapointStore();
          store.insert({ externalId: "x" }, [
            ...Array.from({ length: 12 }, (_, k) => ({ timestamp: T0 + k * 10 * M, value: 1 })),
            { timestamp: T0 + 2 * H - 20_000, value: 1 },
          ]);
          const changes = new InMemoryChangeSource(store, { partitions: 1 });
          const state = new InMemoryStateStore();
          const clock = new FixedClock(T0 + 2 * H);
          const pointer = { active: async () => ({ version: SELF, generation: "1" }) };
          const plain: RunPorts = { source: store, output: store, pointer, changes, state, clock };
          const opts = (runId: string, budgetMs = 60_000) => ({
            self: SELF,
            subscription: "s",
            budgetMs,
            runId,
          });
          await runKpis(KPI, plain, opts("r0"));

          const scheduled = (clock: FixedClock): RunPorts => ({
            source: { read: s.scheduleFunction((r: Parameters<typeof store.read>[0]) => store.read(r)) },
            output: {
              latest: s.scheduleFunction((r: Parameters<typeof store.latest>[0]) => store.latest(r)),
              write: s.scheduleFunction((w: Parameters<typeof store.write>[0]) => store.write(w)),
              remove: s.scheduleFunction((r: Parameters<typeof store.remove>[0]) => store.remove(r)),
            },
            pointer: { active: s.scheduleFunction(() => pointer.active()) },
            changes: {
              partitions: changes.partitions,
              poll: s.scheduleFunction((c: Parameters<typeof changes.poll>[0]) => changes.poll(c)),
            },
            state: {
              load: s.scheduleFunction((k: readonly string[], sub: string) => state.load(k, sub)),
              save: s.scheduleFunction((e: StateSave) => state.save(e)),
            },
            clock,
          });
          for (const p of late) {
            void s
              .schedule(Promise.resolve())
              .then(() => store.insert({ externalId: "x" }, [{ timestamp: T0 + p.at, value: p.value }]));
          }
          const start = (r: typeof a, id: string) =>
            runKpis(KPI, scheduled(new FixedClock(T0 + 2 * H + r.aheadMs)), {
              ...opts(id, r.budgetMs),
              ...(r.recompute === undefined
                ? {}
                : {
                    recompute: {
                      from: T0 + r.recompute.from * 10 * M,
                      to: T0 + (r.recompute.from + r.recompute.windows) * 10 * M,
                    },
                  }),
            });
          await s.waitFor(Promise.all([start(a, "A"), start(b, "B")]));

          clock.set(T0 + 2 * H + 11 * M);
          await runKpis(KPI, plain, opts("C"));
          const kpi = KPI[0]!;
          const windows = Array.from({ length: 13 }, (_, k) => ({
            start: T0 + k * 10 * M,
            end: T0 + (k + 1) * 10 * M,
          }));
          const points = new PointColumnsBuilder();
          for (const p of store.points({ externalId: "x" })) points.append(p.timestamp, p.value, p.status);
          const want = computeWindows(
            kpi,
            windows,
            new Map([["x", { points: points.build(), isStep: false }]]),
          );
          const got = store.points(kpi.series).filter((p) => p.timestamp < T0 + 130 * M);
          // A window without a value: null from the engine, stored as NaN with status Bad.
          const value = (v: number | null | undefined) =>
            v === undefined || v === null || Number.isNaN(v) ? null : v;
          expect(got.map((p) => [(p.timestamp - T0) / M, value(p.value)])).toEqual(
            want.map((d) => [(d.timestamp - T0) / M, value(d.value)]),
          );
        },
      ),
      // Random seeds: 100,000 cases passed in five runs of 20,000. With the overlapping run's plan
      // ignored (nothing pended) it fails about once in 1,000 cases.
      { numRuns: 1000 },
    );
  }, 120_000);
});
