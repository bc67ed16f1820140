import type { TestEmulator } from "@kpi-pipeline/cdf-emulator/testing";
import type { KpiState } from "@kpi-pipeline/kpi-core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { CdfConnection } from "../src/cdfConnection.js";
import { RawDocumentError, RawDocumentStore } from "../src/rawDocumentStore.js";
import { RawStateStore } from "../src/rawStateStore.js";
import { cdfOnEmulator } from "./cdfOnEmulator.js";

let t: TestEmulator;
let cdf: CdfConnection;

cdfOnEmulator({ project: "state-test" }, (suite) => {
  ({ t, cdf } = suite);
});

const finite = fc
  .double({ noNaN: true, noDefaultInfinity: true, min: -1e15, max: 1e15 })
  .map((v) => (Object.is(v, -0) ? 0 : v));
const stateArb: fc.Arbitrary<KpiState> = fc.record(
  {
    configHash: fc.string(),
    liveSince: fc.integer(),
    pending: fc.array(fc.record({ from: fc.integer(), to: fc.integer() }), { maxLength: 5 }),
    lastRun: fc.record(
      {
        at: fc.integer(),
        due: fc.nat(),
        dirty: fc.nat(),
        noValue: fc.dictionary(fc.string(), fc.nat()),
        backlog: fc.nat(),
        pendingSpans: fc.nat(),
        pointsRead: fc.nat(),
        requests: fc.nat(),
        durationMs: finite,
        error: fc.string(),
      },
      {
        requiredKeys: [
          "at",
          "due",
          "dirty",
          "noValue",
          "backlog",
          "pendingSpans",
          "pointsRead",
          "requests",
          "durationMs",
        ],
      },
    ),
    sealed: fc.string(),
  },
  { requiredKeys: ["configHash"] },
);

function store(): RawStateStore {
  return new RawStateStore(new RawDocumentStore(cdf, { db: "kpi_state", table: "state" }));
}

