// Data modeling in the emulator: spaces and CogniteTimeSeries nodes through the real SDK
// (client.spaces, client.instances), each node backed by a time series addressed by instanceId.

import type { CogniteClient } from "@cognite/sdk";
import { describe, expect, it } from "vitest";
import type { Emulator } from "../src/index.js";
import { emulatorSuite } from "./fixtures/emulatorSuite.js";
import { failure } from "./fixtures/failure.js";

let emulator: Emulator;
let client: CogniteClient;

emulatorSuite({ project: "dm-test", clock: "2024-06-01T00:00:00Z" }, (started) => {
  ({ emulator, client } = started);
});

const VIEW = { type: "view", space: "cdf_cdm", externalId: "CogniteTimeSeries", version: "v1" } as const;
type Props = Record<string, unknown>;

const node = (space: string, externalId: string, properties: Props) => ({
  instanceType: "node" as const,
  space,
  externalId,
  sources: [{ source: VIEW, properties }],
});

async function upsert(items: ReturnType<typeof node>[], extra: Record<string, unknown> = {}) {
  const res = await client.post<{ items: Array<Record<string, unknown>> }>(
    `/api/v1/projects/${emulator.project}/models/instances`,
    { data: { items, ...extra } },
  );
  return res.data.items;
}

async function retrieve(refs: Array<{ space: string; externalId: string }>, withSources = true) {
  const res = await client.instances.retrieve({
    items: refs.map((r) => ({ instanceType: "node", ...r })),
    ...(withSources ? { sources: [{ source: VIEW }] } : {}),
  });
  return res.items as unknown as Array<Record<string, unknown>>;
}

describe("spaces", () => {
  it("creates, lists, retrieves and deletes a space; Cognite's spaces are global and read-only", async () => {
    const [created] = (await client.spaces.upsert([{ space: "plant", name: "Plant" }])).items;
    expect(created).toMatchObject({ space: "plant", name: "Plant", isGlobal: false });
    const own = await client.spaces.list().autoPagingToArray();
    expect(own.map((s) => s.space)).toEqual(["plant"]);
    const all = await client.spaces.list({ includeGlobal: true }).autoPagingToArray();
    expect(all.map((s) => s.space)).toContain("cdf_cdm");
    const byIds = await client.spaces.retrieve(["plant", "nowhere"]);
    expect(byIds.items.map((s) => s.space)).toEqual(["plant"]);
    expect((await failure(client.spaces.upsert([{ space: "cdf_cdm" }]))).status).toBe(400);
    await client.spaces.delete(["plant"]);
    expect((await client.spaces.retrieve(["plant"])).items).toEqual([]);
  });

  it("refuses to delete a space that still has nodes", async () => {
    await client.spaces.upsert([{ space: "plant" }]);
    await upsert([node("plant", "flow", { type: "numeric" })]);
    const err = await failure(client.spaces.delete(["plant"]));
    expect(err.status).toBe(400);
    expect(err.message).toMatch(/still has nodes/);
  });
});

