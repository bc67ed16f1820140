// /models/instances/sync over CogniteTimeSeries nodes: backfill, paging, changes after the
// cursor, tombstones, modes, filters, expiry, and the promise a sync client relies on: following
// the cursors reproduces exactly the live nodes, whatever happened in between.

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CogniteClient } from "@cognite/sdk";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../src/index.js";
import { createTestClient } from "../src/testing/index.js";
import { emulatorSuite } from "./fixtures/emulatorSuite.js";
import { failure } from "./fixtures/failure.js";

let emulator: Emulator;
let client: CogniteClient;

emulatorSuite({ project: "dm-sync", clock: "2024-06-01T00:00:00Z" }, (started) => {
  ({ emulator, client } = started);
});

const VIEW = { type: "view", space: "cdf_cdm", externalId: "CogniteTimeSeries", version: "v1" } as const;
const DAY = 24 * 3_600_000;

interface SyncedNode {
  space: string;
  externalId: string;
  version: number;
  deletedTime?: number;
  properties?: Record<string, Record<string, Record<string, unknown>>>;
}
interface SyncAnswer {
  items: Record<string, SyncedNode[]>;
  nextCursor: Record<string, string>;
}

async function put(space: string, externalId: string, properties: Record<string, unknown>): Promise<void> {
  // Through client.post: the SDK's property type has no null, which clears a property in CDF.
  await client.post(`/api/v1/projects/${emulator.project}/models/instances`, {
    data: { items: [{ instanceType: "node", space, externalId, sources: [{ source: VIEW, properties }] }] },
  });
}

async function remove(space: string, externalId: string): Promise<void> {
  await client.instances.delete([{ instanceType: "node", space, externalId }]);
}

async function sync(
  nodes: Record<string, unknown> = {},
  options: { cursor?: string; select?: Record<string, unknown>; extra?: Record<string, unknown> } = {},
): Promise<{ items: SyncedNode[]; cursor: string }> {
  const res = await client.post<SyncAnswer>(`/api/v1/projects/${emulator.project}/models/instances/sync`, {
    data: {
      with: { ts: { ...nodes, nodes: (nodes.nodes as object | undefined) ?? {} } },
      select: { ts: options.select ?? { sources: [{ source: VIEW, properties: ["*"] }] } },
      ...(options.cursor ? { cursors: { ts: options.cursor } } : {}),
      ...options.extra,
    },
  });
  return { items: res.data.items.ts ?? [], cursor: res.data.nextCursor.ts! };
}

const ids = (items: SyncedNode[]) => items.map((n) => `${n.externalId}${n.deletedTime ? " (deleted)" : ""}`);
const props = (n: SyncedNode) => n.properties?.cdf_cdm?.["CogniteTimeSeries/v1"];

