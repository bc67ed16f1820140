// Subscription delivery under the disorder faults, held to what CDF promises (API docs, Data
// point subscriptions): each partition in ingestion order, no order between partitions, data
// "returned multiple times". A consumer that follows cursors and applies each series' changes in
// the order it receives them must still end with the series' final state.

import type { CogniteClient } from "@cognite/sdk";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { VirtualClock } from "../src/clock.js";
import type { DatapointChange, EmulatorContext } from "../src/context.js";
import type { Emulator } from "../src/index.js";
import type { DeliveryDisorder } from "../src/subscriptions/deliveryDisorder.js";
import { SubscriptionStore } from "../src/subscriptions/subscriptionStore.js";
import { emulatorSuite } from "./fixtures/emulatorSuite.js";

const T0 = Date.UTC(2024, 5, 1);
const SERIES = 6;

/** A write in a test: an upsert of `n` points or a delete of a range, on series `series`. */
type Write = { series: number; kind: "upsert"; n: number } | { series: number; kind: "delete"; span: number };

interface Delivered {
  seriesId: number;
  /** The write it came from (upserts carry it as their points' value, deletes as inclusiveBegin / 10). */
  write: number;
  upserts: Array<{ timestamp: number; value: number }>;
  deletes: Array<{ inclusiveBegin: number; exclusiveEnd?: number }>;
}

