import type { CogniteClient } from "@cognite/sdk";
import fc from "fast-check";
import { beforeEach, describe, expect, it } from "vitest";
import { VirtualClock } from "../src/clock.js";
import type { DatapointChange, EmulatorContext, TimeSeriesInfo } from "../src/context.js";
import { SubscriptionStore } from "../src/subscriptions/subscriptionStore.js";
import { createTestClient, type TestEmulator } from "../src/testing/index.js";
import { emulatorSuite } from "./fixtures/emulatorSuite.js";
import { failure } from "./fixtures/failure.js";

const T0 = Date.UTC(2024, 5, 1);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const BAD = 2147483648;
const UNCERTAIN = 1073741824;

let t: TestEmulator;
let client: CogniteClient;
let project: string;

emulatorSuite(
  {
    project: "subs-test",
    clock: T0,
    clients: [
      {
        clientId: "sub-reader",
        clientSecret: "sub-reader-secret",
        capabilities: [
          { timeSeriesSubscriptionsAcl: { actions: ["READ"], scope: { all: {} } } },
          { timeSeriesAcl: { actions: ["READ"], scope: { all: {} } } },
        ],
      },
    ],
  },
  (started) => {
    t = started;
    client = t.client;
    project = t.emulator.project;
  },
);

// After the suite's reset (hooks run in the order they are registered).
beforeEach(async () => {
  await t.emulator.control.setClock(T0);
});

const path = (p: string) => `/api/v1/projects/${project}/timeseries/subscriptions${p}`;

interface SeriesRef {
  id: number;
  externalId?: string;
  isString: boolean;
  type: string;
}
interface Update {
  timeSeries: SeriesRef;
  upserts: Array<{ timestamp: number; value?: number | string; status?: { code: number; symbol?: string } }>;
  deletes: Array<{ inclusiveBegin: number; exclusiveEnd?: number }>;
}
interface DataResponse {
  updates: Update[];
  subscriptionChanges?: { added?: SeriesRef[]; removed?: SeriesRef[] };
  partitions: Array<{ index: number; nextCursor: string }>;
  hasNext: boolean;
}

async function createSeries(...externalIds: string[]): Promise<Map<string, number>> {
  const created = await client.timeseries.create(externalIds.map((externalId) => ({ externalId })));
  return new Map(created.map((ts) => [ts.externalId!, ts.id]));
}

async function createSubscription(item: Record<string, unknown>): Promise<Record<string, unknown>> {
  const res = await client.post<{ items: Record<string, unknown>[] }>(path(""), { data: { items: [item] } });
  expect(res.status).toBe(201);
  return res.data.items[0]!;
}

async function write(externalId: string, points: Array<[number, number]>): Promise<void> {
  await client.datapoints.insert([
    { externalId, datapoints: points.map(([timestamp, value]) => ({ timestamp, value })) },
  ]);
}

async function readData(body: Record<string, unknown>): Promise<DataResponse> {
  const res = await client.post<DataResponse>(path("/data/list"), {
    data: { pollTimeoutSeconds: 0, partitions: [{ index: 0 }], ...body },
  });
  return res.data;
}

const upsertsOf = (r: DataResponse) =>
  r.updates.flatMap((u) => u.upserts.map((p) => [u.timeSeries.externalId, p.timestamp, p.value]));

