import { describe, expect, it } from "vitest";
import { ChangesLostError } from "../src/changesLostError.js";
import { STATUS_BAD } from "../src/model.js";
import type { KpiState } from "../src/ports.js";
import {
  FixedClock,
  InMemoryChangeSource,
  InMemoryDatapointStore,
  InMemoryStateStore,
  InMemoryVersionPointer,
} from "../src/testing/index.js";

const flow = { externalId: "pump-01:flow" };
const dm = { instanceId: { space: "plant", externalId: "pump-01:flow" } };

function storeWith(): InMemoryDatapointStore {
  const store = new InMemoryDatapointStore();
  store.insert(
    flow,
    [10, 20, 30, 40, 50].map((t) => ({ timestamp: t, value: t / 10 })),
  );
  return store;
}

const readOne = async (
  store: InMemoryDatapointStore,
  series: typeof flow | typeof dm,
  start: number,
  end: number,
  limit?: number,
) => (await store.read([{ series, start, end, ...(limit === undefined ? {} : { limit }) }]))[0]!;

describe("InMemoryDatapointStore as a DatapointSource", () => {
  it("reads the points with start <= t < end, and no outside points", async () => {
    const { points } = await readOne(storeWith(), flow, 25, 40);
    expect([...points.timestamps]).toEqual([30]);
    expect([...points.values]).toEqual([3]);
  });

  it("answers several requests in one call, in order, each with at most its limit", async () => {
    const answers = await storeWith().read([
      { series: flow, start: 0, end: 100, limit: 2 },
      { series: flow, start: 30, end: 100 },
    ]);
    expect(answers.map((a) => [...a.points.timestamps])).toEqual([
      [10, 20],
      [30, 40, 50],
    ]);
  });

  it("reports the series' isStep", async () => {
    const store = new InMemoryDatapointStore();
    store.insert(flow, [{ timestamp: 1, value: 1 }], { isStep: true });
    expect((await readOne(store, flow, 0, 10)).isStep).toBe(true);
  });

  it("keeps the later of two inserted points at one timestamp, status included", async () => {
    const store = storeWith();
    store.insert(flow, [{ timestamp: 20, value: null, status: STATUS_BAD }]);
    const { points } = await readOne(store, flow, 20, 21);
    expect(points.statuses[0]).toBe(STATUS_BAD);
    expect(points.values[0]).toBeNaN();
  });

  it("tells instanceId and externalId series apart", async () => {
    const store = storeWith();
    store.insert(dm, [{ timestamp: 10, value: 99 }]);
    expect((await readOne(store, dm, 0, 100)).points.values[0]).toBe(99);
    expect((await readOne(store, flow, 0, 11)).points.values[0]).toBe(1);
  });

  it("rejects reading a series that does not exist, naming it", async () => {
    await expect(readOne(new InMemoryDatapointStore(), flow, 0, 1)).rejects.toThrow(
      /time series externalId:pump-01:flow does not exist/,
    );
  });
});

