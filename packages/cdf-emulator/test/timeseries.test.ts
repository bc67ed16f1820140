import type { CogniteClient } from "@cognite/sdk";
import { describe, expect, it } from "vitest";
import type { Emulator } from "../src/index.js";
import { emulatorSuite } from "./fixtures/emulatorSuite.js";
import { failure } from "./fixtures/failure.js";
import { timeSeriesDeviations } from "./fixtures/knownDeviations.js";

let emulator: Emulator;
let client: CogniteClient;

emulatorSuite(
  { project: "ts-test", clock: "2024-03-01T00:00:00Z", contract: { knownDeviations: timeSeriesDeviations } },
  (started) => {
    ({ emulator, client } = started);
  },
);

describe("create", () => {
  it("returns the created series with CDF's defaults, type and the virtual clock's timestamps", async () => {
    const [ts] = await client.timeseries.create([{ externalId: "pump:flow", name: "Flow", unit: "m3/h" }]);
    expect(ts).toMatchObject({
      externalId: "pump:flow",
      name: "Flow",
      unit: "m3/h",
      isString: false,
      isStep: false,
      type: "numeric",
      metadata: {},
    });
    expect(ts?.createdTime.getTime()).toBe(emulator.control.now());
    expect(ts?.lastUpdatedTime.getTime()).toBe(emulator.control.now());
    expect(typeof ts?.id).toBe("number");
  });

  it("a string series has type 'string'", async () => {
    const [ts] = await client.timeseries.create([{ externalId: "state", isString: true }]);
    // `type` is in CDF's response (GetTimeSeriesMetadataDTO) but not in the SDK's Timeseries type.
    expect((ts as unknown as { type: string }).type).toBe("string");
  });

  it("rejects an existing externalId with 409 and lists it in duplicated", async () => {
    await client.timeseries.create([{ externalId: "a" }]);
    const error = await failure(client.timeseries.create([{ externalId: "a" }, { externalId: "b" }]));
    expect(error.status).toBe(409);
    expect(error.duplicated).toEqual([{ externalId: "a" }]);
  });

  it("creates nothing when one item of the request is a duplicate", async () => {
    await client.timeseries.create([{ externalId: "a" }]);
    await failure(client.timeseries.create([{ externalId: "b" }, { externalId: "a" }]));
    const listed = await client.timeseries.list().autoPagingToArray();
    expect(listed.map((t) => t.externalId)).toEqual(["a"]);
  });

  it("rejects the same externalId twice in one request with 422", async () => {
    const error = await failure(
      client.post(`/api/v1/projects/${emulator.project}/timeseries`, {
        data: { items: [{ externalId: "x" }, { externalId: "x" }] },
      }),
    );
    expect(error.status).toBe(422);
    expect(error.duplicated).toEqual([{ externalId: "x" }]);
  });

  it("accepts 1000 items and rejects 1001 with 400", async () => {
    const path = `/api/v1/projects/${emulator.project}/timeseries`;
    const items = (n: number) => Array.from({ length: n }, (_, i) => ({ externalId: `s${i}` }));
    const ok = await client.post<{ items: unknown[] }>(path, { data: { items: items(1000) } });
    expect(ok.data.items).toHaveLength(1000);
    const error = await failure(client.post(path, { data: { items: items(1001) } }));
    expect(error.status).toBe(400);
  });

  it("rejects an externalId longer than 255 characters", async () => {
    const error = await failure(client.timeseries.create([{ externalId: "x".repeat(256) }]));
    expect(error.status).toBe(400);
  });

  it("rejects metadata with more than 256 keys", async () => {
    const metadata = Object.fromEntries(Array.from({ length: 257 }, (_, i) => [`k${i}`, "v"]));
    const error = await failure(client.timeseries.create([{ externalId: "m", metadata }]));
    expect(error.status).toBe(400);
  });

  it("rejects instanceId on /timeseries and points to the control API", async () => {
    const error = await failure(
      client.post(`/api/v1/projects/${emulator.project}/timeseries`, {
        data: { items: [{ instanceId: { space: "s", externalId: "x" } }] },
      }),
    );
    expect(error.status).toBe(400);
    expect(error.message).toContain("/_emulator/timeseries");
  });
});