describe("CogniteTimeSeries nodes", () => {
  it("a node gets a backing time series with an id and its instanceId, and no externalId", async () => {
    await client.spaces.upsert([{ space: "plant" }]);
    const [slim] = await upsert([
      node("plant", "p1:flow", {
        type: "numeric",
        isStep: true,
        name: "Flow",
        description: "Pump 1 flow",
        sourceUnit: "m3/h",
      }),
    ]);
    expect(slim).toMatchObject({
      instanceType: "node",
      space: "plant",
      externalId: "p1:flow",
      version: 1,
      wasModified: true,
    });
    const [ts] = await client.timeseries.retrieve([
      { instanceId: { space: "plant", externalId: "p1:flow" } },
    ]);
    expect(ts).toMatchObject({
      instanceId: { space: "plant", externalId: "p1:flow" },
      isString: false,
      isStep: true,
      name: "Flow",
      description: "Pump 1 flow",
      unit: "m3/h",
    });
    expect(typeof ts!.id).toBe("number");
    expect(ts!.externalId).toBeUndefined();
  });

  it("a string node backs a string series", async () => {
    await client.spaces.upsert([{ space: "plant" }]);
    await upsert([node("plant", "state", { type: "string" })]);
    const [ts] = await client.timeseries.retrieve([{ instanceId: { space: "plant", externalId: "state" } }]);
    expect(ts).toMatchObject({ isString: true, isStep: false });
  });

  it("refuses a node in a space that does not exist, naming the space", async () => {
    const err = await failure(upsert([node("nowhere", "x", { type: "numeric" })]));
    expect(err.status).toBe(400);
    expect(err.message).toMatch(/'nowhere' does not exist/);
  });

  it("refuses a node without type, a change of type, an unknown property and another view", async () => {
    await client.spaces.upsert([{ space: "plant" }]);
    expect((await failure(upsert([node("plant", "a", { isStep: true })]))).message).toMatch(
      /'type' is required/,
    );
    await upsert([node("plant", "a", { type: "numeric" })]);
    expect((await failure(upsert([node("plant", "a", { type: "string" })]))).message).toMatch(
      /'type' cannot change/,
    );
    expect((await failure(upsert([node("plant", "b", { type: "numeric", colour: "red" })]))).message).toMatch(
      /colour/,
    );
    const other = {
      ...node("plant", "c", { type: "numeric" }),
      sources: [{ source: { ...VIEW, externalId: "CogniteAsset" }, properties: {} }],
    };
    expect((await failure(upsert([other as ReturnType<typeof node>]))).message).toMatch(/one view/);
    // Nothing of a refused request was written.
    expect(await retrieve([{ space: "plant", externalId: "b" }])).toEqual([]);
  });

  it("an unchanged write is not a modification; a change bumps the version and updates the series", async () => {
    await client.spaces.upsert([{ space: "plant" }]);
    await upsert([node("plant", "a", { type: "numeric", name: "A" })]);
    const [same] = await upsert([node("plant", "a", { type: "numeric", name: "A" })]);
    expect(same).toMatchObject({ version: 1, wasModified: false });
    const [changed] = await upsert([node("plant", "a", { name: "A2", sourceUnit: "bar" })]);
    expect(changed).toMatchObject({ version: 2, wasModified: true });
    const [read] = await retrieve([{ space: "plant", externalId: "a" }]);
    expect(read).toMatchObject({
      version: 2,
      properties: {
        cdf_cdm: {
          "CogniteTimeSeries/v1": { type: "numeric", isStep: false, name: "A2", sourceUnit: "bar" },
        },
      },
    });
    const [ts] = await client.timeseries.retrieve([{ instanceId: { space: "plant", externalId: "a" } }]);
    expect(ts).toMatchObject({ name: "A2", unit: "bar" });
    // null clears a property; replace starts from nothing
    await upsert([node("plant", "a", { sourceUnit: null })]);
    await upsert([node("plant", "a", { type: "numeric", description: "d" })], { replace: true });
    const [after] = await retrieve([{ space: "plant", externalId: "a" }]);
    expect(after!.properties).toEqual({
      cdf_cdm: { "CogniteTimeSeries/v1": { type: "numeric", isStep: false, description: "d" } },
    });
  });

  it("existingVersion fails the request on a newer node, or skips it with skipOnVersionConflict", async () => {
    await client.spaces.upsert([{ space: "plant" }]);
    await upsert([node("plant", "a", { type: "numeric" })]);
    const asInsert = { ...node("plant", "a", { type: "numeric", name: "x" }), existingVersion: 0 };
    expect((await failure(upsert([asInsert]))).status).toBe(409);
    const items = await upsert([asInsert, node("plant", "b", { type: "numeric" })], {
      skipOnVersionConflict: true,
    });
    expect(items.map((i) => i.externalId)).toEqual(["b"]);
  });

  it("byids returns the nodes it has and leaves unknown ones out; properties only with sources", async () => {
    await client.spaces.upsert([{ space: "plant" }]);
    await upsert([node("plant", "a", { type: "numeric" })]);
    const found = await retrieve([
      { space: "plant", externalId: "nope" },
      { space: "plant", externalId: "a" },
    ]);
    expect(found.map((n) => n.externalId)).toEqual(["a"]);
    const [bare] = await retrieve([{ space: "plant", externalId: "a" }], false);
    expect(bare!.properties).toEqual({});
  });

  it("deleting a node deletes its series and datapoints; unknown nodes are ignored", async () => {
    await client.spaces.upsert([{ space: "plant" }]);
    await upsert([node("plant", "a", { type: "numeric" })]);
    const instanceId = { space: "plant", externalId: "a" };
    await client.datapoints.insert([{ instanceId, datapoints: [{ timestamp: 1000, value: 1 }] }]);
    await client.instances.delete([
      { instanceType: "node", ...instanceId },
      { instanceType: "node", space: "plant", externalId: "never-was" },
    ]);
    expect(await retrieve([instanceId])).toEqual([]);
    const err = await failure(client.timeseries.retrieve([{ instanceId }]));
    expect(err).toMatchObject({ status: 400, missing: [{ instanceId }] });
    // Created again: a new, empty series.
    await upsert([node("plant", "a", { type: "numeric" })]);
    const [dps] = await client.datapoints.retrieve({ items: [{ instanceId }], start: 0, end: 10_000 });
    expect(dps!.datapoints).toEqual([]);
  });

  it("a node's series cannot be deleted through /timeseries/delete, only with its node", async () => {
    await client.spaces.upsert([{ space: "plant" }]);
    await upsert([node("plant", "a", { type: "numeric" })]);
    const instanceId = { space: "plant", externalId: "a" };
    const [ts] = await client.timeseries.retrieve([{ instanceId }]);
    const err = await failure(client.timeseries.delete([{ id: ts!.id }]));
    expect(err.status).toBe(400);
    expect(err.message).toMatch(/models\/instances\/delete/);
    expect((await client.timeseries.retrieve([{ instanceId }]))[0]!.id).toBe(ts!.id);
  });

  it("the control API's data-model series are nodes too (space created on the fly)", async () => {
    const [ts] = emulator.control.createTimeSeries([
      { instanceId: { space: "lab", externalId: "t1" }, isStep: true },
    ]);
    const [read] = await retrieve([{ space: "lab", externalId: "t1" }]);
    expect(read).toMatchObject({
      properties: { cdf_cdm: { "CogniteTimeSeries/v1": { type: "numeric", isStep: true } } },
    });
    const [again] = await client.timeseries.retrieve([{ instanceId: { space: "lab", externalId: "t1" } }]);
    expect(again!.id).toBe(ts!.id);
  });
});

