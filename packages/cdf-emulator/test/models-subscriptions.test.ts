// Datapoint subscriptions over data-model time series: members named by instanceId, changes that
// carry the instanceId, and what happens to a subscription when the node behind a member comes
// and goes.

import type { CogniteClient } from "@cognite/sdk";
import { describe, expect, it } from "vitest";
import type { Emulator } from "../src/index.js";
import { emulatorSuite } from "./fixtures/emulatorSuite.js";

let emulator: Emulator;
let client: CogniteClient;

emulatorSuite({ project: "dm-subs", clock: "2024-06-01T00:00:00Z" }, (started) => {
  ({ emulator, client } = started);
});

const VIEW = { type: "view", space: "cdf_cdm", externalId: "CogniteTimeSeries", version: "v1" } as const;
const api = (p: string) => `/api/v1/projects/${emulator.project}${p}`;
const flow = { space: "plant", externalId: "flow" };
const temp = { space: "plant", externalId: "temp" };

interface SeriesRef {
  id: number;
  externalId?: string;
  instanceId?: { space: string; externalId: string };
  isString: boolean;
  type: string;
}
interface DataPage {
  updates: Array<{
    timeSeries: SeriesRef;
    upserts: Array<{ timestamp: number; value?: number }>;
    deletes: unknown[];
  }>;
  subscriptionChanges?: { added?: SeriesRef[]; removed?: SeriesRef[] };
  partitions: Array<{ index: number; nextCursor: string }>;
  hasNext: boolean;
}

async function nodes(...refs: Array<{ space: string; externalId: string }>): Promise<void> {
  await client.spaces.upsert([{ space: "plant" }]);
  await client.instances.upsert({
    items: refs.map((r) => ({
      instanceType: "node" as const,
      ...r,
      sources: [{ source: VIEW, properties: { type: "numeric" } }],
    })),
  });
}

async function createSubscription(instanceIds: Array<{ space: string; externalId: string }>): Promise<void> {
  await client.post(api("/timeseries/subscriptions"), {
    data: { items: [{ externalId: "s", partitionCount: 2, instanceIds }] },
  });
}

async function read(cursors?: DataPage["partitions"]): Promise<DataPage> {
  const partitions = cursors?.map((p) => ({ index: p.index, cursor: p.nextCursor })) ?? [
    { index: 0 },
    { index: 1 },
  ];
  const res = await client.post<DataPage>(api("/timeseries/subscriptions/data/list"), {
    data: { externalId: "s", partitions, pollTimeoutSeconds: 0, limit: 1000 },
  });
  return res.data;
}

async function write(instanceId: { space: string; externalId: string }, timestamp: number, value: number) {
  await client.datapoints.insert([{ instanceId, datapoints: [{ timestamp, value }] }]);
}

async function members(): Promise<Array<Record<string, unknown>>> {
  const res = await client.get<{ items: Array<Record<string, unknown>> }>(
    api("/timeseries/subscriptions/members"),
    {
      params: { externalId: "s" },
    },
  );
  return res.data.items;
}

async function seriesId(instanceId: { space: string; externalId: string }): Promise<number> {
  const [ts] = await client.timeseries.retrieve([{ instanceId }]);
  return ts!.id;
}

describe("subscriptions by instanceId", () => {
  it("changes of a member carry its instanceId and id, upserts and deletes alike", async () => {
    await nodes(flow);
    await createSubscription([flow]);
    await write(flow, 1000, 1);
    await client.datapoints.delete([{ instanceId: flow, inclusiveBegin: 1000 }]);
    const page = await read();
    const id = await seriesId(flow);
    const series = { id, instanceId: flow, isString: false, type: "numeric" };
    expect(page.updates).toEqual([
      { timeSeries: series, upserts: [{ timestamp: 1000, value: 1 }], deletes: [] },
      { timeSeries: series, upserts: [], deletes: [{ inclusiveBegin: 1000, exclusiveEnd: 1001 }] },
    ]);
  });

  it("members list each instanceId with the id of its series, and without one while no node exists", async () => {
    await nodes(flow);
    await createSubscription([flow, temp]);
    expect(await members()).toEqual([{ instanceId: flow, id: await seriesId(flow) }, { instanceId: temp }]);
  });

  it("update add/remove announces added and removed members with their instanceId", async () => {
    await nodes(flow, temp);
    await createSubscription([flow]);
    await client.post(api("/timeseries/subscriptions/update"), {
      data: { items: [{ externalId: "s", update: { instanceIds: { add: [temp], remove: [flow] } } }] },
    });
    const page = await read();
    expect(page.subscriptionChanges).toEqual({
      added: [{ id: await seriesId(temp), instanceId: temp, isString: false, type: "numeric" }],
      removed: [{ id: await seriesId(flow), instanceId: flow, isString: false, type: "numeric" }],
    });
    expect((await members()).map((m) => m.instanceId)).toEqual([temp]);
    await write(flow, 1000, 1);
    await write(temp, 1000, 2);
    const next = await read(page.partitions);
    expect(next.updates.map((u) => u.timeSeries.instanceId)).toEqual([temp]);
  });

  it("a member listed before its node exists is followed once the node is created", async () => {
    await createSubscription([flow]);
    await nodes(flow);
    await write(flow, 1000, 5);
    const page = await read();
    expect(page.updates.map((u) => [u.timeSeries.instanceId, u.upserts])).toEqual([
      [flow, [{ timestamp: 1000, value: 5 }]],
    ]);
  });

  it("deleting the node removes its series from the subscription; a node created again is followed under its new id", async () => {
    await nodes(flow);
    await createSubscription([flow]);
    const oldId = await seriesId(flow);
    await write(flow, 1000, 1);
    await client.instances.delete([{ instanceType: "node", ...flow }]);
    await nodes(flow);
    const newId = await seriesId(flow);
    expect(newId).not.toBe(oldId);
    await write(flow, 2000, 2);
    const page = await read();
    expect(page.subscriptionChanges?.removed).toEqual([
      { id: oldId, instanceId: flow, isString: false, type: "numeric" },
    ]);
    expect(page.updates.map((u) => [u.timeSeries.id, u.upserts])).toEqual([
      [oldId, [{ timestamp: 1000, value: 1 }]],
      [newId, [{ timestamp: 2000, value: 2 }]],
    ]);
  });

  it("a filter subscription on instanceId/space follows the space's data-model series", async () => {
    await nodes(flow);
    await client.timeseries.create([{ externalId: "classic" }]);
    await client.post(api("/timeseries/subscriptions"), {
      data: {
        items: [
          {
            externalId: "s",
            partitionCount: 2,
            filter: { equals: { property: ["instanceId", "space"], value: "plant" } },
          },
        ],
      },
    });
    await write(flow, 1000, 1);
    await client.datapoints.insert([{ externalId: "classic", datapoints: [{ timestamp: 1000, value: 1 }] }]);
    const page = await read();
    expect(page.updates.map((u) => u.timeSeries.instanceId)).toEqual([flow]);
  });
});