describe("list", () => {
  it("pages through every series exactly once with cursors", async () => {
    await client.timeseries.create(
      Array.from({ length: 25 }, (_, i) => ({ externalId: `p${String(i).padStart(2, "0")}` })),
    );
    const seen: string[] = [];
    let page = await client.timeseries.list({ limit: 10 });
    seen.push(...page.items.map((t) => t.externalId as string));
    while (page.next) {
      page = await page.next();
      seen.push(...page.items.map((t) => t.externalId as string));
    }
    expect(seen).toHaveLength(25);
    expect(new Set(seen).size).toBe(25);
  });

  it("the last page has no nextCursor", async () => {
    await client.timeseries.create([{ externalId: "only" }]);
    const page = await client.timeseries.list({ limit: 1 });
    expect(page.nextCursor).toBeUndefined();
  });

  it("filters by externalIdPrefix on POST /timeseries/list", async () => {
    await client.timeseries.create([
      { externalId: "kpi:a" },
      { externalId: "kpi:b" },
      { externalId: "raw:c" },
    ]);
    const items = await client.timeseries.list({ filter: { externalIdPrefix: "kpi:" } }).autoPagingToArray();
    expect(items.map((t) => t.externalId).sort()).toEqual(["kpi:a", "kpi:b"]);
  });

  it("filters by externalIdPrefix on GET /timeseries", async () => {
    await client.timeseries.create([{ externalId: "kpi:a" }, { externalId: "raw:c" }]);
    const response = await client.get<{ items: Array<{ externalId: string }> }>(
      `/api/v1/projects/${emulator.project}/timeseries`,
      { params: { externalIdPrefix: "raw:", limit: 5 } },
    );
    expect(response.data.items.map((t) => t.externalId)).toEqual(["raw:c"]);
  });

  it("filters by isString and metadata", async () => {
    await client.timeseries.create([
      { externalId: "n1", metadata: { site: "oslo" } },
      { externalId: "n2", metadata: { site: "bergen" } },
      { externalId: "s1", isString: true, metadata: { site: "oslo" } },
    ]);
    const items = await client.timeseries
      .list({ filter: { isString: false, metadata: { site: "oslo" } } })
      .autoPagingToArray();
    expect(items.map((t) => t.externalId)).toEqual(["n1"]);
  });

  it("rejects limit above 1000", async () => {
    const error = await failure(client.timeseries.list({ limit: 1001 }));
    expect(error.status).toBe(400);
  });

  it("partitions split a listing into disjoint parts that cover it", async () => {
    await client.timeseries.create(Array.from({ length: 9 }, (_, i) => ({ externalId: `q${i}` })));
    const parts = await Promise.all(
      ["1/3", "2/3", "3/3"].map((partition) =>
        client.timeseries.list({ partition, limit: 1000 }).autoPagingToArray(),
      ),
    );
    const ids = parts.flat().map((t) => t.id);
    expect(ids).toHaveLength(9);
    expect(new Set(ids).size).toBe(9);
  });
});