describe("subscription definitions", () => {
  it("creates a subscription with 201 and CDF's fields, timestamps on the virtual clock", async () => {
    await createSeries("a", "b");
    const sub = await createSubscription({
      externalId: "s1",
      name: "KPI inputs",
      partitionCount: 2,
      timeSeriesIds: ["a", "b"],
    });
    expect(sub).toEqual({
      externalId: "s1",
      name: "KPI inputs",
      partitionCount: 2,
      timeSeriesCount: 2,
      createdTime: T0,
      lastUpdatedTime: T0,
    });
  });

  it("answers 409 with `duplicated` for an externalId that exists", async () => {
    await createSubscription({ externalId: "dup", partitionCount: 1, timeSeriesIds: ["x"] });
    const err = await failure(
      client.post(path(""), {
        data: { items: [{ externalId: "dup", partitionCount: 1, timeSeriesIds: ["x"] }] },
      }),
    );
    expect(err.status).toBe(409);
    expect((err as unknown as { duplicated: unknown[] }).duplicated).toEqual([{ externalId: "dup" }]);
  });

  it("rejects a partitionCount outside 1-100 with a 400 naming the field", async () => {
    const err = await failure(
      client.post(path(""), {
        data: { items: [{ externalId: "p", partitionCount: 101, timeSeriesIds: ["x"] }] },
      }),
    );
    expect(err.status).toBe(400);
    expect(err.message).toMatch(/items\[0\]\.partitionCount/);
  });

  it("rejects more than 100 time series in one create", async () => {
    const ids = Array.from({ length: 101 }, (_, i) => `ts-${i}`);
    const err = await failure(
      client.post(path(""), {
        data: { items: [{ externalId: "big", partitionCount: 1, timeSeriesIds: ids }] },
      }),
    );
    expect(err.status).toBe(400);
    expect(err.message).toMatch(/timeSeriesIds/);
  });

  it("lists subscriptions page by page with nextCursor", async () => {
    for (const id of ["l1", "l2", "l3"]) await createSubscription({ externalId: id, partitionCount: 1 });
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const res = await client.get<{ items: Array<{ externalId: string }>; nextCursor?: string }>(path(""), {
        params: { limit: 2, ...(cursor ? { cursor } : {}) },
      });
      seen.push(...res.data.items.map((i) => i.externalId));
      cursor = res.data.nextCursor;
    } while (cursor);
    expect(seen).toEqual(["l1", "l2", "l3"]);
  });

  it("retrieves by externalId and reports an unknown one in `missing` unless ignoreUnknownIds", async () => {
    await createSubscription({ externalId: "known", partitionCount: 1 });
    const found = await client.post<{ items: Array<{ externalId: string }> }>(path("/byids"), {
      data: { items: [{ externalId: "known" }] },
    });
    expect(found.data.items.map((i) => i.externalId)).toEqual(["known"]);
    const err = await failure(client.post(path("/byids"), { data: { items: [{ externalId: "nope" }] } }));
    expect(err.status).toBe(400);
    expect(err.missing).toEqual([{ externalId: "nope" }]);
    const ignored = await client.post<{ items: unknown[] }>(path("/byids"), {
      data: { items: [{ externalId: "nope" }], ignoreUnknownIds: true },
    });
    expect(ignored.data.items).toEqual([]);
  });

  it("lists members with their ids, and without an id for a series that does not exist", async () => {
    const ids = await createSeries("m1");
    await createSubscription({ externalId: "mem", partitionCount: 1, timeSeriesIds: ["m1", "not-yet"] });
    const res = await client.get<{ items: unknown[] }>(path("/members"), { params: { externalId: "mem" } });
    expect(res.data.items).toEqual([{ externalId: "m1", id: ids.get("m1") }, { externalId: "not-yet" }]);
  });

  it("deletes a subscription; reading its data afterwards is a 400", async () => {
    await createSubscription({ externalId: "gone", partitionCount: 1 });
    await client.post(path("/delete"), { data: { items: [{ externalId: "gone" }] } });
    const err = await failure(readData({ externalId: "gone" }));
    expect(err.status).toBe(400);
    expect(err.missing).toEqual([{ externalId: "gone" }]);
  });

  it("requires timeSeriesSubscriptionsAcl WRITE to create (403 for a reader)", async () => {
    const reader = createTestClient(t.emulator, {
      clientId: "sub-reader",
      clientSecret: "sub-reader-secret",
    });
    const err = await failure(
      reader.post(path(""), { data: { items: [{ externalId: "r", partitionCount: 1 }] } }),
    );
    expect(err.status).toBe(403);
  });
});