describe("InMemoryDatapointStore as a KpiOutput", () => {
  it("stores Good datapoints with their value and Bad ones with Bad status and no value", async () => {
    const store = new InMemoryDatapointStore();
    const out = { externalId: "kpi:flow" };
    await store.write([
      {
        series: out,
        datapoints: [
          { timestamp: 0, value: 1.5, status: "Good" },
          { timestamp: 3600, value: null, status: "Bad", reason: "no points" },
        ],
      },
    ]);
    expect(store.points(out)).toEqual([
      { timestamp: 0, value: 1.5, status: 0 },
      { timestamp: 3600, value: Number.NaN, status: STATUS_BAD },
    ]);
  });

  it("overwrites a datapoint at the same timestamp, so writing twice is idempotent", async () => {
    const store = new InMemoryDatapointStore();
    const out = { externalId: "kpi:flow" };
    await store.write([{ series: out, datapoints: [{ timestamp: 0, value: 1, status: "Good" }] }]);
    await store.write([{ series: out, datapoints: [{ timestamp: 0, value: 2, status: "Good" }] }]);
    await store.write([{ series: out, datapoints: [{ timestamp: 0, value: 2, status: "Good" }] }]);
    expect(store.points(out)).toEqual([{ timestamp: 0, value: 2, status: 0 }]);
  });

  it("reports each series' latest datapoint, Bad ones included, undefined when empty", async () => {
    const store = new InMemoryDatapointStore();
    const out = { externalId: "kpi:flow" };
    await store.write([
      {
        series: out,
        datapoints: [
          { timestamp: 0, value: 1, status: "Good" },
          { timestamp: 3600, value: null, status: "Bad", reason: "r" },
        ],
      },
    ]);
    expect(await store.latest([out, { externalId: "none" }])).toEqual([3600, undefined]);
  });

  it("fails the next write batches when told, writing nothing of them", async () => {
    const store = new InMemoryDatapointStore();
    const out = { externalId: "kpi:flow" };
    store.failWrites(1);
    const write = store.write([{ series: out, datapoints: [{ timestamp: 0, value: 1, status: "Good" }] }]);
    await expect(write).rejects.toThrow("write batch failed (injected)");
    expect(store.points(out)).toEqual([]);
    await store.write([{ series: out, datapoints: [{ timestamp: 0, value: 1, status: "Good" }] }]);
    expect(store.points(out)).toHaveLength(1);
  });

  it("deletes the half-open range [start, end)", async () => {
    const store = storeWith();
    await store.delete(flow, { start: 20, end: 40 });
    expect(store.points(flow).map((p) => p.timestamp)).toEqual([10, 40, 50]);
  });

  it("deleting from a series that does not exist does nothing", async () => {
    const store = new InMemoryDatapointStore();
    await store.delete(flow, { start: 0, end: 1 });
    expect(store.points(flow)).toEqual([]);
  });
});

describe("InMemoryStateStore", () => {
  it("has no state for a KPI never stored", async () => {
    const loaded = await new InMemoryStateStore().load(["kpi:a"], "sub");
    expect(loaded.kpis.size + loaded.recomputes.size + loaded.cursors.size).toBe(0);
  });

  it("returns the stored KPI state as a copy, and only for the keys asked", async () => {
    const store = new InMemoryStateStore();
    const state = { configHash: "abc", pending: [{ from: 0, to: 3600 }] };
    await store.save({
      kpis: new Map<string, KpiState>([
        ["kpi:a", state],
        ["kpi:b", { configHash: "b" }],
      ]),
    });
    state.configHash = "changed";
    const read = (await store.load(["kpi:a"], "sub")).kpis;
    expect([...read]).toEqual([["kpi:a", { configHash: "abc", pending: [{ from: 0, to: 3600 }] }]]);
    read.get("kpi:a")!.configHash = "changed again";
    expect((await store.load(["kpi:a"], "sub")).kpis.get("kpi:a")!.configHash).toBe("abc");
  });

  it("keeps recompute progress beside, not inside, the KPI state", async () => {
    const store = new InMemoryStateStore();
    await store.save({ kpis: new Map([["kpi:a", { configHash: "old" }]]) });
    const progress = { configHash: "new", replaces: "old", done: [{ from: 0, to: 10 }] };
    await store.save({ recomputes: new Map([["kpi:a", progress]]) });
    const loaded = await store.load(["kpi:a"], "sub");
    expect(loaded.kpis.get("kpi:a")).toEqual({ configHash: "old" });
    expect(loaded.recomputes.get("kpi:a")).toEqual(progress);
  });

  it("keeps subscription cursors per subscription and partition; a save replaces only the partitions it names", async () => {
    const store = new InMemoryStateStore();
    await store.save({ cursors: { subscription: "sub", cursors: [{ partition: 0, cursor: "c0" }] } });
    await store.save({ cursors: { subscription: "sub", cursors: [{ partition: 1, cursor: "c1" }] } });
    await store.save({ cursors: { subscription: "other", cursors: [{ partition: 0, cursor: "o0" }] } });
    expect([...(await store.load([], "sub")).cursors]).toEqual([
      [0, "c0"],
      [1, "c1"],
    ]);
    expect([...(await store.load([], "other")).cursors]).toEqual([[0, "o0"]]);
    expect([store.loads, store.saves]).toEqual([2, 3]);
  });
});