describe("sync", () => {
  it("backfills in pages of `limit`, then returns only what changed after the cursor", async () => {
    await client.spaces.upsert([{ space: "plant" }]);
    for (const x of ["a", "b", "c"]) await put("plant", x, { type: "numeric" });
    const first = await sync({ limit: 2 });
    expect(ids(first.items)).toEqual(["a", "b"]);
    const second = await sync({ limit: 2 }, { cursor: first.cursor });
    expect(ids(second.items)).toEqual(["c"]);
    const quiet = await sync({ limit: 2 }, { cursor: second.cursor });
    expect(quiet.items).toEqual([]);
    expect(typeof quiet.cursor).toBe("string");
    await put("plant", "a", { name: "A" });
    await put("plant", "a", { name: "A again" });
    await put("plant", "d", { type: "string" });
    const changes = await sync({ limit: 2 }, { cursor: quiet.cursor });
    // One entry per node, in its latest state.
    expect(ids(changes.items)).toEqual(["a", "d"]);
    expect(props(changes.items[0]!)).toMatchObject({ name: "A again" });
    expect(changes.items[0]!.version).toBe(3);
  });

  it("a deleted node comes as a tombstone with deletedTime and no properties", async () => {
    await client.spaces.upsert([{ space: "plant" }]);
    await put("plant", "a", { type: "numeric" });
    const start = await sync();
    await remove("plant", "a");
    const after = await sync({}, { cursor: start.cursor });
    expect(after.items).toEqual([
      expect.objectContaining({ externalId: "a", deletedTime: emulator.control.now(), version: 2 }),
    ]);
    expect(after.items[0]!.properties).toBeUndefined();
  });

  it("nodes deleted before the sync started are left out unless skipAlreadyDeleted is false", async () => {
    await client.spaces.upsert([{ space: "plant" }]);
    await put("plant", "a", { type: "numeric" });
    await put("plant", "b", { type: "numeric" });
    await remove("plant", "a");
    expect(ids((await sync()).items)).toEqual(["b"]);
    expect(ids((await sync({ skipAlreadyDeleted: false })).items)).toEqual(["b", "a (deleted)"]);
    // Soft deletes are kept 3 days.
    await emulator.control.advanceClock(3 * DAY + 1);
    expect(ids((await sync({ skipAlreadyDeleted: false })).items)).toEqual(["b"]);
  });

  it("mode noBackfill starts at the end: only later changes", async () => {
    await client.spaces.upsert([{ space: "plant" }]);
    await put("plant", "a", { type: "numeric" });
    const start = await sync({ mode: "noBackfill" });
    expect(start.items).toEqual([]);
    await put("plant", "b", { type: "numeric" });
    expect(ids((await sync({ mode: "noBackfill" }, { cursor: start.cursor })).items)).toEqual(["b"]);
  });

  it("filters on the node's space and on the view's properties; select picks properties", async () => {
    await client.spaces.upsert([{ space: "plant" }, { space: "lab" }]);
    await put("plant", "a", { type: "numeric", name: "A" });
    await put("plant", "s", { type: "string" });
    await put("lab", "b", { type: "numeric" });
    const bySpace = await sync({
      nodes: { filter: { equals: { property: ["node", "space"], value: "plant" } } },
    });
    expect(ids(bySpace.items)).toEqual(["a", "s"]);
    const numericInPlant = await sync(
      {
        nodes: {
          filter: {
            and: [
              { equals: { property: ["node", "space"], value: "plant" } },
              { equals: { property: ["cdf_cdm", "CogniteTimeSeries/v1", "type"], value: "numeric" } },
              { hasData: [VIEW] },
            ],
          },
        },
      },
      { select: { sources: [{ source: VIEW, properties: ["name"] }] } },
    );
    expect(numericInPlant.items.map(props)).toEqual([{ name: "A" }]);
    const bare = await sync({}, { select: {} });
    expect(bare.items.map((n) => n.properties)).toEqual([{}, {}, {}]);
  });

  it("a cursor older than 3 days is refused unless missed deletes are accepted", async () => {
    await client.spaces.upsert([{ space: "plant" }]);
    await put("plant", "a", { type: "numeric" });
    const start = await sync();
    await emulator.control.advanceClock(3 * DAY + 1);
    const err = await failure(sync({}, { cursor: start.cursor }));
    expect(err.status).toBe(400);
    expect(err.message).toMatch(/expired/);
    const accepted = await sync(
      {},
      { cursor: start.cursor, extra: { allowExpiredCursorsAndAcceptMissedDeletes: true } },
    );
    expect(accepted.items).toEqual([]);
  });

  it("refuses what it does not serve, naming it: edges, unknown filter properties, foreign cursors", async () => {
    const edges = await failure(
      client.post(`/api/v1/projects/${emulator.project}/models/instances/sync`, {
        data: { with: { e: { edges: {} } }, select: { e: {} } },
      }),
    );
    expect(edges.message).toMatch(/no edges/);
    const filter = await failure(sync({ nodes: { filter: { equals: { property: ["x", "y"], value: 1 } } } }));
    expect(filter.message).toMatch(/with\.ts\.nodes\.filter\.equals\.property/);
    const cursor = await failure(sync({}, { cursor: "bm90LWEtY3Vyc29y" }));
    expect(cursor.message).toMatch(/not a sync cursor/);
  });

  it("following the cursors reproduces exactly the live nodes, whatever the writes and page sizes", async () => {
    const op = fc.oneof(
      fc.record({
        kind: fc.constant("put" as const),
        node: fc.integer({ min: 0, max: 5 }),
        name: fc.string({ maxLength: 3 }),
      }),
      fc.record({ kind: fc.constant("delete" as const), node: fc.integer({ min: 0, max: 5 }) }),
      fc.record({ kind: fc.constant("sync" as const) }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(op, { maxLength: 25 }),
        fc.integer({ min: 1, max: 4 }),
        async (ops, limit) => {
          await emulator.control.reset();
          await client.spaces.upsert([{ space: "plant" }]);
          const replica = new Map<string, string | undefined>();
          let cursor: string | undefined;
          const drain = async () => {
            for (;;) {
              const page = await sync({ limit }, cursor ? { cursor } : {});
              cursor = page.cursor;
              for (const n of page.items) {
                if (n.deletedTime !== undefined) replica.delete(n.externalId);
                else replica.set(n.externalId, props(n)?.name as string | undefined);
              }
              if (page.items.length < limit) return;
            }
          };
          for (const o of ops) {
            if (o.kind === "put") await put("plant", `n${o.node}`, { type: "numeric", name: o.name || null });
            else if (o.kind === "delete") await remove("plant", `n${o.node}`);
            else await drain();
          }
          await drain();
          const live = await client.instances.retrieve({
            items: [0, 1, 2, 3, 4, 5].map((i) => ({
              instanceType: "node" as const,
              space: "plant",
              externalId: `n${i}`,
            })),
            sources: [{ source: VIEW }],
          });
          const expected = new Map(
            live.items.map((n) => [
              n.externalId,
              (n.properties as SyncedNode["properties"])?.cdf_cdm?.["CogniteTimeSeries/v1"]?.name as
                | string
                | undefined,
            ]),
          );
          expect(new Map([...replica].sort())).toEqual(new Map([...expected].sort()));
        },
      ),
      { numRuns: 25 },
    );
  });
});

describe("sync across a restart", () => {
  it("nodes, tombstones and cursors survive a save and load of the data dir", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "dm-sync-"));
    try {
      const first = await startEmulator({ project: "p", dataDir, clock: "2024-06-01T00:00:00Z" });
      const c1 = createTestClient(first);
      await c1.spaces.upsert([{ space: "plant" }]);
      await c1.instances.upsert({
        items: ["a", "b"].map((x) => ({
          instanceType: "node" as const,
          space: "plant",
          externalId: x,
          sources: [{ source: VIEW, properties: { type: "numeric" } }],
        })),
      });
      const start = await c1.instances.sync({ with: { ts: { nodes: {} } }, select: { ts: {} } });
      await c1.instances.delete([{ instanceType: "node", space: "plant", externalId: "a" }]);
      await first.close();

      const second = await startEmulator({ project: "p", dataDir });
      const c2 = createTestClient(second);
      const after = await c2.instances.sync({
        with: { ts: { nodes: {} } },
        select: { ts: {} },
        cursors: { ts: start.nextCursor.ts! },
      });
      expect(after.items.ts!.map((n) => [n.externalId, "deletedTime" in n])).toEqual([["a", true]]);
      const [ts] = await c2.timeseries.retrieve([{ instanceId: { space: "plant", externalId: "b" } }]);
      expect(ts!.instanceId).toEqual({ space: "plant", externalId: "b" });
      await second.close();
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