function storeWith(disorder: DeliveryDisorder | undefined) {
  const series = Array.from({ length: SERIES }, (_, i) => ({
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
    faults: { byFunction: new Map(), bySubscription: new Map(disorder ? [["s", disorder]] : []) },
  } as unknown as EmulatorContext;
  const store = new SubscriptionStore(ctx);
  return { store, series, emit: (c: DatapointChange) => store.onDatapointChange(c) };
}

/** Write w's points sit at w*10 + i with value w; a delete of write w starts at w*10 - span*10. */
function changeOf(write: Write, w: number, seriesId: number): DatapointChange {
  return write.kind === "upsert"
    ? {
        kind: "upsert",
        timeSeriesId: seriesId,
        points: Array.from({ length: write.n }, (_, i) => ({ timestamp: w * 10 + i, value: w })),
      }
    : {
        kind: "delete",
        timeSeriesId: seriesId,
        inclusiveBegin: w * 10 - write.span * 10,
        exclusiveEnd: w * 10 + 5,
      };
}

/** Read every partition in one request per page, following cursors until hasNext is false. */
async function consume(
  store: SubscriptionStore,
  partitionCount: number,
  limit: number,
): Promise<Delivered[]> {
  const cursors = new Map<number, string>();
  const delivered: Delivered[] = [];
  for (let page = 0; ; page++) {
    if (page > 10_000) throw new Error("the consumer never reached the end: a cursor does not move forward");
    const data = await store.listData({
      externalId: "s",
      partitions: Array.from({ length: partitionCount }, (_, index) => {
        const cursor = cursors.get(index);
        return cursor === undefined ? { index } : { index, cursor };
      }),
      limit,
      pollTimeoutSeconds: 0,
      includeStatus: false,
      ignoreBadDataPoints: true,
      treatUncertainAsBad: true,
    });
    for (const u of data.updates) {
      const upserts = u["upserts"] as Array<{ timestamp: number; value: number }>;
      const deletes = u["deletes"] as Array<{ inclusiveBegin: number; exclusiveEnd?: number }>;
      const write =
        upserts.length > 0 ? (upserts[0]?.value as number) : ((deletes[0]?.exclusiveEnd as number) - 5) / 10;
      delivered.push({ seriesId: (u["timeSeries"] as { id: number }).id, write, upserts, deletes });
    }
    for (const p of data.partitions) cursors.set(p.index, p.nextCursor);
    if (!data.hasNext) return delivered;
  }
}

/** A series' points after applying changes in the given order. */
function apply(changes: Array<Pick<Delivered, "upserts" | "deletes">>): Map<number, number> {
  const points = new Map<number, number>();
  for (const c of changes) {
    for (const p of c.upserts) points.set(p.timestamp, p.value);
    for (const d of c.deletes)
      for (const t of [...points.keys()])
        if (t >= d.inclusiveBegin && t < (d.exclusiveEnd ?? d.inclusiveBegin + 1)) points.delete(t);
  }
  return points;
}

const writes = fc.array(
  fc.oneof(
    fc.record({
      series: fc.integer({ min: 0, max: SERIES - 1 }),
      kind: fc.constant("upsert" as const),
      n: fc.integer({ min: 1, max: 4 }),
    }),
    fc.record({
      series: fc.integer({ min: 0, max: SERIES - 1 }),
      kind: fc.constant("delete" as const),
      span: fc.integer({ min: 0, max: 5 }),
    }),
  ),
  { maxLength: 40 },
);

describe("delivery under disorder (the store, many cases)", () => {
  it("every change arrives, each series in order but for rewinds, and applying them as delivered gives the final state", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 5 }),
        writes,
        fc.integer({ min: 1, max: 7 }),
        fc.constantFrom(0, 0.3, 0.7, 1),
        fc.boolean(),
        async (partitionCount, ws, limit, redeliverProbability, reorderPartitions) => {
          const { store, series, emit } = storeWith({ redeliverProbability, reorderPartitions });
          store.create({ externalId: "s", partitionCount, timeSeriesIds: series.map((s) => s.externalId) });
          const ingested = ws.map((w, i) => ({
            seriesId: series[w.series]!.id,
            write: i,
            change: changeOf(w, i, series[w.series]!.id),
          }));
          for (const { change } of ingested) emit(change);
          const delivered = await consume(store, partitionCount, limit);

          for (const s of series) {
            const own = ingested.filter((c) => c.seriesId === s.id).map((c) => c.write);
            const got = delivered.filter((d) => d.seriesId === s.id);
            // Every change at least once.
            expect(new Set(got.map((d) => d.write))).toEqual(new Set(own));
            // In ingestion order, except that the stream may go back and replay: the next change
            // is never beyond the one after the current.
            const rank = (write: number) => own.indexOf(write);
            if (got.length > 0) expect(rank(got[0]!.write)).toBe(0);
            for (let i = 1; i < got.length; i++)
              expect(rank(got[i]!.write)).toBeLessThanOrEqual(rank(got[i - 1]!.write) + 1);
            // A consumer applying changes as delivered ends where ingestion ended.
            const truth = apply(
              ingested
                .filter((c) => c.seriesId === s.id)
                .map(({ change }) =>
                  change.kind === "upsert"
                    ? { upserts: change.points as Array<{ timestamp: number; value: number }>, deletes: [] }
                    : {
                        upserts: [],
                        deletes: [
                          { inclusiveBegin: change.inclusiveBegin, exclusiveEnd: change.exclusiveEnd! },
                        ],
                      },
                ),
            );
            expect(apply(got)).toEqual(truth);
          }
          if (redeliverProbability === 0 && !reorderPartitions)
            expect(delivered.length).toBe(ingested.length);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("the faults do bite: some changes come twice, and one response has a later change before an earlier one of another partition", async () => {
    const { store, series, emit } = storeWith({ redeliverProbability: 0.5, reorderPartitions: true });
    store.create({ externalId: "s", partitionCount: 3, timeSeriesIds: series.map((s) => s.externalId) });
    for (let w = 0; w < 60; w++)
      emit(changeOf({ series: w % SERIES, kind: "upsert", n: 1 }, w, series[w % SERIES]!.id));
    const delivered = await consume(store, 3, 5);
    expect(delivered.length).toBeGreaterThan(60);
    const inversions = delivered.filter(
      (d, i) =>
        i > 0 && d.write < delivered[i - 1]!.write && d.seriesId % 3 !== delivered[i - 1]!.seriesId % 3,
    );
    expect(inversions.length).toBeGreaterThan(0);
  });

  it("the same reads give the same disorder (draws hash subscription, partition and position)", async () => {
    const run = async () => {
      const { store, series, emit } = storeWith({ redeliverProbability: 0.5, reorderPartitions: true });
      store.create({ externalId: "s", partitionCount: 4, timeSeriesIds: series.map((s) => s.externalId) });
      for (let w = 0; w < 40; w++)
        emit(changeOf({ series: (w * 7) % SERIES, kind: "upsert", n: 2 }, w, series[(w * 7) % SERIES]!.id));
      return (await consume(store, 4, 3)).map((d) => [d.seriesId, d.write]);
    };
    expect(await run()).toEqual(await run());
  });

  it("without the faults, one response is in global ingestion order and nothing comes twice", async () => {
    const { store, series, emit } = storeWith(undefined);
    store.create({ externalId: "s", partitionCount: 3, timeSeriesIds: series.map((s) => s.externalId) });
    for (let w = 0; w < 30; w++)
      emit(changeOf({ series: w % SERIES, kind: "upsert", n: 1 }, w, series[w % SERIES]!.id));
    expect((await consume(store, 3, 4)).map((d) => d.write)).toEqual([...Array(30).keys()]);
  });
});

describe("the control switch, over HTTP", () => {
  let emulator: Emulator;
  let client: CogniteClient;
  emulatorSuite({ project: "subs-disorder-test", clock: T0 }, (started) => {
    ({ emulator, client } = started);
  });

  const control = (method: string, body?: unknown) =>
    fetch(`${emulator.baseUrl}/_emulator/faults`, {
      method,
      headers: { "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  async function readAll(limit: number): Promise<number[]> {
    const path = `/api/v1/projects/${emulator.project}/timeseries/subscriptions/data/list`;
    let partitions: Array<{ index: number; cursor?: string }> = [{ index: 0 }, { index: 1 }];
    const values: number[] = [];
    for (;;) {
      const res = await client.post<{
        updates: Array<{ upserts: Array<{ value: number }> }>;
        partitions: Array<{ index: number; nextCursor: string }>;
        hasNext: boolean;
      }>(path, { data: { externalId: "sub", partitions, limit, pollTimeoutSeconds: 0 } });
      for (const u of res.data.updates) values.push(...u.upserts.map((p) => p.value));
      partitions = res.data.partitions.map((p) => ({ index: p.index, cursor: p.nextCursor }));
      if (!res.data.hasNext) return values;
    }
  }

  it("POST /_emulator/faults {subscription: '*'} makes data/list deliver again and out of order; DELETE /faults ends it", async () => {
    const created = await client.timeseries.create([{ externalId: "a" }, { externalId: "b" }]);
    await client.post(`/api/v1/projects/${emulator.project}/timeseries/subscriptions`, {
      data: { items: [{ externalId: "sub", partitionCount: 2, timeSeriesIds: ["a", "b"] }] },
    });
    expect(created[0]!.id % 2).not.toBe(created[1]!.id % 2);
    for (let i = 0; i < 20; i++)
      await client.datapoints.insert([
        { externalId: i % 2 === 0 ? "a" : "b", datapoints: [{ timestamp: 1000 + i, value: i }] },
      ]);

    const added = await control("POST", {
      subscription: "*",
      redeliverProbability: 1,
      reorderPartitions: true,
    });
    expect(added.status).toBe(200);
    expect(((await (await control("GET")).json()) as { subscriptions: unknown }).subscriptions).toEqual({
      "*": { redeliverProbability: 1, reorderPartitions: true },
    });
    const disordered = await readAll(4);
    expect(new Set(disordered)).toEqual(new Set([...Array(20).keys()]));
    expect(disordered.length).toBeGreaterThan(20);

    await control("DELETE");
    expect(await readAll(4)).toEqual([...Array(20).keys()]);
  });

  it("refuses a probability outside 0-1 and an unknown field, naming them", async () => {
    const bad = await control("POST", { subscription: "sub", redeliverProbability: 1.5 });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toContain(
      "redeliverProbability",
    );
    const unknown = await control("POST", { subscription: "sub", shuffle: true });
    expect(unknown.status).toBe(400);
    expect(() =>
      emulator.control.addSubscriptionFault({ subscription: "sub", redeliverProbability: -1 }),
    ).toThrow(/redeliverProbability/);
  });
});