describe("FixedClock", () => {
  it("says the time it was given until it is moved", () => {
    const clock = new FixedClock(1000);
    expect(clock.now()).toBe(1000);
    clock.advance(500);
    expect(clock.now()).toBe(1500);
    clock.set(42);
    expect(clock.now()).toBe(42);
  });
});

describe("InMemoryChangeSource", () => {
  const all = (source: InMemoryChangeSource, cursor?: string) =>
    Array.from({ length: source.partitions }, (_, partition) => ({ partition, cursor }));

  it("starts a new subscription now: no history, then the changes made after", async () => {
    const store = storeWith();
    const source = new InMemoryChangeSource(store, { partitions: 1 });
    store.insert(flow, [{ timestamp: 60, value: 6 }]);
    const first = await source.poll(all(source));
    expect(first.changes).toEqual([]);
    store.insert(flow, [{ timestamp: 70, value: 7 }]);
    await store.delete(flow, { start: 0, end: 15 });
    const next = await source.poll(first.cursors);
    expect(next.changes).toEqual([
      { series: flow, timestamps: [70], deletedRanges: [] },
      { series: flow, timestamps: [], deletedRanges: [{ start: 0, end: 15 }] },
    ]);
    expect(next.hasNext).toBe(false);
  });

  it("pages, delivers the page's first change again with duplicate, and fails for expired cursors", async () => {
    const store = new InMemoryDatapointStore();
    const source = new InMemoryChangeSource(store, { partitions: 1, pageSize: 2, duplicate: true });
    const start = await source.poll(all(source));
    for (const t of [1, 2, 3]) store.insert(flow, [{ timestamp: t, value: t }]);
    const one = await source.poll(start.cursors);
    expect(one.changes.map((c) => c.timestamps[0])).toEqual([1, 2]);
    expect(one.hasNext).toBe(true);
    const two = await source.poll(one.cursors);
    expect(two.changes.map((c) => c.timestamps[0])).toEqual([2, 3]);
    source.expire();
    await expect(source.poll(one.cursors)).rejects.toBeInstanceOf(ChangesLostError);
  });

  it("spreads series over partitions and shuffles a page", async () => {
    const store = new InMemoryDatapointStore();
    const source = new InMemoryChangeSource(store, { partitions: 3, shuffleSeed: 7 });
    const start = await source.poll(all(source));
    for (let i = 0; i < 20; i++) store.insert({ externalId: `s${i}` }, [{ timestamp: i, value: i }]);
    const page = await source.poll(start.cursors);
    const order = page.changes.map((c) => c.timestamps[0]);
    expect([...order].sort((a, b) => a! - b!)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(order).not.toEqual([...order].sort((a, b) => a! - b!));
    expect(new Set(page.cursors.map((c) => c.cursor)).size).toBeGreaterThan(1);
  });
});

describe("InMemoryVersionPointer and FixedClock", () => {
  it("names the active version until flipped, each flip a new generation; the clock says what it is told", async () => {
    const pointer = new InMemoryVersionPointer("fn@1");
    const first = await pointer.active();
    expect(first.version).toBe("fn@1");
    expect(await pointer.active()).toEqual(first);
    pointer.flip("fn@2");
    const second = await pointer.active();
    expect(second.version).toBe("fn@2");
    pointer.flip("fn@1");
    const back = await pointer.active();
    expect(back.version).toBe("fn@1");
    expect(new Set([first.generation, second.generation, back.generation]).size).toBe(3);
    const clock = new FixedClock(5);
    clock.advance(10);
    expect(clock.now()).toBe(15);
  });
});
