import { DEFAULT_STATE_LOCATION } from "@kpi-pipeline/cdf";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { callResponse } from "./functionCalls.js";
import { functionZip } from "./functionZip.js";
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

// Scenario 4 of issue 8: while the active-version pointer names another version (another epoch of
// the same function, another function, or nobody), the scheduled calls write nothing: no
// datapoint, no state, no cursor. When it names this version again, the next call catches up on
// everything that came meanwhile.

const TICK = 10 * MINUTE;
const SELF = { functionExternalId: "kpi-function", epoch: 1 };
let site: PlantOnEmulator;

beforeAll(async () => {
  site = await startPlantOnEmulator({
    zip: functionZip(KPIS_YAML),
    project: "fence",
    clock: T0 + 2 * HOUR - TICK,
    historyFrom: T0 - 2 * HOUR,
    historyUntil: T0 + 2 * HOUR - TICK - MINUTE,
    externalId: SELF.functionExternalId,
    epoch: SELF.epoch,
  });
  await site.advanceTo(T0 + 2 * HOUR);
});
afterEach(() => site.t.assertContract());
afterAll(() => site?.close());

/** Every row of the state table but the pointer (which the test itself moves). */
async function stateRows(): Promise<unknown[]> {
  const rows = await site.t.client.raw
    .listRows(DEFAULT_STATE_LOCATION.db, DEFAULT_STATE_LOCATION.table, { limit: 10_000 })
    .autoPagingToArray({ limit: Number.POSITIVE_INFINITY });
  return rows
    .filter((r) => r.key !== "active-version")
    .map((r) => ({ key: r.key, columns: r.columns }))
    .sort((a, b) => (a.key < b.key ? -1 : 1));
}

async function tickWith(pointer: { functionExternalId: string; epoch: number } | undefined): Promise<void> {
  if (pointer === undefined)
    await site.t.client.raw.deleteRows(DEFAULT_STATE_LOCATION.db, DEFAULT_STATE_LOCATION.table, [
      { key: "active-version" },
    ]);
  else await site.point(pointer);
  const tick = site.t.emulator.control.now() + TICK;
  await site.feed(tick - MINUTE);
  await site.advanceTo(tick);
}

describe("the fence", () => {
  it("writes nothing while the pointer names another version, and catches up once it names this one again", async () => {
    expect(await site.differencesFromEvaluate()).toEqual([]);
    const outputs = await readKpiOutputs(site.t, KPIS);
    const state = await stateRows();
    const calls = (await site.calls()).length;

    for (const pointer of [
      { ...SELF, epoch: 2 },
      { functionExternalId: "kpi-function-next", epoch: 7 },
      undefined,
      { ...SELF, epoch: 0 },
    ])
      await tickWith(pointer);

    const fenced = (await site.calls()).slice(calls);
    expect(fenced.map((c) => c.status)).toEqual(["Completed", "Completed", "Completed", "Completed"]);
    for (const call of fenced)
      expect(await callResponse(site.t, site.fn, call.id)).toMatchObject({
        status: "fenced",
        self: "kpi-function@1",
      });
    expect(await readKpiOutputs(site.t, KPIS)).toEqual(outputs);
    expect(await stateRows()).toEqual(state);
    // Four ticks' windows are due now, so the fence is what kept them out.
    expect(await site.differencesFromEvaluate()).not.toEqual([]);

    await tickWith(SELF);
    expect(await site.differencesFromEvaluate()).toEqual([]);
  }, 600_000);
});