describe("datapoints by instanceId", () => {
  const instanceId = { space: "plant", externalId: "flow" };
  const missing = { space: "plant", externalId: "not-there" };

  async function flowNode(): Promise<void> {
    await client.spaces.upsert([{ space: "plant" }]);
    await upsert([node("plant", "flow", { type: "numeric" })]);
  }

  it("insert, raw list with cursors, aggregates, latest and delete work as by externalId", async () => {
    await flowNode();
    const datapoints = Array.from({ length: 10 }, (_, i) => ({ timestamp: i * 60_000, value: i }));
    await client.datapoints.insert([{ instanceId, datapoints }]);
    const page1 = await client.post<{
      items: Array<{ instanceId: unknown; datapoints: unknown[]; nextCursor?: string }>;
    }>(`/api/v1/projects/${emulator.project}/timeseries/data/list`, {
      data: { items: [{ instanceId, start: 0, end: 3_600_000, limit: 4 }] },
    });
    const first = page1.data.items[0]!;
    expect(first.instanceId).toEqual(instanceId);
    expect(first.datapoints).toHaveLength(4);
    const page2 = await client.post<{ items: Array<{ datapoints: Array<{ value: number }> }> }>(
      `/api/v1/projects/${emulator.project}/timeseries/data/list`,
      { data: { items: [{ instanceId, start: 0, end: 3_600_000, limit: 100, cursor: first.nextCursor }] } },
    );
    expect(page2.data.items[0]!.datapoints.map((d) => d.value)).toEqual([4, 5, 6, 7, 8, 9]);
    const [agg] = await client.datapoints.retrieve({
      items: [{ instanceId }],
      start: 0,
      end: 3_600_000,
      granularity: "1h",
      aggregates: ["sum", "count"],
    });
    expect(agg!.datapoints).toEqual([{ timestamp: new Date(0), sum: 45, count: 10 }]);
    const [latest] = await client.datapoints.retrieveLatest([{ instanceId }]);
    expect(latest!.datapoints).toEqual([{ timestamp: new Date(540_000), value: 9 }]);
    await client.datapoints.delete([{ instanceId, inclusiveBegin: 0, exclusiveEnd: 300_000 }]);
    const [rest] = await client.datapoints.retrieve({ items: [{ instanceId }], start: 0, end: 3_600_000 });
    expect(rest!.datapoints.map((d) => (d as { value: number }).value)).toEqual([5, 6, 7, 8, 9]);
  });

  it("a missing instanceId fails insert, list, latest and delete with CDF's missing: [{instanceId}]", async () => {
    await flowNode();
    const errors = await Promise.all([
      failure(client.datapoints.insert([{ instanceId: missing, datapoints: [{ timestamp: 0, value: 1 }] }])),
      failure(client.datapoints.retrieve({ items: [{ instanceId: missing }, { instanceId }] })),
      failure(client.datapoints.retrieveLatest([{ instanceId: missing }])),
      failure(client.datapoints.delete([{ instanceId: missing, inclusiveBegin: 0 }])),
    ]);
    for (const err of errors) expect(err).toMatchObject({ status: 400, missing: [{ instanceId: missing }] });
  });

  it("ignoreUnknownIds leaves a missing instanceId out of list and latest", async () => {
    await flowNode();
    await client.datapoints.insert([{ instanceId, datapoints: [{ timestamp: 0, value: 1 }] }]);
    const items = await client.datapoints.retrieve({
      items: [{ instanceId: missing }, { instanceId }],
      start: 0,
      end: 1000,
      ignoreUnknownIds: true,
    });
    expect(items.map((i) => i.instanceId)).toEqual([instanceId]);
    const latest = await client.datapoints.retrieveLatest([{ instanceId: missing }, { instanceId }], {
      ignoreUnknownIds: true,
    });
    expect(latest.map((i) => i.instanceId)).toEqual([instanceId]);
  });

  it("an instanceId with a space longer than CDF allows is a 400 naming the field", async () => {
    const err = await failure(
      client.datapoints.retrieve({ items: [{ instanceId: { space: "s".repeat(44), externalId: "x" } }] }),
    );
    expect(err.status).toBe(400);
    expect(err.message).toMatch(/items\[0\]\.instanceId\.space/);
  });
});

