import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { PointColumns } from "../src/model.js";
import { parseKpiConfig } from "../src/parseKpiConfig.js";
import type { PointsAnswer, PointsRequest } from "../src/ports.js";
import { runKpis } from "../src/runKpis.js";
import { RunReadCache } from "../src/runReadCache.js";
import { InMemoryDatapointStore, inMemoryRunPorts } from "../src/testing/index.js";

const M = 60_000;
const T0 = Date.UTC(2024, 0, 1);

const plain = (a: PointsAnswer) => ({
  isStep: a.isStep,
  points: Array.from({ length: a.points.length }, (_, i) => [
    a.points.timestamps[i],
    a.points.values[i],
    a.points.statuses[i],
  ]),
});

function storeWith(minutes: readonly number[]): InMemoryDatapointStore {
  const store = new InMemoryDatapointStore();
  store.insert(
    { externalId: "a" },
    minutes.map((m) => ({ timestamp: T0 + m * M, value: m % 7, status: m % 5 === 0 ? 2147483648 : 0 })),
  );
  store.insert(
    { externalId: "b" },
    minutes.map((m) => ({ timestamp: T0 + m * M + 1, value: -m })),
    { isStep: true },
  );
  return store;
}

describe("RunReadCache", () => {
  it("answers any sequence of reads exactly as the source does, whatever it keeps or drops", async () => {
    const request = fc
      .record({
        series: fc.constantFrom("a", "b"),
        start: fc.integer({ min: -20, max: 220 }),
        length: fc.integer({ min: 0, max: 120 }),
        limit: fc.option(fc.integer({ min: 1, max: 40 }), { nil: undefined }),
        open: fc.boolean(),
      })
      .map(
        ({ series, start, length, limit, open }): PointsRequest => ({
          series: { externalId: series },
          start: T0 + start * M,
          end: open ? Number.MAX_SAFE_INTEGER : T0 + (start + length) * M,
          ...(limit === undefined ? {} : { limit }),
        }),
      );
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.integer({ min: 0, max: 200 }), { maxLength: 150 }),
        fc.array(fc.array(request, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 0, max: 300 }),
        fc.array(fc.boolean(), { maxLength: 12 }),
        async (minutes, rounds, maxPoints, forgets) => {
          const store = storeWith(minutes);
          const cache = new RunReadCache(store, maxPoints);
          for (const [k, round] of rounds.entries()) {
            const got = await cache.read(round);
            const want = await store.read(round);
            expect(got.map(plain)).toEqual(want.map(plain));
            if (forgets[k] === true) cache.forget([{ externalId: "a" }]);
          }
        },
      ),
      { numRuns: 400 },
    );
  });

  it("reads a range once: a second read inside it, with or without a limit, asks the source nothing", async () => {
    const store = storeWith(Array.from({ length: 100 }, (_, i) => i));
    const cache = new RunReadCache(store);
    const a = { externalId: "a" };
    await cache.read([
      { series: a, start: T0, end: T0 + 50 * M },
      { series: a, start: T0 + 50 * M, end: Number.MAX_SAFE_INTEGER, limit: 256 },
    ]);
    expect(cache.forwarded.calls).toBe(1);
    const again = await cache.read([
      { series: a, start: T0 + 10 * M, end: T0 + 20 * M },
      { series: a, start: T0 + 90 * M, end: Number.MAX_SAFE_INTEGER, limit: 30 },
    ]);
    expect(cache.forwarded.calls).toBe(1);
    expect(again.map((x) => x.points.length)).toEqual([10, 10]);
    // Past what is known, or after forget, the source is asked.
    await cache.read([{ series: a, start: T0 - 5 * M, end: T0 + 5 * M }]);
    expect(cache.forwarded.calls).toBe(2);
    cache.forget([a]);
    await cache.read([{ series: a, start: T0 + 10 * M, end: T0 + 20 * M }]);
    expect(cache.forwarded.calls).toBe(3);
    cache.forgetAll();
    await cache.read([{ series: a, start: T0 + 10 * M, end: T0 + 20 * M }]);
    expect(cache.forwarded.calls).toBe(4);
  });

  it("gives callers their own columns: changing an answer changes no later one", async () => {
    const store = storeWith([1, 2, 3]);
    const cache = new RunReadCache(store);
    const req = { series: { externalId: "a" }, start: T0, end: T0 + 10 * M };
    const first = (await cache.read([req]))[0]!.points as PointColumns;
    first.values[0] = 999;
    expect((await cache.read([req]))[0]!.points.values[0]).toBe(1);
  });

  it("offers aggregates only when its source does", () => {
    const store = storeWith([]);
    expect(new RunReadCache(store).aggregates).toBeUndefined();
    const withAggregates = Object.assign(Object.create(store), { aggregates: async () => [] });
    expect(new RunReadCache(withAggregates).aggregates).toBeTypeOf("function");
  });
});

describe("a scheduled run on minute data, after ten on-time minutes", () => {
  // The function's clock (the server's Date plus elapsed time) is not whole milliseconds.
  it.each([0, 21.7322])(
    "recomputes no window besides the due one and reads its input once (clock at +%s ms)",
    async (offsetMs) => {
      const kpis = parseKpiConfig({
        defaults: { start: "2024-01-01T00:00:00Z", settle: "1m" },
        kpis: [
          {
            externalId: "kpi:twa",
            window: { every: "10m" },
            inputs: { x: { externalId: "x" } },
            value: "twa(x)",
          },
          {
            externalId: "kpi:count",
            window: { every: "10m" },
            inputs: { x: { externalId: "x" } },
            value: "count(x)",
          },
        ],
      });
      const store = new InMemoryDatapointStore();
      const feed = (from: number, to: number) =>
        store.insert(
          { externalId: "x" },
          Array.from({ length: to - from }, (_, i) => ({
            timestamp: T0 + (from + i) * M,
            value: Math.sin(from + i),
          })),
        );
      feed(0, 120);
      const ports = inMemoryRunPorts(store, { self: "fn@1", now: T0 + 120 * M });
      const clock = ports.clock;
      const opts = { self: "fn@1", subscription: "s", budgetMs: 60_000 };
      await runKpis(kpis, ports, opts);
      for (let tick = 130; tick <= 150; tick += 10) {
        feed(tick - 10, tick);
        clock.set(T0 + tick * M + offsetMs);
        const reads = store.reads;
        const report = await runKpis(kpis, ports, opts);
        expect(report.kpis.map((k) => k.summary.error)).toEqual([undefined, undefined]);
        expect(report.kpis.map((k) => [k.summary.due, k.summary.dirty])).toEqual([
          [1, 0],
          [1, 0],
        ]);
        expect(store.reads - reads).toBe(1);
      }
    },
  );
});
