import type { TestEmulator } from "@kpi-pipeline/cdf-emulator/testing";
import {
  ChangesLostError,
  type PartitionCursor,
  type SeriesChange,
  STATUS_BAD,
} from "@kpi-pipeline/kpi-core";
import { describe, expect, it } from "vitest";
import type { CdfConnection } from "../src/cdfConnection.js";
import { ensureSubscriptions } from "../src/ensureSubscriptions.js";
import { SubscriptionChangeSource } from "../src/subscriptionChangeSource.js";
import { cdfOnEmulator } from "./cdfOnEmulator.js";
import { seedSeries } from "./seedSeries.js";

const BASE = Date.parse("2024-06-01T00:00:00Z");
let t: TestEmulator;
let cdf: CdfConnection;

cdfOnEmulator({ project: "change-source-test", clock: "2024-06-01T00:00:00Z" }, (suite) => {
  ({ t, cdf } = suite);
});

const path = () => `/api/v1/projects/${t.emulator.project}/timeseries/data`;
function insert(
  item: object,
  points: Array<{ timestamp: number; value?: number; status?: { code: number } }>,
) {
  return t.client.post(path(), { data: { items: [{ ...item, datapoints: points }] } });
}
function remove(item: object, inclusiveBegin: number, exclusiveEnd: number) {
  return t.client.post(`${path()}/delete`, { data: { items: [{ ...item, inclusiveBegin, exclusiveEnd }] } });
}

/** Polls until nothing is waiting; every change and the final cursors. */
async function drain(source: SubscriptionChangeSource, cursors: PartitionCursor[]) {
  const changes: SeriesChange[] = [];
  let polls = 0;
  for (;;) {
    const page = await source.poll(cursors);
    polls++;
    changes.push(...page.changes);
    cursors = [...page.cursors];
    if (!page.hasNext) return { changes, cursors, polls };
  }
}

/** Per series key: sorted unique upserted timestamps and deleted ranges. */
function summarize(changes: readonly SeriesChange[]) {
  const out: Record<string, { timestamps: number[]; deleted: Array<[number, number]> }> = {};
  for (const c of changes) {
    const key =
      "externalId" in c.series
        ? c.series.externalId
        : `${c.series.instanceId.space}/${c.series.instanceId.externalId}`;
    const entry = (out[key] ??= { timestamps: [], deleted: [] });
    entry.timestamps.push(...c.timestamps.map((ts) => ts - BASE));
    entry.deleted.push(...c.deletedRanges.map((r): [number, number] => [r.start - BASE, r.end - BASE]));
  }
  for (const entry of Object.values(out))
    entry.timestamps = [...new Set(entry.timestamps)].sort((a, b) => a - b);
  return out;
}

describe("SubscriptionChangeSource", () => {
  it("numbers partitions through several subscriptions, starts at now, and turns upserts, Bad corrections and deletes into changes", async () => {
    await t.emulator.control.reset();
    const a = { externalId: "a" };
    const b = { externalId: "b" };
    const c = { instanceId: { space: "sp", externalId: "c" } };
    await seedSeries(t, [
      { ref: a, points: [{ timestamp: BASE, value: 1 }] },
      { ref: b, points: [] },
      { ref: c, points: [{ timestamp: BASE + 20, value: 20 }] },
    ]);
    const plans = await ensureSubscriptions(cdf, "inputs", [a, b, c], { partitionCount: 2, maxMembers: 2 });
    const source = new SubscriptionChangeSource(cdf, plans, { pageSize: 2 });
    expect(source.partitions).toBe(4);
    // No cursors: start now; the point written before is not a change.
    const start = await drain(
      source,
      [0, 1, 2, 3].map((partition) => ({ partition, cursor: undefined })),
    );
    expect(start.changes).toEqual([]);
    expect(start.cursors.map((c) => c.partition)).toEqual([0, 1, 2, 3]);

    await insert(a, [
      { timestamp: BASE + 5, value: 2 },
      { timestamp: BASE + 6, value: 3 },
    ]);
    await insert(b, [{ timestamp: BASE + 1, value: 1 }]);
    // A correction to Bad, without a value, of a point written before the subscription started.
    await insert(c, [{ timestamp: BASE + 20, status: { code: STATUS_BAD } }]);
    await remove(a, BASE, BASE + 3);
    await insert(c, [{ timestamp: BASE + 9, value: 9 }]);
    const after = await drain(source, start.cursors);
    expect(after.polls).toBeGreaterThan(1);
    expect(summarize(after.changes)).toEqual({
      a: { timestamps: [5, 6], deleted: [[0, 3]] },
      b: { timestamps: [1], deleted: [] },
      "sp/c": { timestamps: [9, 20], deleted: [] },
    });
    // From the committed cursors, nothing again.
    expect((await drain(source, after.cursors)).changes).toEqual([]);
  });

  it("throws kpi-core's ChangesLostError for a cursor older than CDF's 7-day retention", async () => {
    await t.emulator.control.reset();
    const r = { externalId: "r" };
    await seedSeries(t, [{ ref: r, points: [] }]);
    const source = new SubscriptionChangeSource(cdf, await ensureSubscriptions(cdf, "retention", [r]));
    const { cursors } = await drain(source, [{ partition: 0, cursor: undefined }]);
    await insert(r, [{ timestamp: BASE, value: 1 }]);
    await t.emulator.control.advanceClock("8d");
    await insert(r, [{ timestamp: BASE + 1, value: 2 }]);
    const error = await source.poll(cursors).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChangesLostError);
    expect((error as Error).message).toMatch(
      /^Subscription retention-0 no longer has the changes since the saved cursor \(CDF keeps 7 days\): POST \/timeseries\/subscriptions\/data\/list failed with HTTP 400/,
    );
    // What runKpis does then: start again from now.
    expect((await drain(source, [{ partition: 0, cursor: undefined }])).changes).toEqual([]);
  });

  it("refuses a partition it does not have", async () => {
    const source = new SubscriptionChangeSource(cdf, [{ externalId: "x", partitionCount: 2 }]);
    await expect(source.poll([{ partition: 2, cursor: undefined }])).rejects.toThrow(
      "SubscriptionChangeSource: partition 2 does not exist; there are 2.",
    );
  });
});