describe("byids", () => {
  it("returns series by id and externalId in request order", async () => {
    const [a, b] = await client.timeseries.create([{ externalId: "a" }, { externalId: "b" }]);
    const items = await client.timeseries.retrieve([{ externalId: "b" }, { id: a?.id as number }]);
    expect(items.map((t) => t.id)).toEqual([b?.id, a?.id]);
  });

  it("answers 400 with every unknown reference in missing", async () => {
    await client.timeseries.create([{ externalId: "a" }]);
    const error = await failure(
      client.timeseries.retrieve([{ externalId: "a" }, { externalId: "nope" }, { id: 42 }]),
    );
    expect(error.status).toBe(400);
    expect(error.missing).toEqual([{ externalId: "nope" }, { id: 42 }]);
  });

  it("skips unknown references with ignoreUnknownIds", async () => {
    await client.timeseries.create([{ externalId: "a" }]);
    const items = await client.timeseries.retrieve([{ externalId: "a" }, { externalId: "nope" }], {
      ignoreUnknownIds: true,
    });
    expect(items.map((t) => t.externalId)).toEqual(["a"]);
  });

  it("finds a data-model series by instanceId", async () => {
    const [created] = emulator.control.createTimeSeries([
      { instanceId: { space: "plant", externalId: "flow" }, isStep: true },
    ]);
    const items = await client.timeseries.retrieve([{ instanceId: { space: "plant", externalId: "flow" } }]);
    expect(items[0]?.id).toBe(created?.id);
    expect(items[0]?.instanceId).toEqual({ space: "plant", externalId: "flow" });
  });
});

