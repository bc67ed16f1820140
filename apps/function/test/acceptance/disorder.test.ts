import { DEFAULT_SUBSCRIPTION_PREFIX } from "@kpi-pipeline/cdf";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { functionZip } from "./functionZip.js";
import { kpiHoles } from "./kpiHoles.js";
import { PLANT } from "./plant.js";
import {
  HOUR,
  KPIS,
  KPIS_YAML,
  MINUTE,
  type PlantOnEmulator,
  startPlantOnEmulator,
  T0,
} from "./plantOnEmulator.js";
import { readKpiOutputs } from "./readKpiOutputs.js";

// Scenario 2 of issue 8: ten simulated hours of a 10-minute schedule in disorder: 10% of ticks
// skipped, 10% late (starting with the next tick's call), 5% duplicated, a 3-hour outage of the
// function runtime (no tick runs), overlapping calls, 5% of calls crashed after some of their
// writes and before their checkpoint, two 429 storms, 2% of all requests answered 500, 502 or 503,
// writes applied and then failed, subscription changes delivered again and out of order. No KPI ever has a hole, and once the disorder is over the next
// run leaves every closed window equal to `kpi-backfill evaluate`.

const TICK = 10 * MINUTE;
const END = T0 + 10 * HOUR;
const OUTAGE = { from: T0 + 3 * HOUR, to: T0 + 6 * HOUR };
const STORMS = [T0 + 2 * HOUR, T0 + 7 * HOUR + 30 * MINUTE];
let site: PlantOnEmulator;

beforeAll(async () => {
  site = await startPlantOnEmulator({
    zip: functionZip(KPIS_YAML),
    project: "disorder",
    clock: T0 - TICK,
    historyFrom: T0 - 2 * HOUR,
    historyUntil: T0 - TICK,
  });
  // The function keeps the subscription it finds; with three partitions, reordering across them is possible.
  await site.t.client.post(`/api/v1/projects/${site.t.emulator.project}/timeseries/subscriptions`, {
    data: {
      items: [
        {
          externalId: `${DEFAULT_SUBSCRIPTION_PREFIX}-0`,
          name: "KPI inputs",
          partitionCount: 3,
          timeSeriesIds: PLANT.flatMap((s) => ("externalId" in s.ref ? [s.ref.externalId] : [])),
          instanceIds: PLANT.flatMap((s) => ("instanceId" in s.ref ? [s.ref.instanceId] : [])),
        },
      ],
    },
  });
});
afterEach(() => site.t.assertContract());
afterAll(() => site?.close());

/** A seeded generator, so that a failure can be replayed. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Waits (in real time) until no call of the function is running. */
async function settled(): Promise<void> {
  for (;;) {
    if (!(await site.calls()).some((c) => c.status === "Running")) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe("disorder", () => {
  it("leaves no hole at any time, and the next run after it equals kpi-backfill evaluate", async () => {
    const next = random(2024);
    const fn = site.fn.externalId;
    const control = site.t.emulator.control;
    let crashes = 0;
    let overlaps = 0;
    let stormHits = 0;
    for (let tick = T0; tick <= END; tick += TICK) {
      // The plant's own writes are not part of the disorder (a call of an overlapping tick may still run).
      control.clearFaults();
      await site.feed(tick - MINUTE);
      // Mostly after the first write: a scheduled call writes once (its due windows), so a crash
      // after its second or third write would only hit the calls that catch up.
      const crash = next() < 0.05 ? (next() < 0.8 ? 1 : 2 + Math.floor(next() * 2)) : undefined;
      if (crash !== undefined) crashes++;
      // A storm's tick always starts its call, on time and alone, so that the storm hits it (else
      // whether it hit anything hung on the timing of calls left from earlier ticks).
      const storm = STORMS.includes(tick);
      control.addFunctionFault({
        function: fn,
        skipTickProbability: tick >= OUTAGE.from && tick < OUTAGE.to ? 1 : storm ? 0 : 0.1,
        // A late tick's call starts with the next tick's, and runs beside it.
        lateTickProbability: storm ? 0 : 0.1,
        lateTickMs: TICK,
        duplicateTickProbability: 0.05,
        crashAfterDatapointWrites: crash,
      });
      // Changes come again (lagging cursors) and partitions interleave in any order.
      control.addSubscriptionFault({ subscription: "*", redeliverProbability: 0.3, reorderPartitions: true });
      for (const status of [500, 502, 503] as const)
        control.addFault({ path: "*", status, probability: 0.02 / 3 });
      // Applied, then failed: the write (or state save) lands and the answer is a 503 or a dropped connection.
      control.addFault({
        path: "*/timeseries/data",
        method: "POST",
        status: 503,
        probability: 0.03,
        afterApply: true,
      });
      control.addFault({
        path: "*/timeseries/data",
        method: "POST",
        drop: true,
        probability: 0.01,
        afterApply: true,
      });
      control.addFault({
        path: "*/raw/dbs/*/rows",
        method: "POST",
        status: 503,
        probability: 0.03,
        afterApply: true,
      });
      if (storm) control.addFault({ path: "*/timeseries/data*", status: 429, probability: 0.8, count: 5 });
      // One tick in ten starts its call and moves on: the next tick's call runs beside it.
      const overlap = next() < 0.1 && !storm;
      if (overlap) overlaps++;
      await control.setClock(tick, { wait: !overlap });
      if (!overlap) {
        // The suite's own requests (listing calls, reading outputs) are not part of the disorder.
        stormHits += control
          .listFaults()
          .filter((f) => f.status === 429)
          .reduce((n, f) => n + f.hits, 0);
        control.clearFaults();
        await settled();
        expect(kpiHoles(KPIS, await readKpiOutputs(site.t, KPIS)), new Date(tick).toISOString()).toEqual([]);
      }
    }
    control.clearFaults();
    await settled();

    const calls = await site.calls();
    const ticks = (END - T0) / TICK + 1;
    // The disorder happened: ticks were skipped, calls crashed and overlapped, the storms hit.
    expect(new Set(calls.map((c) => c.scheduledTime)).size).toBeLessThan(
      ticks - (OUTAGE.to - OUTAGE.from) / TICK,
    );
    expect(calls.some((c) => c.status === "Failed" && /crash/i.test(c.error?.message ?? ""))).toBe(true);
    const late = calls.filter((c) => c.scheduledTime !== undefined && c.startTime > c.scheduledTime);
    const scheduled = calls.map((c) => c.scheduledTime);
    const duplicated = scheduled.filter((time, i) => scheduled.indexOf(time) !== i);
    expect({
      crashes: crashes > 0,
      overlaps: overlaps > 0,
      stormHits: stormHits > 0,
      late: late.length > 0,
      duplicated: duplicated.length > 0,
    }).toEqual({ crashes: true, overlaps: true, stormHits: true, late: true, duplicated: true });

    await site.advanceTo(END + TICK);
    expect(kpiHoles(KPIS, await readKpiOutputs(site.t, KPIS))).toEqual([]);
    expect(await site.differencesFromEvaluate()).toEqual([]);
  }, 900_000);
});
