import { describe, expect, it } from "vitest";
import { VirtualClock } from "../src/clock.js";
import type { DatapointChange, EmulatorContext, Principal, TimeSeriesInfo } from "../src/context.js";
import { DatapointStore } from "../src/datapoints/datapointStore.js";
import { deleteDatapoints } from "../src/datapoints/deleteDatapoints.js";
import { insertDatapoints } from "../src/datapoints/insertDatapoints.js";

// The datapoint module's side of the subscription seam: every accepted insert and delete is
// reported once, in request order, with the caller; a rejected request reports nothing.

function harness() {
  const series: TimeSeriesInfo[] = [
    { id: 1, externalId: "a", isString: false, isStep: false },
    { id: 2, externalId: "b", isString: true, isStep: false },
  ];
  const changes: Array<{ change: DatapointChange; principal: Principal | undefined }> = [];
  const ctx = {
    project: "p",
    clock: new VirtualClock(),
    stats: { datapointsInserted: 0, datapointsReturned: 0 },
    findTimeSeries: (ref: { id?: number; externalId?: string }) =>
      series.find(
        (s) => s.id === ref.id || (ref.externalId !== undefined && s.externalId === ref.externalId),
      ),
    emitDatapointChange: (change: DatapointChange, principal: Principal | undefined) => {
      changes.push({ change, principal });
    },
  } as unknown as EmulatorContext;
  return { ctx, changes, store: new DatapointStore() };
}

const caller: Principal = { clientId: "writer", token: "t" };

describe("datapoint changes", () => {
  it("an insert reports one upsert per item with the points and the caller", () => {
    const { ctx, changes, store } = harness();
    insertDatapoints(
      ctx,
      store,
      {
        items: [
          { externalId: "a", datapoints: [{ timestamp: 5, value: 1 }] },
          {
            id: 2,
            datapoints: [
              { timestamp: 6, value: "x" },
              { timestamp: 7, status: { code: 2147483648 } },
            ],
          },
        ],
      },
      caller,
    );
    expect(changes).toEqual([
      {
        change: { kind: "upsert", timeSeriesId: 1, points: [{ timestamp: 5, value: 1 }] },
        principal: caller,
      },
      {
        change: {
          kind: "upsert",
          timeSeriesId: 2,
          points: [
            { timestamp: 6, value: "x" },
            { timestamp: 7, value: undefined, status: { code: 2147483648 } },
          ],
        },
        principal: caller,
      },
    ]);
    expect(ctx.stats.datapointsInserted).toBe(3);
  });

  it("a rejected insert reports nothing", () => {
    const { ctx, changes, store } = harness();
    expect(() =>
      insertDatapoints(
        ctx,
        store,
        {
          items: [
            { externalId: "a", datapoints: [{ timestamp: 5, value: 1 }] },
            { externalId: "a", datapoints: [{ timestamp: 6, value: "not a number" }] },
          ],
        },
        caller,
      ),
    ).toThrow(/items\[1\]\.datapoints\[0\]\.value/);
    expect(changes).toEqual([]);
    expect(store.get(1)).toBeUndefined();
  });

  it("a delete reports the range, with exclusiveEnd = inclusiveBegin + 1 for a single point", () => {
    const { ctx, changes, store } = harness();
    deleteDatapoints(ctx, store, { items: [{ externalId: "a", inclusiveBegin: 10 }] }, caller);
    expect(changes).toEqual([
      {
        change: { kind: "delete", timeSeriesId: 1, inclusiveBegin: 10, exclusiveEnd: 11 },
        principal: caller,
      },
    ]);
  });
});
