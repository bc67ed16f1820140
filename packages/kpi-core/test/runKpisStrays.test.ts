// A changed definition (another window grid, offset, zone or start) is recomputed by the backfill,
// and the output must then hold the new definition's windows and nothing else: a datapoint the
// old grid left between the new windows, or before a later start, is one more wrong value.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { computeKpis } from "../src/engine.js";
import type { KpiDefinition } from "../src/kpiDefinition.js";
import { CDF_MIN_TIME, type InputSeries, STATUS_BAD } from "../src/model.js";
import { parseKpiConfig } from "../src/parseKpiConfig.js";
import { PointColumnsBuilder } from "../src/points.js";
import type { StateSave, StateStore } from "../src/ports.js";
import { type RunPorts, runKpis, strayRanges } from "../src/runKpis.js";
import {
  FixedClock,
  InMemoryChangeSource,
  InMemoryDatapointStore,
  InMemoryStateStore,
  InMemoryVersionPointer,
} from "../src/testing/index.js";
import { windowAtOrAfter, windowContaining, windowsBetween } from "../src/window.js";
import { held, heldOutput } from "./heldPorts.js";

const M = 60_000;
const H = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);
const NOW = T0 + 30 * H;
const OPTIONS = { self: "kpi-fn@1", subscription: "kpi-inputs", budgetMs: 60_000 };

interface Grid {
  every: string;
  offset?: string;
  timeZone?: string;
  startH: number;
}

/** The KPI on `grid`, starting at the first of its windows at or after T0 + startH hours. */
function definition(grid: Grid): KpiDefinition {
  const kpi = (start?: string) => ({
    externalId: "kpi:x",
    window: {
      every: grid.every,
      ...(grid.offset === undefined ? {} : { offset: grid.offset }),
      ...(grid.timeZone === undefined ? {} : { timeZone: grid.timeZone }),
    },
    ...(start === undefined ? {} : { start }),
    inputs: { x: { externalId: "x" } },
    value: "mean(x) + count(x)",
  });
  const { window } = parseKpiConfig({ defaults: { settle: "5m" }, kpis: [kpi()] })[0]!;
  const start = new Date(windowAtOrAfter(window, T0 + grid.startH * H).start).toISOString();
  return parseKpiConfig({ defaults: { settle: "5m" }, kpis: [kpi(start)] })[0]!;
}

function world() {
  const store = new InMemoryDatapointStore();
  // Every 7 minutes, off every grid below; some Bad.
  let k = 0;
  for (let t = T0 - 30 * H; t < NOW; t += 7 * M, k++) {
    const bad = k % 11 === 3;
    store.insert({ externalId: "x" }, [
      { timestamp: t, value: bad ? null : (k * 37) % 101, status: bad ? STATUS_BAD : 0 },
    ]);
  }
  const ports: RunPorts = {
    source: store,
    output: store,
    pointer: new InMemoryVersionPointer(OPTIONS.self),
    changes: new InMemoryChangeSource(store, { partitions: 1 }),
    state: new InMemoryStateStore(),
    clock: new FixedClock(NOW),
  };
  return { store, ports, state: ports.state as InMemoryStateStore };
}

/** The datapoints the KPI must have: its closed windows from its start, over the points as they are. */
function truth(store: InMemoryDatapointStore, kpi: KpiDefinition) {
  const b = new PointColumnsBuilder();
  for (const p of store.points({ externalId: "x" })) b.append(p.timestamp, p.value, p.status);
  const series = new Map<string, InputSeries>([["x", { points: b.build(), isStep: false }]]);
  const windows = windowsBetween(kpi.window, kpi.startMs!, NOW - kpi.settleMs);
  return computeKpis([{ kpi, windows }], series)[0]!.map((d) =>
    d.status === "Good"
      ? { timestamp: d.timestamp, value: d.value, status: 0 }
      : { timestamp: d.timestamp, value: Number.NaN, status: STATUS_BAD },
  );
}

/** An hour on, the definition's scheduled run writes the hour's six windows, without an error. */
async function expectRunsGoOn(w: ReturnType<typeof world>, kpi: KpiDefinition): Promise<void> {
  (w.ports.clock as FixedClock).set(NOW + H);
  const next = await runKpis([kpi], w.ports, OPTIONS);
  expect(next.kpis[0]!.summary.error).toBeUndefined();
  expect(next.kpis[0]!.summary.due).toBe(6);
}

/**
 * 10-minute windows (`before`) become hours (`after`). A late input point makes the old version's
 * next call rewrite the windows around 05:33; that call, past its pointer check, is held with its
 * write on the wire when the pointer flips to kpi-fn@2. Ten minutes on, the hour holding the old
 * output's end has closed; the old call still runs. `beforeOldCall` runs just before it starts.
 */
async function oldCallInFlightAtFlip(
  beforeOldCall?: (w: ReturnType<typeof world>, before: KpiDefinition) => Promise<void>,
) {
  const before = definition({ every: "10m", startH: 0 });
  const after = definition({ every: "1h", startH: 0 });
  const w = world();
  await runKpis([before], w.ports, OPTIONS);
  w.store.insert({ externalId: "x" }, [{ timestamp: T0 + 5 * H + 33 * M, value: 1000 }]);
  await beforeOldCall?.(w, before);
  const write = held();
  const old = runKpis([before], { ...w.ports, output: heldOutput(w.store, write) }, OPTIONS);
  await write.arrival;
  (w.ports.pointer as InMemoryVersionPointer).flip("kpi-fn@2");
  (w.ports.clock as FixedClock).set(NOW + 10 * M);
  const v2 = { ...OPTIONS, self: "kpi-fn@2" };
  return { after, w, write, old, v2, all: { from: T0 - 40 * H, to: NOW } };
}

/** A call of `kpi` whose `n`th question to the pointer waits at `gate`. */
function heldAtPointer(
  w: ReturnType<typeof world>,
  kpi: KpiDefinition,
  n: number,
  options: Parameters<typeof runKpis>[2],
) {
  const pointer = w.ports.pointer as InMemoryVersionPointer;
  const gate = held();
  let asked = 0;
  const slowPointer = {
    active: async () => {
      if (++asked === n) await gate.wait();
      return pointer.active();
    },
  };
  return { gate, call: runKpis([kpi], { ...w.ports, pointer: slowPointer }, options) };
}

const grid: fc.Arbitrary<Grid> = fc.record(
  {
    every: fc.constantFrom("10m", "15m", "40m", "1h", "90m", "1d"),
    offset: fc.constantFrom("5m", "7m"),
    timeZone: fc.constantFrom("Europe/Oslo", "Asia/Kolkata"),
    startH: fc.integer({ min: -26, max: 4 }),
  },
  { requiredKeys: ["every", "startH"] },
);