describe("update", () => {
  it("sets and clears fields and moves lastUpdatedTime to the virtual now", async () => {
    const [ts] = await client.timeseries.create([{ externalId: "u", name: "old", unit: "bar" }]);
    await emulator.control.advanceClock("1h");
    // isStep is updatable in CDF (TimeSeriesPatch) though the SDK's update type omits it.
    const response = await client.post<{
      items: Array<{
        name?: string;
        unit?: string;
        isStep: boolean;
        lastUpdatedTime: number;
        createdTime: number;
      }>;
    }>(`/api/v1/projects/${emulator.project}/timeseries/update`, {
      data: {
        items: [
          { id: ts?.id, update: { name: { set: "new" }, unit: { setNull: true }, isStep: { set: true } } },
        ],
      },
    });
    const updated = response.data.items[0];
    expect(updated?.name).toBe("new");
    expect(updated?.unit).toBeUndefined();
    expect(updated?.isStep).toBe(true);
    expect(updated?.lastUpdatedTime).toBe(emulator.control.now());
    expect(updated?.lastUpdatedTime).toBe((ts?.createdTime.getTime() as number) + 3_600_000);
    expect(updated?.createdTime).toBe(ts?.createdTime.getTime());
  });

  it("adds and removes metadata keys", async () => {
    await client.timeseries.create([{ externalId: "m", metadata: { a: "1", b: "2" } }]);
    const [updated] = await client.timeseries.update([
      { externalId: "m", update: { metadata: { add: { c: "3" }, remove: ["a"] } } },
    ]);
    expect(updated?.metadata).toEqual({ b: "2", c: "3" });
  });

  it("an add that takes metadata past its limits answers 400 and changes no series of the request", async () => {
    const full = Object.fromEntries(Array.from({ length: 256 }, (_, i) => [`k${i}`, "v"]));
    await client.timeseries.create([{ externalId: "ok" }, { externalId: "full", metadata: full }]);
    const error = await failure(
      client.timeseries.update([
        { externalId: "ok", update: { name: { set: "renamed" } } },
        { externalId: "full", update: { metadata: { add: { one: "more" }, remove: [] } } },
      ]),
    );
    expect(error.status).toBe(400);
    expect(error.message).toContain("items[1].update.metadata");
    expect(error.message).toContain("257 keys");
    const [ok, stillFull] = await client.timeseries.retrieve([{ externalId: "ok" }, { externalId: "full" }]);
    expect(ok?.name).toBeUndefined();
    expect(Object.keys(stillFull?.metadata ?? {})).toHaveLength(256);
  });

  it("a filter CDF has but the emulator does not answers 400 naming the supported ones", async () => {
    const error = await failure(
      client.post(`/api/v1/projects/${emulator.project}/timeseries/list`, {
        data: { filter: { assetSubtreeIds: [{ id: 1 }] } },
      }),
    );
    expect(error.status).toBe(400);
    expect(error.message).toMatch(
      /filter\.assetSubtreeIds: this filter is not supported by the emulator \(supported: name, /,
    );
  });

  it("refuses to change isString", async () => {
    await client.timeseries.create([{ externalId: "s" }]);
    const error = await failure(
      client.post(`/api/v1/projects/${emulator.project}/timeseries/update`, {
        data: { items: [{ externalId: "s", update: { isString: { set: true } } }] },
      }),
    );
    expect(error.status).toBe(400);
    expect(error.message).toContain("isString");
  });

  it("renaming to an externalId another series has answers 409", async () => {
    await client.timeseries.create([{ externalId: "a" }, { externalId: "b" }]);
    const error = await failure(
      client.timeseries.update([{ externalId: "a", update: { externalId: { set: "b" } } }]),
    );
    expect(error.status).toBe(409);
    expect(error.duplicated).toEqual([{ externalId: "b" }]);
  });

  it("a renamed series is found by its new externalId only", async () => {
    await client.timeseries.create([{ externalId: "before" }]);
    await client.timeseries.update([{ externalId: "before", update: { externalId: { set: "after" } } }]);
    const found = await client.timeseries.retrieve([{ externalId: "before" }, { externalId: "after" }], {
      ignoreUnknownIds: true,
    });
    expect(found.map((t) => t.externalId)).toEqual(["after"]);
  });

  it("updating an unknown series answers 400 with missing", async () => {
    const error = await failure(
      client.timeseries.update([{ externalId: "ghost", update: { name: { set: "x" } } }]),
    );
    expect(error.status).toBe(400);
    expect(error.missing).toEqual([{ externalId: "ghost" }]);
  });
});

describe("delete", () => {
  it("removes the series", async () => {
    await client.timeseries.create([{ externalId: "d" }]);
    await client.timeseries.delete([{ externalId: "d" }]);
    const items = await client.timeseries.list().autoPagingToArray();
    expect(items).toEqual([]);
  });

  it("answers 400 with missing for unknown ids and deletes nothing", async () => {
    await client.timeseries.create([{ externalId: "keep" }]);
    const error = await failure(client.timeseries.delete([{ externalId: "keep" }, { externalId: "ghost" }]));
    expect(error.status).toBe(400);
    expect(error.missing).toEqual([{ externalId: "ghost" }]);
    expect(await client.timeseries.list().autoPagingToArray()).toHaveLength(1);
  });

  it("ignores unknown ids with ignoreUnknownIds", async () => {
    await client.timeseries.create([{ externalId: "d" }]);
    await client.post(`/api/v1/projects/${emulator.project}/timeseries/delete`, {
      data: { items: [{ externalId: "d" }, { externalId: "ghost" }], ignoreUnknownIds: true },
    });
    expect(await client.timeseries.list().autoPagingToArray()).toEqual([]);
  });

  it("takes the series' datapoints with it", async () => {
    await client.timeseries.create([{ externalId: "with-data" }]);
    await client.datapoints.insert([
      { externalId: "with-data", datapoints: [{ timestamp: 1000, value: 1 }] },
    ]);
    await client.timeseries.delete([{ externalId: "with-data" }]);
    await client.timeseries.create([{ externalId: "with-data" }]);
    const [result] = await client.datapoints.retrieve({
      items: [{ externalId: "with-data" }],
      start: 0,
      end: 10_000,
    });
    expect(result?.datapoints).toEqual([]);
  });

  it("frees the externalId for a new series", async () => {
    const [first] = await client.timeseries.create([{ externalId: "again" }]);
    await client.timeseries.delete([{ externalId: "again" }]);
    const [second] = await client.timeseries.create([{ externalId: "again" }]);
    expect(second?.id).not.toBe(first?.id);
  });
});

describe("aggregate", () => {
  it("counts the series a filter matches", async () => {
    await client.timeseries.create([{ externalId: "kpi:1" }, { externalId: "kpi:2" }, { externalId: "x" }]);
    const [result] = await client.timeseries.aggregate({ filter: { externalIdPrefix: "kpi:" } });
    expect(result?.count).toBe(2);
  });
});
