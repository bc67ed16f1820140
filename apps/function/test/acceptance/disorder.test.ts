import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { functionZip } from "./functionZip.js";
import { kpiHoles } from "./kpiHoles.js";
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
// skipped, a 3-hour outage of the function runtime (no tick runs), overlapping calls, 5% of calls
// crashed after some of their writes and before their checkpoint, two 429 storms and 2% of all
// requests answered 500, 502 or 503. No KPI ever has a hole, and once the disorder is over the next
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
      await site.feed(tick - MINUTE);
      control.addFunctionFault({
        function: fn,
        skipTickProbability: tick >= OUTAGE.from && tick < OUTAGE.to ? 1 : 0.1,
        crashAfterDatapointWrites: next() < 0.05 ? (crashes++, 1 + Math.floor(next() * 3)) : undefined,
      });
      for (const status of [500, 502, 503] as const)
        control.addFault({ path: "*", status, probability: 0.02 / 3 });
      if (STORMS.includes(tick))
        control.addFault({ path: "*/timeseries/data*", status: 429, probability: 0.8, count: 5 });
      // One tick in ten starts its call and moves on: the next tick's call runs beside it.
      const overlap = next() < 0.1;
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
    expect(calls.length).toBeLessThan(ticks - (OUTAGE.to - OUTAGE.from) / TICK);
    expect(calls.some((c) => c.status === "Failed" && /crash/i.test(c.error?.message ?? ""))).toBe(true);
    expect([crashes > 0, overlaps > 0, stormHits > 0]).toEqual([true, true, true]);

    await site.advanceTo(END + TICK);
    expect(kpiHoles(KPIS, await readKpiOutputs(site.t, KPIS))).toEqual([]);
    expect(await site.differencesFromEvaluate()).toEqual([]);
  });
});
