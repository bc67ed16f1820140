import { STATUS_BAD } from "@kpi-pipeline/kpi-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { functionZip } from "./functionZip.js";
import { deletePoints, insertPoints } from "./insertPoints.js";
import { PLANT, plantPoints } from "./plant.js";
import {
  DAY,
  HOUR,
  KPIS_YAML,
  MINUTE,
  type PlantOnEmulator,
  startPlantOnEmulator,
  T0,
} from "./plantOnEmulator.js";

// Scenario 3 of issue 8: three days of history, then runs while one input arrives two hours late and
// another in stragglers up to two hours late, then corrections three days back: an overwrite, a
// deleted range and a point turned Bad. After each run the outputs equal `kpi-backfill evaluate`
// over the inputs as they are then; the corrections make them differ until the next run.

const TICK = 10 * MINUTE;
const NOW = T0 + 3 * DAY;
const [FLOW, POWER, , TEMP, , LEVEL] = PLANT;
let site: PlantOnEmulator;

beforeAll(async () => {
  site = await startPlantOnEmulator({
    zip: functionZip(KPIS_YAML),
    project: "late-data",
    clock: NOW - TICK,
    historyFrom: T0 - 2 * HOUR,
    historyUntil: NOW - TICK - 2 * HOUR,
  });
  // The last two hours of history, but level arrives two hours late and a third of flow's points straggle.
  await lateFeed(NOW - TICK - 2 * HOUR, NOW - TICK - MINUTE);
});
afterEach(() => site.t.assertContract());
afterAll(() => site?.close());

/** Flow points that arrive late: every third one, by position in its minute. */
const straggles = (timestamp: number) => Math.floor(timestamp / MINUTE) % 3 === 0;
const stragglers: Array<{ due: number; timestamp: number }> = [];

/** Writes [from, to) of every input as it arrives at `to`: level is held back two hours, some flow points up to two hours. */
async function lateFeed(from: number, to: number): Promise<void> {
  const flow = plantPoints(FLOW!, from, to);
  await insertPoints(site.t, [
    ...PLANT.filter((s) => s !== FLOW && s !== LEVEL).map((s) => ({
      ref: s.ref,
      points: plantPoints(s, from, to),
    })),
    { ref: FLOW!.ref, points: flow.filter((p) => !straggles(p.timestamp)) },
    { ref: LEVEL!.ref, points: plantPoints(LEVEL!, from - 2 * HOUR, to - 2 * HOUR) },
  ]);
  for (const p of flow.filter((q) => straggles(q.timestamp)))
    stragglers.push({
      due: p.timestamp + 30 * MINUTE + (p.timestamp % 5) * 20 * MINUTE,
      timestamp: p.timestamp,
    });
  const arrived = stragglers.filter((s) => s.due <= to);
  const arrivedPoints = plantPoints(FLOW!, from - 3 * HOUR, to).filter((p) =>
    arrived.some((s) => s.timestamp === p.timestamp),
  );
  await insertPoints(site.t, [{ ref: FLOW!.ref, points: arrivedPoints }]);
  stragglers.splice(0, stragglers.length, ...stragglers.filter((s) => s.due > to));
  site.fedUntil = to;
}

describe("late and corrected data", () => {
  it("a catch-up of three days, then runs with data up to two hours late: every run leaves the outputs equal to evaluate", async () => {
    await site.advanceTo(NOW);
    expect(await site.differencesFromEvaluate()).toEqual([]);
    for (let tick = NOW + TICK; tick <= NOW + 6 * TICK; tick += TICK) {
      await lateFeed(site.fedUntil, tick - MINUTE);
      await site.advanceTo(tick);
      expect(await site.differencesFromEvaluate(), new Date(tick).toISOString()).toEqual([]);
    }
  }, 600_000);

  it("an overwrite, a deleted range and a Bad correction three days back are recomputed by the next run", async () => {
    const flowPoint = plantPoints(FLOW!, T0 + HOUR, T0 + 2 * HOUR).find(
      (p) => p.value !== undefined && p.value < 100,
    )!;
    await insertPoints(site.t, [{ ref: FLOW!.ref, points: [{ timestamp: flowPoint.timestamp, value: 99 }] }]);
    await deletePoints(site.t, POWER!.ref, T0 + 2 * HOUR, T0 + 2 * HOUR + 40 * MINUTE);
    // The last temperature point of a 10-minute window, so that last(temp) changes.
    const tempPoint = plantPoints(TEMP!, T0 + 3 * HOUR + 19 * MINUTE, T0 + 3 * HOUR + 20 * MINUTE)[0]!;
    await insertPoints(site.t, [
      { ref: TEMP!.ref, points: [{ timestamp: tempPoint.timestamp, status: STATUS_BAD }] },
    ]);
    const stale = await site.differencesFromEvaluate();
    // Each correction changes KPIs of its own input: the test would pass without them otherwise.
    for (const kpi of ["kpi:flow:twa:10m", "kpi:power:max:10m", "kpi:temp:last:10m", "kpi:flow:twa:1d"])
      expect(
        stale.some((line) => line.startsWith(`${kpi}:`)),
        `${kpi} differs before the run`,
      ).toBe(true);

    const tick = site.t.emulator.control.now() + TICK;
    await lateFeed(site.fedUntil, tick - MINUTE);
    await site.advanceTo(tick);
    expect(await site.differencesFromEvaluate()).toEqual([]);
  });

  it("once every late point is in, the outputs equal evaluate over the complete data", async () => {
    const now = site.t.emulator.control.now();
    await insertPoints(site.t, [
      { ref: LEVEL!.ref, points: plantPoints(LEVEL!, now - 3 * HOUR, now - MINUTE) },
      { ref: FLOW!.ref, points: plantPoints(FLOW!, now - 3 * HOUR, now - MINUTE) },
    ]);
    expect(await site.differencesFromEvaluate()).not.toEqual([]);
    await site.advanceTo(now + TICK);
    expect(await site.differencesFromEvaluate()).toEqual([]);
    const calls = await site.calls();
    expect(calls.filter((c) => c.status !== "Completed").map((c) => c.error?.message)).toEqual([]);
  });
});