describe("hostile requests", () => {
  const post = (path: string, data: unknown) =>
    failure(client.post(`/api/v1/projects/${emulator.project}${path}`, { data }));

  it("each ends in one 400 naming what and where, and nothing is written", async () => {
    await client.spaces.upsert([{ space: "plant" }]);
    const tooMany = Array.from({ length: 1001 }, (_, i) => node("plant", `n${i}`, { type: "numeric" }));
    const cases: Array<[string, unknown, RegExp]> = [
      ["/models/instances", { items: tooMany }, /items: .*1000/],
      [
        "/models/instances",
        { items: [node("plant", "a", { type: "numeric", name: 42 })] },
        /items\[0\]\.sources\[0\]\.properties\.name/,
      ],
      [
        "/models/instances",
        { items: [{ ...node("plant", "a", { type: "numeric" }), instanceType: "edge" }] },
        /not edges/,
      ],
      [
        "/models/instances",
        { items: [node("plant", "a", { type: "numeric", sourceCreatedTime: "yesterday" })] },
        /sourceCreatedTime/,
      ],
      ["/models/instances", { items: [node("plant", "\u0000", { type: "numeric" })] }, /NUL/],
      ["/models/instances", [1, 2, 3], /body/],
      [
        "/models/instances/byids",
        { items: [{ instanceType: "node", space: "s".repeat(44), externalId: "a" }] },
        /items\[0\]\.space/,
      ],
      ["/models/spaces", { items: [{ space: "1bad" }] }, /items\[0\]\.space/],
      [
        "/models/instances/sync",
        { with: { ts: { nodes: { filter: nested(12) } } }, select: { ts: {} } },
        /nested deeper than 10/,
      ],
      ["/models/instances/sync", { with: {}, select: {} }, /with: must have 1 to 50/],
    ];
    for (const [path, body, message] of cases) {
      const err = await post(path, body);
      expect(err.status, `${path} ${JSON.stringify(body).slice(0, 80)}`).toBe(400);
      expect(err.message).toMatch(message);
    }
    const sync = await client.instances.sync({ with: { ts: { nodes: {} } }, select: { ts: {} } });
    expect(sync.items.ts).toEqual([]);
  });
});

function nested(depth: number): Record<string, unknown> {
  let filter: Record<string, unknown> = { matchAll: {} };
  for (let i = 0; i < depth; i++) filter = { not: filter };
  return filter;
}