describe("RawStateStore", () => {
  it("gives back every KPI state as it was saved, and none for a KPI never stored", async () => {
    await t.emulator.control.reset();
    const state = store();
    expect((await state.load(["never"], "s")).kpis.size).toBe(0);
    await fc.assert(
      fc.asyncProperty(fc.array(stateArb, { minLength: 1, maxLength: 8 }), async (states) => {
        const keys = states.map((_, i) => `kpi-${i}`);
        await state.save({ kpis: new Map(states.map((s, i) => [keys[i]!, s])) });
        const loaded = await state.load([...keys, "never"], "s");
        expect([...loaded.kpis]).toEqual(states.map((s, i) => [keys[i], s]));
      }),
      {
        numRuns: 30,
        // Found by this property: a reason named "__proto__" was lost by z.record.
        examples: [
          [
            [
              {
                configHash: "h",
                lastRun: {
                  at: 0,
                  due: 1,
                  dirty: 0,
                  noValue: JSON.parse('{"__proto__": 1}') as Record<string, number>,
                  backlog: 0,
                  pendingSpans: 0,
                  pointsRead: 0,
                  requests: 0,
                  durationMs: 0,
                },
              },
            ],
          ],
        ],
      },
    );
  });

  it("loads all state in one request and saves a checkpoint of many KPIs in one, not per KPI", async () => {
    await t.emulator.control.reset();
    const state = store();
    const keys = Array.from({ length: 250 }, (_, i) => `kpi:${i}`);
    const progress = {
      configHash: "new",
      replaces: "old",
      done: [],
      mark: "run-1",
      afterSeal: "run-0",
      generation: "1732000000000",
    };
    let before = cdf.requestCount;
    await state.save({
      kpis: new Map(keys.map((key) => [key, { configHash: key, pending: [{ from: 0, to: 1 }] }])),
      recomputes: new Map([[keys[0]!, progress]]),
    });
    expect(cdf.requestCount - before).toBe(1);
    before = cdf.requestCount;
    const loaded = await state.load(keys, "s");
    expect(cdf.requestCount - before).toBe(1);
    expect(loaded.kpis.size).toBe(250);
    expect(loaded.recomputes.get(keys[0]!)).toEqual(progress);
  });

  it("pages through a table of more rows than one list returns, and splits inserts at Raw's 10,000 rows", async () => {
    await t.emulator.control.reset();
    const state = store();
    const keys = Array.from({ length: 10_001 }, (_, i) => `k${i}`);
    let before = cdf.requestCount;
    await state.save({ kpis: new Map(keys.map((key) => [key, { configHash: "h" }])) });
    expect(cdf.requestCount - before).toBe(2);
    before = cdf.requestCount;
    const loaded = await state.load(keys.slice(-2), "s");
    expect(cdf.requestCount - before).toBe(2);
    expect([...loaded.kpis.keys()].sort()).toEqual(keys.slice(-2).sort());
  }, 60_000);

  it("loads nothing from a table that does not exist yet", async () => {
    await t.emulator.control.reset();
    const loaded = await store().load(["a"], "s");
    expect([loaded.kpis.size, loaded.recomputes.size, loaded.cursors.size]).toEqual([0, 0, 0]);
  });

  it("keeps one cursor per subscription and partition, and loads only the subscription's own", async () => {
    await t.emulator.control.reset();
    const state = store();
    const save = (subscription: string, cursors: Array<[number, string]>) =>
      state.save({
        cursors: { subscription, cursors: cursors.map(([partition, cursor]) => ({ partition, cursor })) },
      });
    await save("s-0", [
      [0, "a"],
      [1, "b"],
    ]);
    await save("s-1", [[0, "c"]]);
    await save("s-0:1", [[0, "not s-0's"]]);
    await save("s-0", [[0, "a2"]]);
    expect([...(await state.load([], "s-0")).cursors].sort()).toEqual([
      [0, "a2"],
      [1, "b"],
    ]);
    expect([...(await state.load([], "s-1")).cursors]).toEqual([[0, "c"]]);
  });

  it("names the row and the field when a stored state is not one", async () => {
    await t.emulator.control.reset();
    const documents = new RawDocumentStore(cdf, { db: "kpi_state", table: "state" });
    await documents.put("kpi:flow", { configHash: 42 });
    await expect(new RawStateStore(documents).load(["flow"], "s")).rejects.toThrow(RawDocumentError);
    await expect(new RawStateStore(documents).load(["flow"], "s")).rejects.toThrow(
      /^Raw row kpi_state\/state\/kpi:flow does not hold the expected document at configHash: .* It is the KPI's state .* delete it only with a backfill of the KPI's whole history\.$/,
    );
    // The other rows say what deleting them costs, and none says to just delete it.
    for (const [key, advice] of [
      ["pending:run-1", /It is a run's pending work .* delete it only with a backfill of the KPIs it names/],
      ["cursor:s:0", /It is a subscription cursor: restore it\. .* delete it only with a backfill/],
      ["recompute:flow", /It is a backfill's progress: deleting it is safe/],
    ] as const) {
      await documents.put("kpi:flow", { configHash: "h" });
      await documents.put(key, { kpis: 1, cursor: 2, configHash: 3 });
      const error = await new RawStateStore(documents).load(["flow"], "s").then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(error).toBeInstanceOf(RawDocumentError);
      expect(error?.message).toMatch(advice);
      await documents.delete(key);
    }
    await documents.put("kpi:flow", { configHash: 42 });
    // A row of a KPI not asked for is not read, so it cannot stop a run of the others.
    expect((await new RawStateStore(documents).load(["other"], "s")).kpis.size).toBe(0);
  });
});

describe("RawStateStore pending records", () => {
  it("keeps each run's record apart, loads them all, and removes only those named", async () => {
    await t.emulator.control.reset();
    const store = new RawStateStore(new RawDocumentStore(cdf, { db: "kpi_state", table: "pending" }));
    const a = new Map([
      ["__proto__", [{ from: 1, to: 2 }]],
      ["kpi:a", [{ from: 10, to: 20 }]],
    ]);
    const b = new Map([["kpi:a", [{ from: 30, to: 40 }]]]);
    await store.save({ pending: { put: { id: "run-a", kpis: a } } });
    await store.save({ pending: { put: { id: "run-b", kpis: b } } });
    const loaded = await store.load(["kpi:a"], "s");
    expect(new Map(loaded.pending.map((r) => [r.id, r.kpis]))).toEqual(
      new Map([
        ["run-a", a],
        ["run-b", b],
      ]),
    );
    const before = cdf.requestCount;
    await store.save({ pending: { remove: ["run-a", "run-never-saved"] } });
    expect(cdf.requestCount - before).toBe(1);
    expect((await store.load([], "s")).pending).toEqual([{ id: "run-b", kpis: b }]);
  });

  it("keeps a running run's record open and closes it when put again without openSince", async () => {
    await t.emulator.control.reset();
    const store = new RawStateStore(new RawDocumentStore(cdf, { db: "kpi_state", table: "pending" }));
    const at = Date.UTC(2024, 0, 1, 12);
    await store.save({ pending: { put: { id: "run-a", kpis: new Map(), openSince: at } } });
    expect((await store.load([], "s")).pending).toEqual([{ id: "run-a", kpis: new Map(), openSince: at }]);
    const spans = new Map([["kpi:a", [{ from: 0, to: 10 }]]]);
    await store.save({ pending: { put: { id: "run-a", kpis: spans } } });
    expect((await store.load([], "s")).pending).toEqual([{ id: "run-a", kpis: spans }]);
  });

  it("keeps a record's plan, a KPI named __proto__ too, and loads a row without one (an older version's) as not known", async () => {
    await t.emulator.control.reset();
    const documents = new RawDocumentStore(cdf, { db: "kpi_state", table: "pending" });
    const store = new RawStateStore(documents);
    const at = Date.UTC(2024, 0, 1, 12);
    const planned = new Map([
      ["__proto__", [{ from: 0, to: 600_000 }]],
      [
        "kpi:a",
        [
          { from: 10, to: 20 },
          { from: 30, to: 40 },
        ],
      ],
    ]);
    // Open with its plan, then closed with spans left and the plan kept.
    await store.save({ pending: { put: { id: "run-a", kpis: new Map(), openSince: at, planned } } });
    expect((await store.load([], "s")).pending).toEqual([
      { id: "run-a", kpis: new Map(), openSince: at, planned },
    ]);
    const spans = new Map([["kpi:a", [{ from: 10, to: 20 }]]]);
    await store.save({ pending: { put: { id: "run-a", kpis: spans, planned, by: "kpi-fn@2" } } });
    // An empty plan (a run that writes nothing) is a plan, not an unknown one.
    await store.save({
      pending: { put: { id: "run-b", kpis: new Map(), openSince: at, planned: new Map() } },
    });
    // A row as the version before plans put it.
    await documents.put("pending:run-old", { kpis: [], openSince: at });
    const loaded = new Map((await store.load([], "s")).pending.map((r) => [r.id, r]));
    expect(loaded.get("run-a")).toEqual({ id: "run-a", kpis: spans, planned, by: "kpi-fn@2" });
    expect(loaded.get("run-a")!.planned!.get("__proto__")).toEqual([{ from: 0, to: 600_000 }]);
    expect(loaded.get("run-b")).toEqual({ id: "run-b", kpis: new Map(), openSince: at, planned: new Map() });
    expect(loaded.get("run-old")).toEqual({ id: "run-old", kpis: new Map(), openSince: at });
    expect("planned" in loaded.get("run-old")!).toBe(false);
    expect("by" in loaded.get("run-old")!).toBe(false);
  });

  it("leaves out a plan too large for one row: the record is saved with its spans and loads as a plan not known", async () => {
    await t.emulator.control.reset();
    const store = new RawStateStore(new RawDocumentStore(cdf, { db: "kpi_state", table: "pending" }));
    const at = Date.UTC(2024, 0, 1, 12);
    // 4,000 KPIs with long keys, 32 spans each: about 7 MB of plan, over Raw's 5 MiB row limit.
    const span = (k: number) => ({ from: at + k * 1_200_000, to: at + k * 1_200_000 + 600_000 });
    const planned = new Map(
      Array.from({ length: 4000 }, (_, i) => [
        `plant-${i}:${"x".repeat(100)}`,
        Array.from({ length: 32 }, (_, k) => span(k)),
      ]),
    );
    const kpis = new Map([["kpi:a", [span(0)]]]);
    await store.save({ pending: { put: { id: "run-a", kpis, openSince: at, planned } } });
    expect((await store.load([], "s")).pending).toEqual([{ id: "run-a", kpis, openSince: at }]);
    // A plan that fits is kept.
    const small = new Map([...planned].slice(0, 2000));
    await store.save({ pending: { put: { id: "run-a", kpis, openSince: at, planned: small } } });
    expect((await store.load([], "s")).pending).toEqual([
      { id: "run-a", kpis, openSince: at, planned: small },
    ]);
  });

  it("names the row and the field when a record's plan is not one", async () => {
    await t.emulator.control.reset();
    const documents = new RawDocumentStore(cdf, { db: "kpi_state", table: "pending" });
    await documents.put("pending:run-a", { kpis: [], planned: [{ key: "kpi:a", spans: [{ from: "0" }] }] });
    await expect(new RawStateStore(documents).load([], "s")).rejects.toThrow(
      /^Raw row kpi_state\/pending\/pending:run-a does not hold the expected document at planned/,
    );
  });
});