describe("subscription data", () => {
  it("returns upserts of member series in ingestion order, naming the series", async () => {
    const ids = await createSeries("a", "b");
    await createSubscription({ externalId: "s", partitionCount: 1, timeSeriesIds: ["a", "b"] });
    await write("b", [[T0 + 2000, 2]]);
    await write("a", [
      [T0, 1],
      [T0 + 1000, 1.5],
    ]);
    const data = await readData({ externalId: "s" });
    expect(data.updates).toEqual([
      {
        timeSeries: { id: ids.get("b"), externalId: "b", isString: false, type: "numeric" },
        upserts: [{ timestamp: T0 + 2000, value: 2 }],
        deletes: [],
      },
      {
        timeSeries: { id: ids.get("a"), externalId: "a", isString: false, type: "numeric" },
        upserts: [
          { timestamp: T0, value: 1 },
          { timestamp: T0 + 1000, value: 1.5 },
        ],
        deletes: [],
      },
    ]);
    expect(data.hasNext).toBe(false);
  });

  it("ignores series that are not members", async () => {
    await createSeries("in", "out");
    await createSubscription({ externalId: "s", partitionCount: 1, timeSeriesIds: ["in"] });
    await write("out", [[T0, 1]]);
    await write("in", [[T0, 2]]);
    expect(upsertsOf(await readData({ externalId: "s" }))).toEqual([["in", T0, 2]]);
  });

  it("only has changes made after a series joined", async () => {
    await createSeries("late");
    await createSubscription({ externalId: "s", partitionCount: 1, timeSeriesIds: ["x"] });
    await write("late", [[T0, 1]]);
    await client.post(path("/update"), {
      data: { items: [{ externalId: "s", update: { timeSeriesIds: { add: ["late"] } } }] },
    });
    await write("late", [[T0 + 1000, 2]]);
    const data = await readData({ externalId: "s" });
    expect(upsertsOf(data)).toEqual([["late", T0 + 1000, 2]]);
    expect(data.subscriptionChanges?.added?.map((s) => s.externalId)).toEqual(["late"]);
  });

  it("resumes from nextCursor with only newer changes, and re-reading a cursor returns the same again", async () => {
    await createSeries("a");
    await createSubscription({ externalId: "s", partitionCount: 1, timeSeriesIds: ["a"] });
    await write("a", [[T0, 1]]);
    const first = await readData({ externalId: "s" });
    const cursor = first.partitions[0]!.nextCursor;
    await write("a", [[T0 + 1000, 2]]);
    const second = await readData({ externalId: "s", partitions: [{ index: 0, cursor }] });
    expect(upsertsOf(second)).toEqual([["a", T0 + 1000, 2]]);
    const again = await readData({ externalId: "s", partitions: [{ index: 0, cursor }] });
    expect(upsertsOf(again)).toEqual([["a", T0 + 1000, 2]]);
    const end = await readData({
      externalId: "s",
      partitions: [{ index: 0, cursor: second.partitions[0]!.nextCursor }],
    });
    expect(end.updates).toEqual([]);
    expect(end.hasNext).toBe(false);
  });

  it("reports deleted ranges as deletes", async () => {
    await createSeries("a");
    await createSubscription({ externalId: "s", partitionCount: 1, timeSeriesIds: ["a"] });
    await client.datapoints.delete([{ externalId: "a", inclusiveBegin: T0, exclusiveEnd: T0 + HOUR }]);
    const data = await readData({ externalId: "s" });
    expect(data.updates.map((u) => u.deletes)).toEqual([[{ inclusiveBegin: T0, exclusiveEnd: T0 + HOUR }]]);
    expect(data.updates[0]!.upserts).toEqual([]);
  });

  it("puts each series in one partition (id mod partitionCount) and each change in exactly one", async () => {
    const ids = await createSeries("p0", "p1", "p2", "p3");
    await createSubscription({ externalId: "s", partitionCount: 3, timeSeriesIds: ["p0", "p1", "p2", "p3"] });
    for (const name of ids.keys()) await write(name, [[T0, 1]]);
    for (let index = 0; index < 3; index++) {
      const data = await readData({ externalId: "s", partitions: [{ index }] });
      const expected = [...ids].filter(([, id]) => id % 3 === index).map(([name]) => name);
      expect(data.updates.map((u) => u.timeSeries.externalId)).toEqual(expected);
    }
    const all = await readData({ externalId: "s", partitions: [0, 1, 2].map((index) => ({ index })) });
    expect(all.updates.map((u) => u.timeSeries.externalId)).toEqual(["p0", "p1", "p2", "p3"]);
  });

  it("rejects a partition index the subscription does not have", async () => {
    await createSubscription({ externalId: "s", partitionCount: 2 });
    const err = await failure(readData({ externalId: "s", partitions: [{ index: 2 }] }));
    expect(err.status).toBe(400);
    expect(err.message).toMatch(/partitions 0-1/);
  });

  it("stops at `limit` points with hasNext, and cursors page through everything exactly once", async () => {
    await createSeries("a");
    await createSubscription({ externalId: "s", partitionCount: 1, timeSeriesIds: ["a"] });
    for (let i = 0; i < 5; i++) await write("a", [[T0 + i, i]]);
    const seen: unknown[] = [];
    let cursor: string | undefined;
    let pages = 0;
    for (;;) {
      const data = await readData({ externalId: "s", limit: 2, partitions: [{ index: 0, cursor }] });
      seen.push(...upsertsOf(data).map((u) => u[2]));
      cursor = data.partitions[0]!.nextCursor;
      pages++;
      if (!data.hasNext) break;
    }
    expect(seen).toEqual([0, 1, 2, 3, 4]);
    expect(pages).toBe(3);
  });

  it("counts `limit` in points: changes of 2 points with limit 3 come two per page", async () => {
    await createSeries("a");
    await createSubscription({ externalId: "s", partitionCount: 1, timeSeriesIds: ["a"] });
    for (let i = 0; i < 3; i++) {
      await write("a", [
        [T0 + 10 * i, i],
        [T0 + 10 * i + 1, i],
      ]);
    }
    const data = await readData({ externalId: "s", limit: 3 });
    expect(data.updates).toHaveLength(2);
    expect(data.hasNext).toBe(true);
  });

  it("returns one ingestion request whole even when it alone exceeds `limit`", async () => {
    await createSeries("a");
    await createSubscription({ externalId: "s", partitionCount: 1, timeSeriesIds: ["a"] });
    await write("a", [
      [T0, 1],
      [T0 + 1, 2],
      [T0 + 2, 3],
    ]);
    const data = await readData({ externalId: "s", limit: 1 });
    expect(upsertsOf(data)).toHaveLength(3);
    expect(data.hasNext).toBe(false);
  });

  it('starts at the end of the stream with initializeCursors "now"', async () => {
    await createSeries("a");
    await createSubscription({ externalId: "s", partitionCount: 1, timeSeriesIds: ["a"] });
    await write("a", [[T0, 1]]);
    const data = await readData({ externalId: "s", initializeCursors: "now" });
    expect(data.updates).toEqual([]);
    await write("a", [[T0 + 1, 2]]);
    const next = await readData({
      externalId: "s",
      partitions: [{ index: 0, cursor: data.partitions[0]!.nextCursor }],
    });
    expect(upsertsOf(next)).toEqual([["a", T0 + 1, 2]]);
  });

  it('starts at changes ingested in the last N hours with initializeCursors "Nh-ago"', async () => {
    await createSeries("a");
    await createSubscription({ externalId: "s", partitionCount: 1, timeSeriesIds: ["a"] });
    await write("a", [[T0, 1]]);
    await t.emulator.control.advanceClock(3 * HOUR);
    await write("a", [[T0 + 1, 2]]);
    await t.emulator.control.advanceClock(HOUR);
    expect(upsertsOf(await readData({ externalId: "s", initializeCursors: "2h-ago" }))).toEqual([
      ["a", T0 + 1, 2],
    ]);
    expect(upsertsOf(await readData({ externalId: "s", initializeCursors: "5h-ago" }))).toHaveLength(2);
  });

  it("forgets changes older than 7 days, and refuses a cursor that points before them", async () => {
    await createSeries("a");
    await createSubscription({ externalId: "s", partitionCount: 1, timeSeriesIds: ["a"] });
    const start = await readData({ externalId: "s" });
    await write("a", [[T0, 1]]);
    await t.emulator.control.advanceClock(7 * DAY + 1);
    await write("a", [[T0 + 1, 2]]);
    expect(upsertsOf(await readData({ externalId: "s" }))).toEqual([["a", T0 + 1, 2]]);
    const err = await failure(
      readData({ externalId: "s", partitions: [{ index: 0, cursor: start.partitions[0]!.nextCursor }] }),
    );
    expect(err.status).toBe(400);
    expect(err.message).toMatch(/retention \(7 days\)/);
  });

  it("keeps a change of exactly 7 days ago", async () => {
    await createSeries("a");
    await createSubscription({ externalId: "s", partitionCount: 1, timeSeriesIds: ["a"] });
    await write("a", [[T0, 1]]);
    await t.emulator.control.advanceClock(7 * DAY);
    expect(upsertsOf(await readData({ externalId: "s" }))).toEqual([["a", T0, 1]]);
  });

  it("refuses a cursor of another subscription", async () => {
    await createSubscription({ externalId: "s1", partitionCount: 1 });
    await createSubscription({ externalId: "s2", partitionCount: 1 });
    const cursor = (await readData({ externalId: "s1" })).partitions[0]!.nextCursor;
    const err = await failure(readData({ externalId: "s2", partitions: [{ index: 0, cursor }] }));
    expect(err.status).toBe(400);
  });

  it("omits Bad and Uncertain points by default and shows their status when asked", async () => {
    await createSeries("a");
    await createSubscription({ externalId: "s", partitionCount: 1, timeSeriesIds: ["a"] });
    await client.datapoints.insert([
      {
        externalId: "a",
        datapoints: [
          { timestamp: T0, value: 1 },
          { timestamp: T0 + 1, value: 2, status: { code: UNCERTAIN } },
          { timestamp: T0 + 2, status: { code: BAD } },
        ] as never,
      },
    ]);
    expect(upsertsOf(await readData({ externalId: "s" }))).toEqual([["a", T0, 1]]);
    const all = await readData({ externalId: "s", includeStatus: true, ignoreBadDataPoints: false });
    expect(all.updates[0]!.upserts).toEqual([
      { timestamp: T0, value: 1 },
      { timestamp: T0 + 1, value: 2, status: { code: UNCERTAIN, symbol: "Uncertain" } },
      { timestamp: T0 + 2, status: { code: BAD, symbol: "Bad" } },
    ]);
  });

  it("reports a removed series in subscriptionChanges and stops listening to it", async () => {
    await createSeries("a", "b");
    await createSubscription({ externalId: "s", partitionCount: 1, timeSeriesIds: ["a", "b"] });
    await client.post(path("/update"), {
      data: { items: [{ externalId: "s", update: { timeSeriesIds: { remove: ["b"] } } }] },
    });
    await write("b", [[T0, 1]]);
    const data = await readData({ externalId: "s" });
    expect(data.updates).toEqual([]);
    expect(data.subscriptionChanges?.removed?.map((s) => s.externalId)).toEqual(["b"]);
  });

  it("reports a deleted time series as removed, and lists it as a member without id", async () => {
    const ids = await createSeries("a");
    await createSubscription({ externalId: "s", partitionCount: 1, timeSeriesIds: ["a"] });
    await client.timeseries.delete([{ id: ids.get("a")! }]);
    const data = await readData({ externalId: "s" });
    expect(data.subscriptionChanges?.removed?.map((s) => s.id)).toEqual([ids.get("a")]);
    const members = await client.get<{ items: unknown[] }>(path("/members"), { params: { externalId: "s" } });
    expect(members.data.items).toEqual([{ externalId: "a" }]);
  });

  it("waits up to pollTimeoutSeconds of real time when there is nothing new", async () => {
    await createSubscription({ externalId: "s", partitionCount: 1 });
    const started = Date.now();
    const data = await readData({ externalId: "s", pollTimeoutSeconds: 1 });
    expect(data.updates).toEqual([]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
  });

  it("answers a long poll as soon as a change arrives", async () => {
    await createSeries("a");
    await createSubscription({ externalId: "s", partitionCount: 1, timeSeriesIds: ["a"] });
    const started = Date.now();
    const poll = readData({ externalId: "s", pollTimeoutSeconds: 5 });
    await new Promise((r) => setTimeout(r, 100));
    await write("a", [[T0, 1]]);
    const data = await poll;
    expect(upsertsOf(data)).toEqual([["a", T0, 1]]);
    expect(Date.now() - started).toBeLessThan(3000);
  });
});

describe("membership", () => {
  it("listens to data-model time series named by instanceId", async () => {
    const [ts] = t.emulator.control.createTimeSeries([
      { instanceId: { space: "plant", externalId: "flow" } },
    ]);
    await createSubscription({
      externalId: "s",
      partitionCount: 1,
      instanceIds: [{ space: "plant", externalId: "flow" }],
    });
    await client.post(`/api/v1/projects/${project}/timeseries/data`, {
      data: {
        items: [
          { instanceId: { space: "plant", externalId: "flow" }, datapoints: [{ timestamp: T0, value: 7 }] },
        ],
      },
    });
    const data = await readData({ externalId: "s" });
    expect(data.updates.map((u) => [u.timeSeries, u.upserts])).toEqual([
      [
        { id: ts!.id, instanceId: { space: "plant", externalId: "flow" }, isString: false, type: "numeric" },
        [{ timestamp: T0, value: 7 }],
      ],
    ]);
  });

  it("replaces the explicit list with `set`, announcing removed and added series", async () => {
    await createSeries("a", "b", "c");
    await createSubscription({ externalId: "s", partitionCount: 1, timeSeriesIds: ["a", "b"] });
    const res = await client.post<{ items: Array<{ timeSeriesCount: number }> }>(path("/update"), {
      data: { items: [{ externalId: "s", update: { timeSeriesIds: { set: ["b", "c"] } } }] },
    });
    expect(res.data.items[0]!.timeSeriesCount).toBe(2);
    const data = await readData({ externalId: "s" });
    expect(data.subscriptionChanges?.removed?.map((s) => s.externalId)).toEqual(["a"]);
    expect(data.subscriptionChanges?.added?.map((s) => s.externalId)).toEqual(["c"]);
    const members = await client.get<{ items: Array<{ externalId: string }> }>(path("/members"), {
      params: { externalId: "s" },
    });
    expect(members.data.items.map((m) => m.externalId)).toEqual(["b", "c"]);
  });

  it("refuses an 11th subscription on one time series", async () => {
    for (let i = 0; i < 10; i++)
      await createSubscription({ externalId: `s${i}`, partitionCount: 1, timeSeriesIds: ["a"] });
    const err = await failure(
      client.post(path(""), {
        data: { items: [{ externalId: "s10", partitionCount: 1, timeSeriesIds: ["a"] }] },
      }),
    );
    expect(err.status).toBe(400);
    expect(err.message).toMatch(/at most 10/);
  });

  it("refuses to grow a subscription past 10,000 time series", () => {
    const { store } = storeWithSeries(0);
    store.create({ externalId: "s", partitionCount: 1 });
    for (let batch = 0; batch < 100; batch++) {
      const add = Array.from({ length: 100 }, (_, i) => `ts-${batch * 100 + i}`);
      store.update("s", { timeSeriesIds: { add } });
    }
    expect(() => store.update("s", { timeSeriesIds: { add: ["one-more"] } })).toThrow(
      /10001 time series; the limit is 10000/,
    );
  });

  it("refuses to give an explicit subscription a filter", async () => {
    await createSubscription({ externalId: "s", partitionCount: 1, timeSeriesIds: ["a"] });
    const err = await failure(
      client.post(path("/update"), {
        data: {
          items: [{ externalId: "s", update: { filter: { set: { exists: { property: ["externalId"] } } } } }],
        },
      }),
    );
    expect(err.status).toBe(400);
  });
});

describe("filter subscriptions", () => {
  it("listens to every series matching the filter, including ones created later", async () => {
    await createSeries("pump-1", "valve-1");
    await createSubscription({
      externalId: "f",
      partitionCount: 1,
      filter: { prefix: { property: ["externalId"], value: "pump-" } },
    });
    await createSeries("pump-2");
    await write("pump-1", [[T0, 1]]);
    await write("valve-1", [[T0, 2]]);
    await write("pump-2", [[T0, 3]]);
    expect(upsertsOf(await readData({ externalId: "f" }))).toEqual([
      ["pump-1", T0, 1],
      ["pump-2", T0, 3],
    ]);
  });

  it("rejects a filter on a property the emulator cannot evaluate, saying which are supported", async () => {
    const err = await failure(
      client.post(path(""), {
        data: {
          items: [
            { externalId: "f", partitionCount: 1, filter: { equals: { property: ["unit"], value: "m3/h" } } },
          ],
        },
      }),
    );
    expect(err.status).toBe(400);
    expect(err.message).toMatch(/\["unit"\] is not supported.*\["externalId"\]/);
  });
});

// The log semantics below are checked on the store directly, with a minimal context, so that
// fast-check can run many cases quickly.
function storeWithSeries(count: number): {
  store: SubscriptionStore;
  emit: (change: DatapointChange) => void;
  series: TimeSeriesInfo[];
} {
  const series = Array.from({ length: count }, (_, i) => ({
    id: 1000 + i,
    externalId: `ts-${i}`,
    isString: false,
    isStep: false,
  }));
  const ctx = {
    project: "p",
    clock: new VirtualClock(T0),
    findTimeSeries: (ref: { id?: number; externalId?: string }) =>
      series.find(
        (s) => s.id === ref.id || (ref.externalId !== undefined && s.externalId === ref.externalId),
      ),
  } as unknown as EmulatorContext;
  const store = new SubscriptionStore(ctx);
  return { store, emit: (c) => store.onDatapointChange(c), series };
}

describe("subscription log invariants", () => {
  it("reading all partitions by cursors yields every change exactly once, in order per series", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 5 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 1, max: 4 })), { maxLength: 40 }),
        fc.integer({ min: 1, max: 7 }),
        async (partitionCount, writes, limit) => {
          const { store, emit, series } = storeWithSeries(6);
          store.create({ externalId: "s", partitionCount, timeSeriesIds: series.map((s) => s.externalId!) });
          writes.forEach(([seriesIndex, n], w) => {
            emit({
              kind: "upsert",
              timeSeriesId: series[seriesIndex]!.id,
              points: Array.from({ length: n }, (_, i) => ({ timestamp: w * 10 + i, value: w })),
            });
          });
          const cursors = new Map<number, string | undefined>();
          const seen: Array<[number, number]> = [];
          for (let index = 0; index < partitionCount; index++) {
            for (;;) {
              const cursor = cursors.get(index);
              const data = await store.listData({
                externalId: "s",
                partitions: [cursor === undefined ? { index } : { index, cursor }],
                limit,
                pollTimeoutSeconds: 0,
                includeStatus: false,
                ignoreBadDataPoints: true,
                treatUncertainAsBad: true,
              });
              for (const u of data.updates) {
                const ts = u["timeSeries"] as { id: number };
                for (const p of u["upserts"] as Array<{ timestamp: number }>) seen.push([ts.id, p.timestamp]);
              }
              cursors.set(index, data.partitions[0]!.nextCursor);
              if (!data.hasNext) break;
            }
          }
          const expected = writes.flatMap(([seriesIndex, n], w) =>
            Array.from({ length: n }, (_, i): [number, number] => [series[seriesIndex]!.id, w * 10 + i]),
          );
          const bySeries = (list: Array<[number, number]>) =>
            series.map((s) => list.filter(([id]) => id === s.id).map(([, ts]) => ts));
          expect(seen).toHaveLength(expected.length);
          expect(bySeries(seen)).toEqual(bySeries(expected));
        },
      ),
      { numRuns: 100 },
    );
  });

  it("survives save and load: definitions, members and unread changes are kept", async () => {
    const { mkdtemp } = await import("node:fs/promises");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const dir = await mkdtemp(join(tmpdir(), "subs-"));
    const a = storeWithSeries(2);
    a.store.create({ externalId: "s", partitionCount: 2, timeSeriesIds: ["ts-0", "ts-1"] });
    a.emit({ kind: "upsert", timeSeriesId: 1000, points: [{ timestamp: 5, value: 1 }] });
    a.emit({ kind: "delete", timeSeriesId: 1001, inclusiveBegin: 0, exclusiveEnd: 10 });
    await a.store.save(dir);
    const b = storeWithSeries(2);
    await b.store.load(dir);
    const request = {
      externalId: "s",
      partitions: [{ index: 0 }, { index: 1 }],
      limit: 100,
      pollTimeoutSeconds: 0,
      includeStatus: false,
      ignoreBadDataPoints: true,
      treatUncertainAsBad: true,
    };
    expect(await b.store.listData(request)).toEqual(await a.store.listData(request));
    expect(b.store.members("s")).toEqual(a.store.members("s"));
  });
});
