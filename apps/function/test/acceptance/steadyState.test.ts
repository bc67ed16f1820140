import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { functionZip } from "./functionZip.js";
import {
  HOUR,
  KPIS_YAML,
  MINUTE,
  type PlantOnEmulator,
  startPlantOnEmulator,
  T0,
} from "./plantOnEmulator.js";

// Scenario 1 of issue 8: the real zip, deployed through the API, runs every 10 minutes for 24
// simulated hours (over the 23-hour DST day in Oslo) while the plant's data arrives on time. At the
// end every closed window of all 20 KPIs holds exactly what `kpi-backfill evaluate` computes from
// the final inputs, and none is missing.

const TICK = 10 * MINUTE;
let site: PlantOnEmulator;

beforeAll(async () => {
  site = await startPlantOnEmulator({
    zip: functionZip(KPIS_YAML),
    project: "steady-state",
    clock: T0 - TICK,
    historyFrom: T0 - 2 * HOUR,
    historyUntil: T0 - TICK,
  });
});
afterEach(() => site.t.assertContract());
afterAll(() => site?.close());

describe("steady state: a 10-minute schedule over 24 simulated hours", () => {
  it("completes every call and leaves every closed window equal to kpi-backfill evaluate, none missing", async () => {
    const started = Date.now();
    for (let tick = T0; tick <= T0 + 24 * HOUR; tick += TICK) {
      // The plant's points arrive a minute after they are measured.
      await site.feed(tick - MINUTE);
      await site.advanceTo(tick);
    }
    const calls = await site.calls();
    expect(
      calls.filter((c) => c.status !== "Completed").map((c) => [c.scheduledTime, c.status, c.error?.message]),
    ).toEqual([]);
    expect(calls.length).toBe(24 * 6 + 1);
    expect(await site.differencesFromEvaluate()).toEqual([]);
    console.info(`steady state: ${calls.length} calls in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }, 900_000);
});