describe("a recompute of a changed definition", () => {
  it("leaves exactly the new definition's windows: the old grid's datapoints between them and before the new start are gone", async () => {
    await fc.assert(
      fc.asyncProperty(
        grid,
        grid,
        fc.array(fc.tuple(fc.integer({ min: -30, max: 28 }), fc.integer({ min: 1, max: 12 })), {
          maxLength: 3,
        }),
        fc.boolean(),
        fc.integer({ min: 1, max: 40 }),
        async (oldGrid, newGrid, parts, finish, batchWindows) => {
          const before = definition(oldGrid);
          const after = definition(newGrid);
          fc.pre(before.configHash !== after.configHash);
          const w = world();
          await runKpis([before], w.ports, OPTIONS);
          expect(w.store.points(after.series)).toEqual(truth(w.store, before));
          // An output with no datapoint has nothing to mix: the new hash is taken at once (runKpis.test.ts).
          fc.pre(truth(w.store, before).length > 0);
          const waiting = await runKpis([after], w.ports, OPTIONS);
          expect(waiting.kpis[0]!.summary.error).toMatch(/definition changed/);

          const ranges = [
            ...parts.map(([fromH, hours]) => ({ from: T0 + fromH * H, to: T0 + (fromH + hours) * H })),
            ...(finish ? [{ from: T0 - 40 * H, to: NOW }] : []),
          ];
          let removed = 0;
          for (const range of ranges) {
            const report = await runKpis([after], w.ports, { ...OPTIONS, batchWindows, recompute: range });
            removed += report.kpis[0]!.recompute!.removed;
            expect(report.kpis[0]!.summary.error).toBeUndefined();
            // No stretch is without values while the old ones go: the new windows written so far
            // stand, and every old datapoint outside the stretches done stays.
            const done = report.kpis[0]!.recompute!.changedDefinition!.done;
            const stored = w.store.points(after.series);
            const inDone = (t: number) => done.some((s) => s.from <= t && t < s.to);
            const expected = truth(w.store, after).filter((p) => inDone(p.timestamp));
            expect(stored.filter((p) => inDone(p.timestamp))).toEqual(expected);
            const first = truth(w.store, after)[0]?.timestamp;
            const removedBefore = first !== undefined && done.some((s) => s.from === first);
            // A stretch written is its windows whole: the last may end past the span counted done.
            const written = (t: number) => inDone(windowContaining(after.window, t).start);
            // The old output's last datapoints may lie in a new window not yet closed: they go
            // once every window before it is written (nothing is due there yet).
            const unclosed = windowContaining(after.window, truth(w.store, before).at(-1)!.timestamp);
            const inUnclosed = (t: number) =>
              unclosed.end > NOW - after.settleMs && unclosed.start <= t && t < unclosed.end;
            const old = truth(w.store, before).filter(
              (p) =>
                !written(p.timestamp) && !(removedBefore && p.timestamp < first!) && !inUnclosed(p.timestamp),
            );
            for (const p of old) expect(stored).toContainEqual(p);
          }
          // Each old datapoint gone was counted once: the reports add up to what left the output.
          const now = new Set(w.store.points(after.series).map((p) => p.timestamp));
          expect(removed).toBe(truth(w.store, before).filter((p) => !now.has(p.timestamp)).length);
          const report = await runKpis([after], w.ports, OPTIONS);
          // A recompute of everything is complete, even when the old output reached into a new
          // window not yet closed (its old datapoints went: the scheduled runs write it once closed),
          // unless that window closes within the margin for clocks (30 minutes): then it waits.
          const unclosed = windowContaining(after.window, truth(w.store, before).at(-1)!.timestamp);
          const closesAt = unclosed.end + after.settleMs;
          if (finish && !(closesAt > NOW && closesAt <= NOW + 30 * M)) {
            expect(report.kpis[0]!.adoptedConfigHash).toBe(after.configHash);
          }
          if (report.kpis[0]!.adoptedConfigHash === undefined) return;
          expect(w.store.points(after.series)).toEqual(truth(w.store, after));
        },
      ),
      { numRuns: 150 },
    );
  }, 60_000);

  it.each([
    {
      what: "between the new windows",
      before: { every: "40m", startH: -2 },
      after: { every: "1h", startH: -4 },
      error: /^removing datapoints off the KPI's windows failed: remove failed/,
    },
    {
      what: "before the new start",
      before: { every: "40m", startH: -4 },
      after: { every: "1h", startH: -2 },
      error: /^removing the old definition's datapoints before the KPI's first window failed: remove failed/,
    },
    {
      // 10-minute windows become days at 06:00: the day not yet closed holds the old output's end
      // (the first removal is of the 10-minute datapoints inside the closed day).
      what: "in the new window not yet closed",
      before: { every: "10m", startH: 0 },
      after: { every: "1d", startH: 0 },
      failAfter: 1,
      error:
        /^removing the old definition's datapoints in the new window not yet closed failed: remove failed/,
    },
  ])(
    "is not done while the old datapoints $what could not be removed; the next recompute removes them",
    async (c) => {
      const before = definition(c.before);
      const after = definition(c.after);
      const w = world();
      await runKpis([before], w.ports, OPTIONS);
      w.store.failRemovals(1, c.failAfter);
      const all = { from: T0 - 40 * H, to: NOW };
      const failed = await runKpis([after], w.ports, { ...OPTIONS, batchWindows: 1000, recompute: all });
      expect(failed.kpis[0]!.summary.error).toMatch(c.error);
      expect(failed.kpis[0]!.recompute).toMatchObject({
        written: false,
        changedDefinition: { complete: false },
      });
      expect((await runKpis([after], w.ports, OPTIONS)).kpis[0]!.summary.error).toMatch(/definition changed/);
      const again = await runKpis([after], w.ports, { ...OPTIONS, batchWindows: 1000, recompute: all });
      expect(again.kpis[0]!.recompute).toMatchObject({
        written: true,
        changedDefinition: { complete: true },
      });
      expect((await runKpis([after], w.ports, OPTIONS)).kpis[0]!.adoptedConfigHash).toBe(after.configHash);
      expect(w.store.points(after.series)).toEqual(truth(w.store, after));
    },
  );

  it("leaves the old datapoints in a new window that closes within the clocks' margin, and writes that window once closed", async () => {
    const before = definition({ every: "10m", startH: 0 });
    const after = definition({ every: "1d", startH: 0 });
    const w = world();
    await runKpis([before], w.ports, OPTIONS);
    const lastOld = w.store.points(after.series).at(-1)!.timestamp;
    const all = { from: T0 - 40 * H, to: T0 + 72 * H };
    // 23:50 on the second day: the day holding the old output's end closes in 15 minutes (5 settle).
    (w.ports.clock as FixedClock).set(T0 + 48 * H - 10 * M);
    const early = await runKpis([after], w.ports, { ...OPTIONS, recompute: all });
    expect(early.kpis[0]!.recompute!.changedDefinition!.complete).toBe(false);
    expect(w.store.points(after.series).at(-1)!.timestamp).toBe(lastOld);
    (w.ports.clock as FixedClock).set(T0 + 48 * H + 5 * M);
    const closed = await runKpis([after], w.ports, { ...OPTIONS, recompute: all });
    expect(closed.kpis[0]!.recompute!.changedDefinition!.complete).toBe(true);
    expect((await runKpis([after], w.ports, OPTIONS)).kpis[0]!.adoptedConfigHash).toBe(after.configHash);
    expect(w.store.points(after.series).map((p) => (p.timestamp - T0) / H)).toEqual([0, 24]);
  });

  it("counts nothing done where a run beside it may write the KPI: an old version's write in flight at the flip lands after the read-back", async () => {
    const { after, w, write, old, v2, all } = await oldCallInFlightAtFlip();
    const first = await runKpis([after], w.ports, { ...v2, recompute: all });
    write.release();
    expect((await old).fenced).toBe(true);
    expect(first.kpis[0]!.recompute!.changedDefinition!.complete).toBe(false);
    expect((await runKpis([after], w.ports, v2)).kpis[0]!.summary.error).toMatch(/definition changed/);
    // The old 10-minute datapoints it wrote last are still there; the next recompute removes them.
    expect(w.store.points(after.series).some((p) => p.timestamp % H !== 0)).toBe(true);
    const again = await runKpis([after], w.ports, { ...v2, recompute: all });
    expect(again.kpis[0]!.recompute!.changedDefinition!.complete).toBe(true);
    expect((await runKpis([after], w.ports, v2)).kpis[0]!.adoptedConfigHash).toBe(after.configHash);
    const stored = w.store.points(after.series);
    expect(stored.every((p) => p.timestamp % H === 0)).toBe(true);
    expect(stored.slice(0, -1)).toEqual(truth(w.store, after)); // and 29:00, closed since NOW
  });

  it.each(["no earlier pending spans", "its windows already pending"])(
    "counts nothing done where that old call wrote even when a new version's call took over its record before the check (%s)",
    async (pendingBefore) => {
      // An earlier overlap may have left the window the old call rewrites pending already (review finding).
      const earlier = { from: T0 + 5 * H, to: T0 + 6 * H };
      const { after, w, write, old, v2, all } = await oldCallInFlightAtFlip(async (w, before) => {
        if (pendingBefore === "its windows already pending")
          await w.state.save({
            pending: { put: { id: "earlier", kpis: new Map([[before.key, [earlier]]]) } },
          });
      });
      // The recompute, held at its overlap check (its third state load, after the start's and the
      // mark's), after its read-backs: it has deleted the old grid's datapoints.
      const check = held();
      let loads = 0;
      const state = {
        load: async (k: readonly string[], s: string) => {
          if (++loads === 3) await check.wait();
          return w.state.load(k, s);
        },
        save: (e: Parameters<InMemoryStateStore["save"]>[0]) => w.state.save(e),
      };
      const first = runKpis([after], { ...w.ports, state }, { ...v2, recompute: all });
      await check.arrival;
      expect(w.store.removals.calls).toBeGreaterThan(0);
      // The old call's write lands now, after the read-back; fenced at its end, it closes its
      // record with what it wrote, and a scheduled call of the new version takes that record over
      // (the KPI left to the backfill) and removes it, all before the recompute's check.
      write.release();
      expect((await old).fenced).toBe(true);
      await runKpis([after], w.ports, v2);
      // Left: the recompute's open record, and the scheduled call's closed one, which holds the
      // old call's windows as pending spans but no plan for the KPI (it leaves it alone).
      const records = (await w.state.load([], "")).pending;
      expect(
        records.map((r) => [r.openSince === undefined, r.kpis.has(after.key), r.planned?.has(after.key)]),
      ).toEqual([
        [false, false, true],
        [true, true, false],
      ]);
      expect(records.some((r) => r.id === "earlier")).toBe(false);
      check.release();
      expect((await first).kpis[0]!.recompute!.changedDefinition!.complete).toBe(false);
      expect((await runKpis([after], w.ports, v2)).kpis[0]!.summary.error).toMatch(/definition changed/);
      const again = await runKpis([after], w.ports, { ...v2, recompute: all });
      expect(again.kpis[0]!.recompute!.changedDefinition!.complete).toBe(true);
      expect((await runKpis([after], w.ports, v2)).kpis[0]!.adoptedConfigHash).toBe(after.configHash);
      const stored = w.store.points(after.series);
      expect(stored.every((p) => p.timestamp % H === 0)).toBe(true);
      expect(stored.slice(0, -1)).toEqual(truth(w.store, after));
    },
  );

  it("counts nothing done where an old call wrote that opened its record while this call's first pointer question was on its way", async () => {
    const before = definition({ every: "10m", startH: 0 });
    const after = definition({ every: "1h", startH: 0 });
    const w = world();
    const pointer = w.ports.pointer as InMemoryVersionPointer;
    await runKpis([before], w.ports, OPTIONS);
    w.store.insert({ externalId: "x" }, [{ timestamp: T0 + 5 * H + 33 * M, value: 1000 }]);
    (w.ports.clock as FixedClock).set(NOW + 10 * M);
    const v2 = { ...OPTIONS, self: "kpi-fn@2" };
    const all = { from: T0 - 40 * H, to: NOW };
    // The new version's backfill: the answer to its first pointer question is held, and so is its
    // overlap check (its third state load).
    const question = held();
    const check = held();
    let asked = 0;
    let loads = 0;
    const backfill = runKpis(
      [after],
      {
        ...w.ports,
        pointer: {
          active: async () => {
            if (++asked === 1) await question.wait();
            return pointer.active();
          },
        },
        state: {
          load: async (k, s) => {
            if (++loads === 3) await check.wait();
            return w.state.load(k, s);
          },
          save: (e) => w.state.save(e),
        },
      },
      { ...v2, recompute: all },
    );
    await question.arrival;
    // Meanwhile an old version's call opens its record, passes its pointer check and is held with
    // its write on the wire; then the pointer flips, and the backfill's answer comes.
    const write = held();
    const old = runKpis([before], { ...w.ports, output: heldOutput(w.store, write) }, OPTIONS);
    await write.arrival;
    pointer.flip("kpi-fn@2");
    question.release();
    await check.arrival;
    expect(w.store.removals.calls).toBeGreaterThan(0);
    // The old call's write lands after the backfill's read-backs; fenced, it closes its record,
    // which a scheduled call of the new version takes over before the backfill's check.
    write.release();
    expect((await old).fenced).toBe(true);
    await runKpis([after], w.ports, v2);
    check.release();
    expect((await backfill).kpis[0]!.recompute!.changedDefinition!.complete).toBe(false);
    expect((await runKpis([after], w.ports, v2)).kpis[0]!.summary.error).toMatch(/definition changed/);
    await runKpis([after], w.ports, { ...v2, recompute: all });
    expect((await runKpis([after], w.ports, v2)).kpis[0]!.adoptedConfigHash).toBe(after.configHash);
    const stored = w.store.points(after.series);
    expect(stored.every((p) => p.timestamp % H === 0)).toBe(true);
    expect(stored.slice(0, -1)).toEqual(truth(w.store, after));
  });

  it("a call held across B, C and B again counts nothing of its own, and claims nothing C rewrote", async () => {
    const A = definition({ every: "10m", startH: 0 });
    const B = definition({ every: "1h", startH: 0 });
    const C = definition({ every: "30m", offset: "7m", startH: 0 });
    const w = world();
    const pointer = w.ports.pointer as InMemoryVersionPointer;
    await runKpis([A], w.ports, OPTIONS);
    pointer.flip("kpi-fn@2");
    (w.ports.clock as FixedClock).set(NOW + 10 * M);
    const v2 = { ...OPTIONS, self: "kpi-fn@2" };
    const v3 = { ...OPTIONS, self: "kpi-fn@3" };
    await runKpis([B], w.ports, { ...v2, recompute: { from: T0 - 40 * H, to: T0 + 10 * H } });
    // A second B call, held at its last pointer check (after its writes and read-backs).
    const { gate, call: held1 } = heldAtPointer(w, B, 4, {
      ...v2,
      recompute: { from: T0 + 10 * H, to: T0 + 12 * H },
    });
    await gate.arrival;
    // C is deployed and rewrites everything; then B again, whose first call marks the row.
    pointer.flip("kpi-fn@3");
    await runKpis([C], w.ports, { ...v3, recompute: { from: T0 - 40 * H, to: NOW } });
    pointer.flip("kpi-fn@2");
    await runKpis([B], w.ports, { ...v2, recompute: { from: T0 + 20 * H, to: NOW } });
    // A scheduled call of B takes over the records C's backfill left (it leaves the KPI alone).
    await runKpis([B], w.ports, v2);
    expect((await w.state.load([], "")).pending.filter((r) => r.planned?.has(B.key))).toHaveLength(1);
    gate.release();
    const late = await held1;
    // The pointer was written since it started (C, then B again): fenced, it saves nothing, and
    // its stretch and the first call's, which hold C's datapoints now, do not count.
    expect(late.fenced).toBe(true);
    expect(late.kpis[0]?.recompute).toBeUndefined();
    const rest = await runKpis([B], w.ports, { ...v2, recompute: { from: T0 + 10 * H, to: T0 + 20 * H } });
    expect(rest.kpis[0]!.recompute!.changedDefinition!.complete).toBe(false);
    expect((await runKpis([B], w.ports, v2)).kpis[0]!.adoptedConfigHash).toBeUndefined();
    await runKpis([B], w.ports, { ...v2, recompute: { from: T0 - 40 * H, to: NOW } });
    expect((await runKpis([B], w.ports, v2)).kpis[0]!.adoptedConfigHash).toBe(B.configHash);
    expect(w.store.points(B.series).every((p) => p.timestamp % H === 0)).toBe(true);
  });

  it("a run's seal landing after the next definition's mark leaves that mark: a rollback after it sees the output mixed", async () => {
    const A = definition({ every: "10m", startH: 0 });
    const B = definition({ every: "1h", startH: 0 });
    const w = world();
    const pointer = w.ports.pointer as InMemoryVersionPointer;
    const v2 = { ...OPTIONS, self: "kpi-fn@2" };
    await runKpis([A], w.ports, OPTIONS);
    pointer.flip("kpi-fn@2");
    (w.ports.clock as FixedClock).set(NOW + 10 * M);
    await runKpis([B], w.ports, { ...v2, recompute: { from: T0 - 40 * H, to: T0 + 10 * H } });
    pointer.flip("kpi-fn@1"); // rolled back; A's repair finishes
    await runKpis([A], w.ports, { ...OPTIONS, recompute: { from: T0 - 40 * H, to: NOW } });
    // The run that takes the repair up, its last save (states and seal) slow.
    const gate = held();
    const state = {
      load: (k: readonly string[], s: string) => w.state.load(k, s),
      save: async (e: Parameters<InMemoryStateStore["save"]>[0]) => {
        if (e.kpis !== undefined) await gate.wait();
        return w.state.save(e);
      },
    };
    const sealing = runKpis([A], { ...w.ports, state }, OPTIONS);
    await gate.arrival;
    pointer.flip("kpi-fn@2"); // B again: its backfill marks the row and rewrites 10:00-20:00
    await runKpis([B], w.ports, { ...v2, recompute: { from: T0 + 10 * H, to: T0 + 20 * H } });
    gate.release();
    expect((await sealing).kpis[0]!.adoptedConfigHash).toBe(A.configHash);
    pointer.flip("kpi-fn@1"); // rolled back again
    const after = await runKpis([A], w.ports, OPTIONS);
    expect(after.kpis[0]!.summary.error).toMatch(/^a backfill of another definition .* did not finish/);
  });

  /** 10-minute windows become hours; a backfill call of [from, to) marks the row and waits with its first write on the wire. */
  async function backfillHeldAtWrite(from: number, to: number) {
    const before = definition({ every: "10m", startH: 0 });
    const after = definition({ every: "1h", startH: 0 });
    const w = world();
    await runKpis([before], w.ports, OPTIONS);
    (w.ports.clock as FixedClock).set(NOW + 10 * M);
    const write = held();
    const call = runKpis(
      [after],
      { ...w.ports, output: heldOutput(w.store, write) },
      { ...OPTIONS, recompute: { from, to } },
    );
    await write.arrival;
    return { after, w, write, call };
  }

  it("two calls of one backfill at once, over two parts, both count: the runs take the definition up after them", async () => {
    // The first part's call marks the row, then waits with its first write on the wire; the second
    // part's call marks the row after it (its own mark), writes and finishes; then the first does.
    const { after, w, write, call: first } = await backfillHeldAtWrite(T0 - 40 * H, T0 + 12 * H);
    const second = await runKpis([after], w.ports, { ...OPTIONS, recompute: { from: T0 + 12 * H, to: NOW } });
    expect(second.kpis[0]!.recompute!.changedDefinition!.complete).toBe(false);
    write.release();
    const report = await first;
    expect(report.kpis[0]!.recompute!.changedDefinition!.complete).toBe(true);
    const taken = await runKpis([after], w.ports, OPTIONS);
    expect(taken.kpis[0]!.adoptedConfigHash).toBe(after.configHash);
    const points = w.store.points(after.series);
    expect(points.filter((p) => p.timestamp % H !== 0)).toEqual([]);
    expect(points.filter((p) => p.timestamp < T0 + 29 * H)).toEqual(truth(w.store, after));
  });

  it.each([
    ["an earlier write of the pointer", "generation"],
    ["another seal", "afterSeal"],
  ] as const)(
    "a call that finds the row of its pair marked under %s (a late save) counts nothing, and says so",
    async (_, field) => {
      const { after, w, write, call } = await backfillHeldAtWrite(T0 - 40 * H, NOW);
      // A save from before the pointer's last write, or before a seal, lands: the same pair, all done.
      const mine = (await w.state.load([after.key], "")).recomputes.get(after.key)!;
      const late = {
        ...mine,
        mark: "older",
        [field]: `${mine[field]}-before`,
        done: [{ from: CDF_MIN_TIME, to: NOW + H }],
      };
      await w.state.save({ recomputes: new Map([[after.key, late]]) });
      write.release();
      const report = await call;
      expect(report.kpis[0]!.recompute!.changedDefinition).toMatchObject({ done: [], complete: false });
      expect((await runKpis([after], w.ports, OPTIONS)).kpis[0]!.adoptedConfigHash).toBeUndefined();
    },
  );

  it("deletes blind between its windows when a stretch holds more old datapoints than it reads back", async () => {
    // A 1-minute grid under daily windows: 1,440 old datapoints a day, more than the read-back cap.
    const before = definition({ every: "1m", startH: -26 });
    const after = definition({ every: "1d", startH: -24 });
    const w = world();
    await runKpis([before], w.ports, OPTIONS);
    const oldCount = w.store.points(after.series).length;
    let mostRead = 0;
    const source = {
      read: async (requests: Parameters<InMemoryDatapointStore["read"]>[0]) => {
        const answers = await w.store.read(requests);
        for (const a of answers) mostRead = Math.max(mostRead, a.points.length);
        return answers;
      },
    };
    const report = await runKpis(
      [after],
      { ...w.ports, source },
      {
        ...OPTIONS,
        batchWindows: 1,
        recompute: { from: T0 - 40 * H, to: NOW },
      },
    );
    expect(report.kpis[0]!.recompute).toMatchObject({ written: true, changedDefinition: { complete: true } });
    // Read back: never a whole day of old datapoints; counted as what was read.
    expect(mostRead).toBeLessThan(1440);
    expect(report.kpis[0]!.recompute!.removed).toBeLessThan(oldCount);
    expect((await runKpis([after], w.ports, OPTIONS)).kpis[0]!.adoptedConfigHash).toBe(after.configHash);
    expect(w.store.points(after.series)).toEqual(truth(w.store, after));
  });

  it("deletes nothing before the start or in the window not yet closed once the pointer names another version", async () => {
    // 10-minute windows become days from the second day: old datapoints before the new start,
    // and in the day not yet closed.
    const before = definition({ every: "10m", startH: 0 });
    const after = definition({ every: "1d", startH: 24 });
    for (const flipAt of ["before the start", "the window not yet closed"]) {
      const w = world();
      await runKpis([before], w.ports, OPTIONS);
      const old = w.store.points(after.series);
      let asked = 0;
      // The pointer is asked at the start, before marking the output, before deleting what lies
      // before the new start, then (no new window has closed: no batch) before deleting in the
      // day not yet closed.
      const flipOn = flipAt === "before the start" ? 3 : 4;
      const pointer = {
        active: async () => ({ version: ++asked >= flipOn ? "kpi-fn@2" : OPTIONS.self, generation: "1" }),
      };
      const report = await runKpis(
        [after],
        { ...w.ports, pointer },
        {
          ...OPTIONS,
          recompute: { from: T0, to: NOW },
        },
      );
      expect(report.fenced, flipAt).toBe(true);
      const stored = w.store.points(after.series);
      if (flipAt === "before the start") expect(stored).toEqual(old);
      else
        expect(stored.filter((p) => p.timestamp >= T0 + 24 * H)).toEqual(
          old.filter((p) => p.timestamp >= T0 + 24 * H),
        );
    }
  });

  it("after a rollback mid-recompute, the old definition's runs leave the mixed output to a backfill, which repairs it", async () => {
    // 10-minute windows become hours from 04:00; a backfill of the new definition does 00:00-08:00
    // (deleting the 10-minute datapoints there) and the version is rolled back.
    const before = definition({ every: "10m", startH: 0 });
    const after = definition({ every: "1h", startH: 4 });
    const w = world();
    await runKpis([before], w.ports, OPTIONS);
    const partial = await runKpis([after], w.ports, { ...OPTIONS, recompute: { from: T0, to: T0 + 8 * H } });
    expect(partial.kpis[0]!.recompute!.changedDefinition!.complete).toBe(false);
    const clock = w.ports.clock as FixedClock;
    clock.set(NOW + H);
    const rolledBack = await runKpis([before], w.ports, OPTIONS);
    expect(rolledBack.kpis[0]!.summary.error).toMatch(
      new RegExp(`^a backfill of another definition \\(config hash ${after.configHash}\\) began to rewrite`),
    );
    expect(rolledBack.kpis[0]!.summary.due).toBe(0);
    // A backfill of the old definition over part of it: still not taken up, and said so.
    await runKpis([before], w.ports, { ...OPTIONS, recompute: { from: T0, to: T0 + 4 * H } });
    expect((await runKpis([before], w.ports, OPTIONS)).kpis[0]!.summary.error).toMatch(
      /repairing .* has not finished/,
    );
    await runKpis([before], w.ports, { ...OPTIONS, recompute: { from: T0 - 40 * H, to: NOW + H } });
    const repaired = await runKpis([before], w.ports, OPTIONS);
    expect(repaired.kpis[0]!.summary.error).toBeUndefined();
    expect(repaired.kpis[0]!.adoptedConfigHash).toBe(before.configHash);
    // Whole again, and the runs after go on as before (the repair is sealed).
    const upTo = (t: number) => truth(w.store, before).filter((p) => p.timestamp < t);
    expect(w.store.points(before.series).filter((p) => p.timestamp < NOW - 10 * M)).toEqual(
      upTo(NOW - 10 * M),
    );
    clock.set(NOW + 2 * H);
    const later = await runKpis([before], w.ports, OPTIONS);
    expect(later.kpis[0]!.summary).toMatchObject({ due: 6 });
    expect(later.kpis[0]!.summary.error).toBeUndefined();
  });

  it("a recompute killed after its first write has marked the output: the rolled-back definition's runs see it", async () => {
    const before = definition({ every: "10m", startH: 0 });
    const after = definition({ every: "1h", startH: 4 });
    const w = world();
    await runKpis([before], w.ports, OPTIONS);
    let writes = 0;
    const second = held();
    const output = {
      latest: (r: Parameters<InMemoryDatapointStore["latest"]>[0]) => w.store.latest(r),
      remove: (r: Parameters<InMemoryDatapointStore["remove"]>[0]) => w.store.remove(r),
      write: async (items: Parameters<InMemoryDatapointStore["write"]>[0]) => {
        if (++writes === 2) await second.wait(); // killed here: never answers
        await w.store.write(items);
      },
    };
    void runKpis(
      [after],
      { ...w.ports, output },
      { ...OPTIONS, batchWindows: 2, recompute: { from: T0, to: NOW } },
    );
    await second.arrival;
    expect(
      w.store.points(before.series).filter((p) => p.timestamp >= T0 + 4 * H && p.timestamp < T0 + 6 * H)
        .length,
    ).toBe(2);
    const rolledBack = await runKpis([before], w.ports, OPTIONS);
    expect(rolledBack.kpis[0]!.summary.error).toMatch(/^a backfill of another definition .* did not finish/);
  });

  it("marks nothing once the pointer names another version: a rollback while it planned leaves the old runs going", async () => {
    const before = definition({ every: "10m", startH: 0 });
    const after = definition({ every: "1h", startH: 4 });
    const w = world();
    await runKpis([before], w.ports, OPTIONS);
    let asked = 0;
    // Rolled back between the recompute's first look at the pointer and its mark.
    const pointer = {
      active: async () => ({ version: ++asked >= 2 ? "kpi-fn@0" : OPTIONS.self, generation: "1" }),
    };
    const report = await runKpis(
      [after],
      { ...w.ports, pointer },
      { ...OPTIONS, recompute: { from: T0, to: NOW } },
    );
    expect(report.fenced).toBe(true);
    expect((await w.state.load([after.key], "")).recomputes.get(after.key)).toBeUndefined();
    await expectRunsGoOn(w, before);
  });

  it("keeps what earlier backfill calls did when a run beside it has no plan yet, and its own work when that run leaves the KPI alone", async () => {
    const before = definition({ every: "10m", startH: 0 });
    const after = definition({ every: "1h", startH: 0 });
    for (const beside of ["a new version's call still planning", "a record without a plan"]) {
      const w = world();
      await runKpis([before], w.ports, OPTIONS);
      (w.ports.pointer as InMemoryVersionPointer).flip("kpi-fn@2");
      // Ten minutes on: the hour holding the old output's end has closed.
      (w.ports.clock as FixedClock).set(NOW + 10 * M);
      const v2 = { ...OPTIONS, self: "kpi-fn@2" };
      const first = await runKpis([after], w.ports, {
        ...v2,
        recompute: { from: T0 - 40 * H, to: T0 + 10 * H },
      });
      const earlier = first.kpis[0]!.recompute!.changedDefinition!.done;
      expect(earlier).toEqual([{ from: CDF_MIN_TIME, to: T0 + 10 * H }]);
      // Beside the second call: the new version's scheduled call, held while it polls its changes
      // (it leaves the changed KPI to the backfill), or a record of a version before plans.
      const poll = held();
      let scheduled: Promise<unknown> = Promise.resolve();
      if (beside === "a record without a plan") {
        const clock = w.ports.clock.now();
        await w.state.save({ pending: { put: { id: "older", kpis: new Map(), openSince: clock } } });
        poll.release();
      } else {
        const changes = w.ports.changes;
        scheduled = runKpis(
          [after],
          {
            ...w.ports,
            changes: {
              partitions: changes.partitions,
              poll: async (c) => {
                await poll.wait();
                return changes.poll(c);
              },
            },
          },
          v2,
        );
        await poll.arrival;
      }
      const second = await runKpis([after], w.ports, { ...v2, recompute: { from: T0 + 10 * H, to: NOW } });
      poll.release();
      await scheduled;
      const done = second.kpis[0]!.recompute!.changedDefinition!;
      if (beside === "a record without a plan") {
        // It may write anything: this call's work counts for nothing, the first call's stays.
        expect(done, beside).toMatchObject({ done: earlier, complete: false });
      } else {
        expect(done, beside).toMatchObject({ complete: true });
        expect((await runKpis([after], w.ports, v2)).kpis[0]!.adoptedConfigHash).toBe(after.configHash);
        // And 29:00, closed since NOW.
        expect(w.store.points(after.series).slice(0, -1)).toEqual(truth(w.store, after));
      }
    }
  });

  it("a repair that ends after a run sealed it keeps the seal: the runs go on", async () => {
    const before = definition({ every: "10m", startH: 0 });
    const after = definition({ every: "1h", startH: 4 });
    const w = world();
    await runKpis([before], w.ports, OPTIONS);
    await runKpis([after], w.ports, { ...OPTIONS, recompute: { from: T0, to: T0 + 8 * H } });
    // Rolled back: a repair over everything, and a second, smaller one that reads the state now.
    await runKpis([before], w.ports, { ...OPTIONS, recompute: { from: T0 - 40 * H, to: NOW } });
    const write = held();
    const late = runKpis(
      [before],
      { ...w.ports, output: heldOutput(w.store, write) },
      { ...OPTIONS, recompute: { from: T0, to: T0 + 2 * H } },
    );
    await write.arrival;
    // Meanwhile a run finds the repair finished and seals it.
    const sealing = await runKpis([before], w.ports, OPTIONS);
    expect(sealing.kpis[0]!.adoptedConfigHash).toBe(before.configHash);
    write.release();
    await late;
    // The seal is in the KPI's state, naming the repair's row by its mark; the later repair,
    // marked before the seal, counts nothing of its own and leaves the row as it is.
    const loaded = await w.state.load([before.key], "");
    expect(loaded.kpis.get(before.key)!.sealed).toBe(loaded.recomputes.get(before.key)!.mark);
    await expectRunsGoOn(w, before);
  });

  it("puts its mark back, with nothing done, when another definition's backfill took the row after it wrote", async () => {
    const before = definition({ every: "10m", startH: 0 });
    const after = definition({ every: "1h", startH: 0 });
    const third = definition({ every: "15m", startH: 0 });
    const w = world();
    await runKpis([before], w.ports, OPTIONS);
    const write = held();
    const slow = runKpis(
      [after],
      { ...w.ports, output: heldOutput(w.store, write) },
      { ...OPTIONS, batchWindows: 1000, recompute: { from: T0 - 40 * H, to: NOW } },
    );
    await write.arrival;
    // The third definition's backfill marks the output while the second's write is on the wire.
    const mark = { configHash: third.configHash, replaces: before.configHash, done: [] };
    await w.state.save({ recomputes: new Map([[third.key, mark]]) });
    write.release();
    const report = await slow;
    expect(report.kpis[0]!.recompute!.changedDefinition).toMatchObject({ done: [], complete: false });
    // It wrote: the output holds both definitions now, so its mark goes back, with nothing done.
    expect((await w.state.load([third.key], "")).recomputes.get(third.key)).toEqual({
      configHash: after.configHash,
      replaces: before.configHash,
      done: [],
      mark: expect.any(String),
      afterSeal: "",
      generation: (await w.ports.pointer.active()).generation,
    });
  });

  it("removes nothing when the grid is the same: one read back per batch, no delete", async () => {
    const before = definition({ every: "1h", startH: -4 });
    const after = parseKpiConfig({
      kpis: [
        {
          externalId: "kpi:x",
          window: { every: "1h" },
          start: new Date(T0 - 4 * H).toISOString(),
          settle: "5m",
          inputs: { x: { externalId: "x" } },
          value: "mean(x) * 2",
        },
      ],
    })[0]!;
    const w = world();
    await runKpis([before], w.ports, OPTIONS);
    const report = await runKpis([after], w.ports, { ...OPTIONS, recompute: { from: T0 - 40 * H, to: NOW } });
    expect(report.kpis[0]!.recompute!.removed).toBe(0);
    expect(w.store.removals).toEqual({ calls: 0, ranges: 0 });
    expect((await runKpis([after], w.ports, OPTIONS)).kpis[0]!.adoptedConfigHash).toBe(after.configHash);
    expect(w.store.points(after.series)).toEqual(truth(w.store, after));
  });
});

