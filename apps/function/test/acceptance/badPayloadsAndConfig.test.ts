import { readFileSync } from "node:fs";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { deployFunction } from "./deployFunction.js";
import { callFunction, callLogs } from "./functionCalls.js";
import { functionZip } from "./functionZip.js";
import {
  HOUR,
  KPIS_YAML,
  MINUTE,
  type PlantOnEmulator,
  startPlantOnEmulator,
  T0,
} from "./plantOnEmulator.js";

// Scenario 5 of issue 8: calls with data the function cannot run and deployments with a kpis.yaml
// or a setting it cannot use. Each call ends Failed with one message that says what was wrong and
// where, without a stack trace or the call's token, and nothing is written: no datapoint, no state.

let site: PlantOnEmulator;
/** Requests that write, by the emulator's own count. */
const writes = () => {
  const requests = site.t.emulator.control.stats().requests;
  const count = (route: string) => Object.values(requests[route] ?? {}).reduce((n, c) => n + c, 0);
  return {
    datapoints: count("POST /timeseries/data"),
    deletes: count("POST /timeseries/data/delete"),
    raw: count("POST /raw/dbs/:db/tables/:table/rows"),
    timeseries: count("POST /timeseries"),
  };
};

beforeAll(async () => {
  // No schedule runs here: the clock stays before the first tick.
  site = await startPlantOnEmulator({
    zip: functionZip(KPIS_YAML),
    project: "bad-input",
    clock: T0 + 2 * HOUR + MINUTE,
    historyFrom: T0 - 2 * HOUR,
    historyUntil: T0 + 2 * HOUR,
  });
});
afterEach(() => site.t.assertContract());
afterAll(() => site?.close());

/** Calls `fn` with `data` and checks it failed cleanly and wrote nothing; returns its message. */
async function failsCleanly(fn: { id: number; externalId: string }, data: unknown): Promise<string> {
  const before = writes();
  const call = await callFunction(site.t, fn, data);
  expect(call.status).toBe("Failed");
  const message = call.error?.message ?? "";
  expect(message).not.toMatch(/\n\s+at |Traceback|\.ts:\d+|\.js:\d+/);
  expect(message.split("\n")).toHaveLength(1);
  const token = site.t.emulator.control.token();
  expect(message).not.toContain(token.slice(0, 12));
  for (const line of await callLogs(site.t, fn, call.id)) expect(line).not.toContain(token.slice(0, 12));
  expect(writes()).toEqual(before);
  return message;
}

describe("bad payloads", () => {
  it.each([
    [{ mode: "backfil" }, /mode/],
    [{ mode: "scheduled", budgetSecond: 60 }, /budgetSecond/],
    [{ mode: "backfill", from: "2024-13-01T00:00:00Z", to: "2024-04-02T00:00:00Z" }, /from/],
    [
      { mode: "backfill", from: "2024-04-02T00:00:00Z", to: "2024-04-01T00:00:00Z" },
      /from must be before to/,
    ],
    [{ mode: "backfill", from: 0, to: 1e300 }, /to/],
    [
      { mode: "backfill", from: "2024-03-31T00:00:00Z", to: "2024-04-01T00:00:00Z", kpis: ["kpi:nope"] },
      /kpi:nope/,
    ],
    [{ mode: "scheduled", budgetSeconds: -5 }, /budgetSeconds/],
  ])("data %j fails the call with a message naming the problem, and writes nothing", async (data, names) => {
    expect(await failsCleanly(site.fn, data)).toMatch(names);
  });

  it("deeply nested and large data fail the same way", async () => {
    let nested: unknown = 1;
    // As deep as CDF's JSON parser takes (the emulator refuses past 500 levels, as Jackson does).
    for (let i = 0; i < 450; i++) nested = { n: nested };
    expect(await failsCleanly(site.fn, { mode: "scheduled", nested })).toMatch(/nested/);
    expect(await failsCleanly(site.fn, { mode: "scheduled", note: "x".repeat(2_000_000) })).toMatch(/note/);
  });
});

describe("bad config", () => {
  it.each([
    ["an expression that does not parse", "value: twa(flow)\n", "value: twa(flow\n", /kpis\.yaml.*value/s],
    [
      "an unknown field",
      "    window: { every: 10m }\n",
      "    window: { every: 10m }\n    windwo: 1h\n",
      /windwo/,
    ],
    ["YAML that does not parse", "kpis:\n", "kpis: [\n", /kpis\.yaml/],
  ])(
    "a zip whose kpis.yaml has %s deploys, and its calls fail naming kpis.yaml, writing nothing",
    async (_, from, to, names) => {
      const yaml = readFileSync(KPIS_YAML, "utf8");
      expect(yaml).toContain(from);
      const externalId = `kpi-function-bad-${Math.random().toString(36).slice(2, 8)}`;
      const fn = await deployFunction(site.t, functionZip(new TextEncoder().encode(yaml.replace(from, to))), {
        externalId,
        envVars: { KPI_FUNCTION_EPOCH: "1" },
      });
      await site.point({ functionExternalId: externalId, epoch: 1 });
      expect(await failsCleanly(fn, { mode: "scheduled" })).toMatch(names);
    },
  );

  it("a function deployed without KPI_FUNCTION_EPOCH fails its calls saying so, writing nothing", async () => {
    const fn = await deployFunction(site.t, functionZip(KPIS_YAML), { externalId: "kpi-function-no-epoch" });
    await site.point({ functionExternalId: "kpi-function-no-epoch", epoch: 1 });
    expect(await failsCleanly(fn, { mode: "scheduled" })).toMatch(/KPI_FUNCTION_EPOCH/);
  });
});