describe("a progress row read before another definition's rewrite, or landing after a repair (review R6)", () => {
  const A = definition({ every: "10m", startH: 0 });
  const B = definition({ every: "1h", startH: 0 });
  const C = definition({ every: "30m", offset: "7m", startH: 0 });
  const v2 = { ...OPTIONS, self: "kpi-fn@2" };
  const v3 = { ...OPTIONS, self: "kpi-fn@3" };

  /**
   * Whatever B's scheduled run then takes up is B's output and nothing else; B's first run
   * does not take it up (stretches were rewritten by another definition after B computed them),
   * and after B's whole history is backfilled it does.
   */
  async function expectNotTakenUntilBackfilled(w: ReturnType<typeof world>): Promise<void> {
    const first = await runKpis([B], w.ports, v2);
    expect(first.kpis[0]!.adoptedConfigHash).toBeUndefined();
    await runKpis([B], w.ports, { ...v2, recompute: { from: T0 - 40 * H, to: NOW } });
    const next = await runKpis([B], w.ports, v2);
    expect(next.kpis[0]!.adoptedConfigHash).toBe(B.configHash);
    // Every datapoint on B's hours; those up to truth's end (NOW) are B's values (one more hour
    // closed at the clock's NOW + 10m).
    expectOnlyBsHours(w);
  }

  /** Every datapoint on B's hours; those up to truth's end (NOW) are B's values. */
  function expectOnlyBsHours(w: ReturnType<typeof world>): void {
    const points = w.store.points(B.series);
    expect(points.filter((p) => p.timestamp % H !== 0)).toEqual([]);
    expect(points.filter((p) => p.timestamp < T0 + 29 * H)).toEqual(truth(w.store, B));
  }

  /** At `at`, B's run goes on: no error, its one due hour written, and only B's hours there. */
  async function expectBRunsGoOn(w: ReturnType<typeof world>, at: number): Promise<void> {
    (w.ports.clock as FixedClock).set(at);
    const next = await runKpis([B], w.ports, v2);
    expect(next.kpis[0]!.summary.error).toBeUndefined();
    expect(next.kpis[0]!.summary.due).toBe(1);
    expectOnlyBsHours(w);
  }

  /** A's output; then B deployed, and its first ten hours backfilled. */
  async function bDoneToTen() {
    const w = world();
    const pointer = w.ports.pointer as InMemoryVersionPointer;
    await runKpis([A], w.ports, OPTIONS);
    pointer.flip("kpi-fn@2");
    (w.ports.clock as FixedClock).set(NOW + 10 * M);
    await runKpis([B], w.ports, { ...v2, recompute: { from: T0 - 40 * H, to: T0 + 10 * H } });
    return { w, pointer };
  }

  it("a B call held between its start and its mark across B -> C -> B is fenced, and marks nothing", async () => {
    const { w, pointer } = await bDoneToTen();
    // A second B call loads the row (B's first ten hours done), then waits at the pointer check
    // before its mark while C rewrites two of those hours, and the pointer goes back to B.
    const { gate, call: held2 } = heldAtPointer(w, B, 2, {
      ...v2,
      recompute: { from: T0 + 20 * H, to: NOW },
    });
    await gate.arrival;
    pointer.flip("kpi-fn@3");
    await runKpis([C], w.ports, { ...v3, recompute: { from: T0 + 2 * H, to: T0 + 4 * H } });
    pointer.flip("kpi-fn@2");
    gate.release();
    // The pointer was written since the call started: fenced before its mark, it saves nothing.
    expect((await held2).fenced).toBe(true);
    await runKpis([B], w.ports, { ...v2, recompute: { from: T0 + 10 * H, to: T0 + 20 * H } });
    await expectNotTakenUntilBackfilled(w);
  });

  it("a B mark that fails at the call and lands after a rollback's repair was sealed counts nothing", async () => {
    const { w, pointer } = await bDoneToTen();
    // The next B call's mark times out at the call (it stops, writing nothing), and lands later.
    const late = await failedBMark(w);
    // Rolled back to A: A's runs leave the KPI to a backfill, which repairs it; a run seals it.
    pointer.flip("kpi-fn@1");
    expect((await runKpis([A], w.ports, OPTIONS)).kpis[0]!.summary.error).toMatch(/another definition/);
    await runKpis([A], w.ports, { ...OPTIONS, recompute: { from: T0 - 40 * H, to: NOW } });
    expect((await runKpis([A], w.ports, OPTIONS)).kpis[0]!.adoptedConfigHash).toBe(A.configHash);
    expect(w.store.points(A.series).filter((p) => p.timestamp % (10 * M) !== 0)).toEqual([]);
    // Now the mark lands, carrying B's first ten hours as done; then B again, backfilled from 10:00.
    await landThenBAgain(w, late);
  });

  it("a B mark that fails at the call and lands after another definition was taken up counts nothing", async () => {
    const { w, pointer } = await bDoneToTen();
    const late = await failedBMark(w);
    // D is deployed, backfilled and taken up (no repair, no seal); then the mark lands, and B is
    // deployed again: the row names the hash B replaced then (A's), not the stored one (D's).
    const D = definition({ every: "20m", startH: 0 });
    pointer.flip("kpi-fn@3");
    await runKpis([D], w.ports, { ...v3, recompute: { from: T0 - 40 * H, to: NOW } });
    expect((await runKpis([D], w.ports, v3)).kpis[0]!.adoptedConfigHash).toBe(D.configHash);
    await landThenBAgain(w, late);
  });

  it("a B mark that lands after a rollback's repair was sealed: B's first run straight after takes nothing up", async () => {
    const { w, pointer } = await bDoneToTen();
    await runKpis([B], w.ports, { ...v2, recompute: { from: T0 + 10 * H, to: NOW } });
    const late = await failedBMark(w);
    pointer.flip("kpi-fn@1");
    await runKpis([A], w.ports, OPTIONS);
    await runKpis([A], w.ports, { ...OPTIONS, recompute: { from: T0 - 40 * H, to: NOW } });
    expect((await runKpis([A], w.ports, OPTIONS)).kpis[0]!.adoptedConfigHash).toBe(A.configHash);
    // The late mark carries B's whole history as done (review R7-F3: no test covered this).
    await w.ports.state.save(late);
    pointer.flip("kpi-fn@2");
    await expectNotTakenUntilBackfilled(w);
  });

  it("a B run's adoption that lands after C marked the row and rewrote: rolled back to B, its runs leave the KPI to a backfill", async () => {
    const { w, pointer } = await bDoneToTen();
    await runKpis([B], w.ports, { ...v2, recompute: { from: T0 + 10 * H, to: NOW } });
    // B's run takes B up, but its state save times out at the call and lands later.
    const { state, late } = timingOut(w, (e) => e.kpis?.get(B.key)?.configHash === B.configHash);
    await runKpis([B], { ...w.ports, state }, v2).catch(() => undefined);
    expect((await w.state.load([B.key], "")).kpis.get(B.key)!.configHash).toBe(A.configHash);
    pointer.flip("kpi-fn@3");
    await runKpis([C], w.ports, { ...v3, recompute: { from: T0 + 2 * H, to: T0 + 4 * H } });
    await w.ports.state.save(late());
    pointer.flip("kpi-fn@2");
    const next = await runKpis([B], w.ports, v2);
    expect(next.kpis[0]!.summary.error).toMatch(/a backfill of another definition/);
    await runKpis([B], w.ports, { ...v2, recompute: { from: T0 - 40 * H, to: NOW } });
    const taken = await runKpis([B], w.ports, v2);
    expect(taken.kpis[0]!.adoptedConfigHash).toBe(B.configHash);
    expect(taken.kpis[0]!.summary.error).toBeUndefined();
    expectOnlyBsHours(w);
  });

  it("an output without datapoints takes a definition up over another pair's row, and its runs go on", async () => {
    const w = world();
    const pointer = w.ports.pointer as InMemoryVersionPointer;
    // B's backfill began when the output had nothing, wrote nothing, and left its row {B, A}.
    await w.state.save({
      kpis: new Map([[A.key, { configHash: A.configHash }]]),
      recomputes: new Map([
        [A.key, { configHash: B.configHash, replaces: A.configHash, done: [], mark: "b" }],
      ]),
    });
    pointer.flip("kpi-fn@3");
    const first = await runKpis([C], w.ports, v3);
    expect(first.kpis[0]!.adoptedConfigHash).toBe(C.configHash);
    expect(first.kpis[0]!.summary.due).toBeGreaterThan(0);
    (w.ports.clock as FixedClock).set(NOW + H);
    const next = await runKpis([C], w.ports, v3);
    expect(next.kpis[0]!.summary.error).toBeUndefined();
    expect(next.kpis[0]!.summary.due).toBe(2);
  });

  /** C is deployed and rewrites 02:00-04:00; then B again (each flip a new write of the pointer). */
  async function cRewritesThenB(w: ReturnType<typeof world>): Promise<void> {
    const pointer = w.ports.pointer as InMemoryVersionPointer;
    pointer.flip("kpi-fn@3");
    await runKpis([C], w.ports, { ...v3, recompute: { from: T0 + 2 * H, to: T0 + 4 * H } });
    expect(w.store.points(B.series).some((p) => p.timestamp % H !== 0)).toBe(true);
    pointer.flip("kpi-fn@2");
  }

  /** The end of a B call that did 10:00 to 20:00: its progress row with that stretch done. */
  const doneToTwenty = (e: StateSave) =>
    (e.recomputes?.get(B.key)?.done ?? []).some((s) => s.from <= T0 + 10 * H && s.to >= T0 + 20 * H);

  it("a B call's progress save that times out at the call and lands after B -> C -> B counts nothing (review R7-F1)", async () => {
    const { w } = await bDoneToTen();
    const { state, late } = timingOut(w, doneToTwenty);
    await expect(
      runKpis([B], { ...w.ports, state }, { ...v2, recompute: { from: T0 + 10 * H, to: T0 + 20 * H } }),
    ).rejects.toThrow("timeout");
    // Its writes were over: it closed its record, so the next calls count their own work at once.
    expect((await w.state.load([], "")).pending.filter((r) => r.openSince !== undefined)).toEqual([]);
    await cRewritesThenB(w);
    // The save lands now, naming B's first twenty hours done under B's mark, C's two among them.
    await w.ports.state.save(late());
    const rest = await runKpis([B], w.ports, { ...v2, recompute: { from: T0 + 20 * H, to: NOW } });
    expect(rest.kpis[0]!.recompute!.changedDefinition!.complete).toBe(false);
    await expectNotTakenUntilBackfilled(w);
  });

  it("a B call's progress save slow on the wire across B -> C -> B counts nothing (review R7-F1)", async () => {
    const { w } = await bDoneToTen();
    const { gate, state } = savesHeld(w, doneToTwenty);
    const slow = runKpis(
      [B],
      { ...w.ports, state },
      { ...v2, recompute: { from: T0 + 10 * H, to: T0 + 20 * H } },
    );
    await gate.arrival;
    await cRewritesThenB(w);
    gate.release();
    expect((await slow).fenced).toBe(false);
    await runKpis([B], w.ports, { ...v2, recompute: { from: T0 + 20 * H, to: NOW } });
    await expectNotTakenUntilBackfilled(w);
  });

  it("a B run whose pointer answer came before B -> C -> B and its state after a late complete row is fenced, taking nothing up (review R7-F1)", async () => {
    const { w } = await bDoneToTen();
    // B's backfill of the rest, whose last progress save (all of B's history done) lands late.
    const { state, late } = timingOut(
      w,
      (e) => e.recomputes?.get(B.key)?.done.length === 1 && doneToTwenty(e),
    );
    await expect(
      runKpis([B], { ...w.ports, state }, { ...v2, recompute: { from: T0 + 10 * H, to: NOW } }),
    ).rejects.toThrow("timeout");
    // Its writes were over: it closed its record, so the next calls count their own work at once.
    expect((await w.state.load([], "")).pending.filter((r) => r.openSince !== undefined)).toEqual([]);
    // A scheduled B run asks for the pointer and its state together; the pointer answers at once,
    // the state load only after B -> C -> B and the late save.
    const gate = held();
    let loads = 0;
    const slowState: StateStore = {
      load: async (k, s) => {
        if (++loads === 1) await gate.wait();
        return w.ports.state.load(k, s);
      },
      save: (e) => w.ports.state.save(e),
    };
    const run = runKpis([B], { ...w.ports, state: slowState }, v2);
    await gate.arrival;
    await cRewritesThenB(w);
    await w.ports.state.save(late());
    gate.release();
    const report = await run;
    expect(report.fenced).toBe(true);
    expect((await w.state.load([B.key], "")).kpis.get(B.key)!.configHash).toBe(A.configHash);
    await expectNotTakenUntilBackfilled(w);
  });

  it("a run that loaded the state before the backfill finished does not undo another run's taking B up (review R7-F4)", async () => {
    const { w } = await bDoneToTen();
    // A scheduled B run loads the state while B's backfill is short of the end; its save is slow.
    const { gate, state } = savesHeld(w, (e) => e.kpis !== undefined);
    const slow = runKpis([B], { ...w.ports, state }, v2);
    await gate.arrival;
    // Meanwhile the backfill finishes and the next scheduled run takes B up and writes on.
    await runKpis([B], w.ports, { ...v2, recompute: { from: T0 + 10 * H, to: NOW } });
    (w.ports.clock as FixedClock).set(NOW + 70 * M);
    expect((await runKpis([B], w.ports, v2)).kpis[0]!.adoptedConfigHash).toBe(B.configHash);
    gate.release();
    expect((await slow).kpis[0]!.summary.error).toMatch(/the definition changed/);
    expect((await w.state.load([B.key], "")).kpis.get(B.key)!.configHash).toBe(B.configHash);
    await expectBRunsGoOn(w, NOW + 130 * M);
  });

  it("a B mark that lands after B was taken up and C began to rewrite leaves B's runs to a repair (review R8)", async () => {
    const { w } = await bDoneToTen();
    const late = await failedBMark(w);
    // Run again: the backfill finishes, and a run takes B up.
    await runKpis([B], w.ports, { ...v2, recompute: { from: T0 + 10 * H, to: NOW } });
    expect((await runKpis([B], w.ports, v2)).kpis[0]!.adoptedConfigHash).toBe(B.configHash);
    // C marks the row (C replacing B) and rewrites 02:00-04:00; the mark lands over C's row; B again.
    const pointer = w.ports.pointer as InMemoryVersionPointer;
    pointer.flip("kpi-fn@3");
    await runKpis([C], w.ports, { ...v3, recompute: { from: T0 + 2 * H, to: T0 + 4 * H } });
    await w.ports.state.save(late);
    pointer.flip("kpi-fn@2");
    await expectRepairedByB(w);
  });

  it("a B run's adoption that lands after C rewrote and B's new backfill marked the row anew leaves B's runs to a repair (review R8)", async () => {
    const { w } = await bDoneToTen();
    await runKpis([B], w.ports, { ...v2, recompute: { from: T0 + 10 * H, to: NOW } });
    const { state, late } = timingOut(w, (e) => e.kpis?.get(B.key)?.configHash === B.configHash);
    await runKpis([B], { ...w.ports, state }, v2).catch(() => undefined);
    await cRewritesThenB(w);
    const part = await runKpis([B], w.ports, { ...v2, recompute: { from: T0 + 20 * H, to: NOW } });
    expect(part.kpis[0]!.recompute!.changedDefinition!.complete).toBe(false);
    await w.ports.state.save(late());
    await expectRepairedByB(w);
  });

  it("a state taken up by a version before every adoption sealed is trusted with the row it was taken from", async () => {
    const { w } = await bDoneToTen();
    await runKpis([B], w.ports, { ...v2, recompute: { from: T0 + 10 * H, to: NOW } });
    expect((await runKpis([B], w.ports, v2)).kpis[0]!.adoptedConfigHash).toBe(B.configHash);
    // As such a version saved it: the new hash, no seal.
    const { sealed: _, ...unsealed } = (await w.state.load([B.key], "")).kpis.get(B.key)!;
    await w.state.save({ kpis: new Map([[B.key, unsealed]]) });
    (w.ports.clock as FixedClock).set(NOW + 70 * M);
    const next = await runKpis([B], w.ports, v2);
    expect(next.kpis[0]!.summary.error).toBeUndefined();
    expect(next.kpis[0]!.summary.due).toBe(1);
  });

  it("a B row that lands after B was taken up over an empty output (no row to seal) and C began to rewrite leaves B's runs to a repair", async () => {
    const w = world();
    const pointer = w.ports.pointer as InMemoryVersionPointer;
    // A's state, but no datapoints yet; B is deployed and its first run takes it up, writing its hours.
    await w.state.save({ kpis: new Map([[A.key, { configHash: A.configHash }]]) });
    pointer.flip("kpi-fn@2");
    (w.ports.clock as FixedClock).set(NOW + 10 * M);
    expect((await runKpis([B], w.ports, v2)).kpis[0]!.adoptedConfigHash).toBe(B.configHash);
    await cRewritesThenB(w);
    // A row of a B backfill call from before (it marked the empty output) lands late over C's.
    const { generation } = await w.ports.pointer.active();
    const late = {
      configHash: B.configHash,
      replaces: A.configHash,
      done: [],
      mark: "b-late",
      afterSeal: "",
      generation,
    };
    await w.state.save({ recomputes: new Map([[B.key, late]]) });
    await expectRepairedByB(w);
  });

  it("an old version's scheduled call in flight at the deploy holds the adoption back: its windows never stay among B's (review R8-F3)", async () => {
    const w = world();
    const pointer = w.ports.pointer as InMemoryVersionPointer;
    const clock = w.ports.clock as FixedClock;
    clock.set(NOW + 10 * M);
    await runKpis([A], w.ports, OPTIONS); // A's output ends at 29:50
    clock.set(NOW + 40 * M);
    // A's next scheduled call, past its pointer check, with its due windows (30:00-30:30) on the wire.
    const write = held();
    const old = runKpis([A], { ...w.ports, output: heldOutput(w.store, write) }, OPTIONS);
    await write.arrival;
    pointer.flip("kpi-fn@2");
    const back = await runKpis([B], w.ports, { ...v2, recompute: { from: T0 - 40 * H, to: NOW + 40 * M } });
    expect(back.kpis[0]!.recompute!.changedDefinition!.complete).toBe(true);
    clock.set(NOW + 70 * M);
    const held1 = await runKpis([B], w.ports, v2);
    expect(held1.kpis[0]!.adoptedConfigHash).toBeUndefined();
    expect(held1.kpis[0]!.summary.due).toBe(0);
    expect(held1.kpis[0]!.summary.error).toMatch(/a call of another version that may write it was running/);
    write.release();
    expect((await old).fenced).toBe(true);
    await expectBackfilledThenClean(w);
  });

  it("an old call whose record B's run's first load missed (answered first) holds B back: it reads state and output again after the pointer answered (review R8-F3, R9)", async () => {
    const w = world();
    const pointer = w.ports.pointer as InMemoryVersionPointer;
    const clock = w.ports.clock as FixedClock;
    // A's state, no datapoints yet; what B's run will load, read before A's call puts its record.
    await w.state.save({ kpis: new Map([[A.key, { configHash: A.configHash }]]) });
    const early = await w.state.load([B.key], v2.subscription);
    clock.set(NOW + 10 * M);
    const write = held();
    const old = runKpis([A], { ...w.ports, output: heldOutput(w.store, write) }, OPTIONS);
    await write.arrival;
    pointer.flip("kpi-fn@2");
    let loads = 0;
    const state: StateStore = {
      load: async (k, s) => (++loads === 1 ? early : w.ports.state.load(k, s)),
      save: (e) => w.ports.state.save(e),
    };
    const first = await runKpis([B], { ...w.ports, state }, v2);
    expect(first.kpis[0]!.summary.due).toBe(0);
    expect(first.kpis[0]!.adoptedConfigHash).toBeUndefined();
    expect(first.kpis[0]!.summary.error).toMatch(/a call of another version that may write it was running/);
    expect((await w.state.load([B.key], "")).kpis.get(B.key)!.configHash).toBe(A.configHash);
    write.release();
    expect((await old).fenced).toBe(true);
    expect(w.store.points(B.series).some((p) => p.timestamp % H !== 0)).toBe(true);
    await expectBackfilledThenClean(w);
  });

  it("an empty output is not taken up on a latest answer older than the pointer's: an old call ran whole between them (review R9)", async () => {
    const w = world();
    await w.state.save({ kpis: new Map([[A.key, { configHash: A.configHash }]]) });
    (w.ports.clock as FixedClock).set(NOW + 10 * M);
    // B's run's question for the outputs' latest is answered first: nothing there.
    const early = await w.store.latest([B.series]);
    // A's call runs whole, its last pointer check before the flip; then B's pointer answer.
    expect((await runKpis([A], w.ports, OPTIONS)).fenced).toBe(false);
    (w.ports.pointer as InMemoryVersionPointer).flip("kpi-fn@2");
    let asked = 0;
    const output: RunPorts["output"] = {
      latest: async (s) => (++asked === 1 ? early : w.store.latest(s)),
      write: (x) => w.store.write(x),
      remove: (x) => w.store.remove(x),
    };
    const first = await runKpis([B], { ...w.ports, output }, v2);
    expect(first.kpis[0]!.adoptedConfigHash).toBeUndefined();
    expect((await w.state.load([B.key], "")).kpis.get(B.key)!.configHash).toBe(A.configHash);
    await expectBackfilledThenClean(w);
  });

  it("a backfill part that planned before B was taken up and marks after it is a plain recompute: the runs go on (review R9)", async () => {
    const { w } = await bDoneToTen();
    const { gate, call } = heldAtPointer(w, B, 2, { ...v2, recompute: { from: T0, to: T0 + 10 * H } });
    await gate.arrival;
    await runKpis([B], w.ports, { ...v2, recompute: { from: T0 + 10 * H, to: NOW } });
    expect((await runKpis([B], w.ports, v2)).kpis[0]!.adoptedConfigHash).toBe(B.configHash);
    gate.release();
    const late = await call;
    expect(late.fenced).toBe(false);
    expect(late.kpis[0]!.recompute!.changedDefinition).toBeUndefined();
    await expectBRunsGoOn(w, NOW + 70 * M);
  });

  it("an old call that ends, and whose record another run takes over, between B's state and output reads is seen in the output: state first, then output (review R9)", async () => {
    const w = world();
    await w.state.save({ kpis: new Map([[A.key, { configHash: A.configHash }]]) });
    const early = await w.state.load([B.key], v2.subscription);
    (w.ports.clock as FixedClock).set(NOW + 10 * M);
    const write = held();
    const old = runKpis([A], { ...w.ports, output: heldOutput(w.store, write) }, OPTIONS);
    await write.arrival;
    (w.ports.pointer as InMemoryVersionPointer).flip("kpi-fn@2");
    // B's run: its first reads (beside the pointer question) see neither A's record nor datapoints;
    // its second state load waits while A's write lands, A ends and another B run takes A's record over.
    const gate = held();
    let loads = 0;
    let asked = 0;
    const state: StateStore = {
      load: async (k, s) => {
        if (++loads === 1) return early;
        if (loads === 2) await gate.wait();
        return w.ports.state.load(k, s);
      },
      save: (e) => w.ports.state.save(e),
    };
    const output: RunPorts["output"] = {
      latest: async (s) => (++asked === 1 ? [undefined] : w.store.latest(s)),
      write: (x) => w.store.write(x),
      remove: (x) => w.store.remove(x),
    };
    const run = runKpis([B], { ...w.ports, state, output }, v2);
    await gate.arrival;
    write.release();
    expect((await old).fenced).toBe(true);
    await runKpis([B], w.ports, v2);
    expect((await w.state.load([], "")).pending.some((r) => r.by === OPTIONS.self)).toBe(false);
    gate.release();
    expect((await run).kpis[0]!.adoptedConfigHash).toBeUndefined();
    await expectBackfilledThenClean(w);
  });

  /** B's runs leave the KPI to a backfill; after one, a run takes B up and only B's hours are there. */
  async function expectBackfilledThenClean(w: ReturnType<typeof world>): Promise<void> {
    const clock = w.ports.clock as FixedClock;
    clock.set(NOW + 130 * M);
    const waiting = await runKpis([B], w.ports, v2);
    expect(waiting.kpis[0]!.adoptedConfigHash).toBeUndefined();
    expect(waiting.kpis[0]!.summary.error).toMatch(/the definition changed/);
    await runKpis([B], w.ports, { ...v2, recompute: { from: T0 - 40 * H, to: NOW + 130 * M } });
    const taken = await runKpis([B], w.ports, v2);
    expect(taken.kpis[0]!.adoptedConfigHash).toBe(B.configHash);
    clock.set(NOW + 190 * M);
    expect((await runKpis([B], w.ports, v2)).kpis[0]!.summary.error).toBeUndefined();
    expectOnlyBsHours(w);
  }

  /** B's next run leaves the KPI to a repair, which a backfill with B does; then only B's hours are there. */
  async function expectRepairedByB(w: ReturnType<typeof world>): Promise<void> {
    (w.ports.clock as FixedClock).set(NOW + 70 * M);
    const next = await runKpis([B], w.ports, v2);
    // The late row hides which definition began to rewrite: the runs ask for a repair with this one.
    expect(next.kpis[0]!.summary.error).toMatch(
      /^a backfill with this definition, repairing .* has not finished/,
    );
    await runKpis([B], w.ports, { ...v2, recompute: { from: T0 - 40 * H, to: NOW + 70 * M } });
    (w.ports.clock as FixedClock).set(NOW + 130 * M);
    const taken = await runKpis([B], w.ports, v2);
    expect(taken.kpis[0]!.summary.error).toBeUndefined();
    expectOnlyBsHours(w);
  }

  /** The late save lands; B is deployed again and backfilled from 10:00, and still not taken up. */
  async function landThenBAgain(w: ReturnType<typeof world>, late: StateSave): Promise<void> {
    await w.ports.state.save(late);
    (w.ports.pointer as InMemoryVersionPointer).flip("kpi-fn@2");
    await runKpis([B], w.ports, { ...v2, recompute: { from: T0 + 10 * H, to: NOW } });
    await expectNotTakenUntilBackfilled(w);
  }

  /** The next B call (from 10:00 on), whose mark times out at the call and is returned to land later. */
  async function failedBMark(w: ReturnType<typeof world>): Promise<StateSave> {
    const { state, late } = timingOut(w, (e) => e.recomputes !== undefined);
    const failed = await runKpis(
      [B],
      { ...w.ports, state },
      { ...v2, recompute: { from: T0 + 10 * H, to: NOW } },
    );
    expect(failed.kpis[0]!.summary.error).toMatch(
      /saving the recompute's progress before its first write failed/,
    );
    return late();
  }

  /** w's state store, whose saves that `pick` chooses wait at `gate` (slow on the wire). */
  function savesHeld(w: ReturnType<typeof world>, pick: (e: StateSave) => boolean) {
    const gate = held();
    const state: StateStore = {
      load: (k, s) => w.ports.state.load(k, s),
      save: async (e) => {
        if (pick(e)) await gate.wait();
        await w.ports.state.save(e);
      },
    };
    return { gate, state };
  }

  /** w's state store, whose first save that `pick` chooses times out at the call; `late()` is it, to land later. */
  function timingOut(w: ReturnType<typeof world>, pick: (e: StateSave) => boolean) {
    let late: StateSave | undefined;
    const state: StateStore = {
      load: (k, s) => w.ports.state.load(k, s),
      save: async (e) => {
        if (late === undefined && pick(e)) {
          late = e;
          throw new Error("timeout");
        }
        await w.ports.state.save(e);
      },
    };
    return { state, late: () => late! };
  }
});

describe("strayRanges", () => {
  it("covers every stored timestamp not kept, and no kept one, in the fewest ranges", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 200 }), { maxLength: 60 }),
        fc.uniqueArray(fc.integer({ min: 0, max: 200 }), { maxLength: 60 }),
        (stored, kept) => {
          stored.sort((a, b) => a - b);
          kept.sort((a, b) => a - b);
          const ranges = strayRanges(stored, stored.length, kept);
          const inRanges = (t: number) => ranges.some((r) => r.start <= t && t < r.end);
          for (const t of stored) expect(inRanges(t)).toBe(!kept.includes(t));
          for (const t of kept) expect(inRanges(t)).toBe(false);
          // Fewest: a new range starts only where a kept timestamp lies since the last stray.
          for (let i = 1; i < ranges.length; i++) {
            expect(kept.some((t) => ranges[i - 1]!.end <= t && t < ranges[i]!.start)).toBe(true);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
