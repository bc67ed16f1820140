// Applied-then-failed faults: the handler applies the request, then the client gets a 5xx or a
// dropped connection. Whoever retries must meet its own first attempt: a 409 for a create, the
// same points again for a datapoint insert.

import type { CogniteClient } from "@cognite/sdk";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Emulator } from "../src/index.js";
import { emulatorSuite } from "./fixtures/emulatorSuite.js";

let emulator: Emulator;
let client: CogniteClient;
let token: string;

emulatorSuite({ project: "after-apply-test" }, async (started) => {
  ({ emulator, client } = started);
  await client.authenticate();
  token = emulator.control.token();
});

function api(path: string, body: unknown): Promise<Response> {
  return fetch(`${emulator.baseUrl}/api/v1/projects/${emulator.project}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

async function storedPoints(externalId: string): Promise<Array<{ timestamp: number; value: number }>> {
  const response = await api("/timeseries/data/list", {
    items: [{ externalId, start: 0, end: "now", limit: 100_000 }],
  });
  const body = (await response.json()) as {
    items: Array<{ datapoints: Array<{ timestamp: number; value: number }> }>;
  };
  return body.items[0]?.datapoints ?? [];
}

describe("afterApply faults", () => {
  it("a create answered 503 after it applied: the series exists and the retry gets a 409 naming it", async () => {
    emulator.control.addFault({
      path: "*/timeseries",
      method: "POST",
      status: 503,
      afterApply: true,
      count: 1,
    });
    const first = await api("/timeseries", { items: [{ externalId: "applied" }] });
    expect(first.status).toBe(503);
    expect(((await first.json()) as { error: { message: string } }).error.message).toContain("was applied");
    const byIds = await api("/timeseries/byids", { items: [{ externalId: "applied" }] });
    expect(byIds.status).toBe(200);
    const retry = await api("/timeseries", { items: [{ externalId: "applied" }] });
    expect(retry.status).toBe(409);
    expect(((await retry.json()) as { error: { duplicated: unknown[] } }).error.duplicated).toEqual([
      { externalId: "applied" },
    ]);
  });

  it("an insert whose connection drops after it applied: the points are stored; inserting again changes nothing", async () => {
    emulator.control.createTimeSeries([{ externalId: "dropped" }]);
    emulator.control.addFault({ path: "*/timeseries/data", drop: true, afterApply: true, count: 1 });
    const points = [
      { timestamp: 1000, value: 1 },
      { timestamp: 2000, value: 2 },
    ];
    await expect(
      api("/timeseries/data", { items: [{ externalId: "dropped", datapoints: points }] }),
    ).rejects.toThrow();
    expect(await storedPoints("dropped")).toEqual(points);
    const retry = await api("/timeseries/data", { items: [{ externalId: "dropped", datapoints: points }] });
    expect(retry.status).toBe(200);
    expect(await storedPoints("dropped")).toEqual(points);
    expect(emulator.control.stats().requests["POST /timeseries/data"]).toEqual({ dropped: 1, "200": 1 });
  });

  it("the SDK's own retry of an insert answered 500 after it applied lands the same points once", async () => {
    emulator.control.createTimeSeries([{ externalId: "sdk-retried" }]);
    emulator.control.addFault({ path: "*/timeseries/data", status: 500, afterApply: true, count: 1 });
    const datapoints = [{ timestamp: new Date(5000), value: 5 }];
    await client.datapoints.insert([{ externalId: "sdk-retried", datapoints }]);
    expect(await storedPoints("sdk-retried")).toEqual([{ timestamp: 5000, value: 5 }]);
    // Applied twice (the lost answer and the retry), stored once.
    expect(emulator.control.stats().datapointsInserted).toBe(2);
    expect(emulator.control.stats().requests["POST /timeseries/data"]).toEqual({ "500": 1, "200": 1 });
  });

  it("whatever the count, every insert lands and exactly the first `count` matching answers are lost", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 6 }),
        async (count, requests) => {
          await emulator.control.reset();
          emulator.control.createTimeSeries([{ externalId: "many" }]);
          emulator.control.addFault({ path: "*/timeseries/data", status: 502, afterApply: true, count });
          const statuses: number[] = [];
          for (let i = 0; i < requests; i++) {
            const response = await api("/timeseries/data", {
              items: [{ externalId: "many", datapoints: [{ timestamp: (i + 1) * 1000, value: i }] }],
            });
            statuses.push(response.status);
          }
          const failed = Math.min(count, requests);
          expect(statuses).toEqual([...Array(failed).fill(502), ...Array(requests - failed).fill(200)]);
          expect((await storedPoints("many")).map((p) => p.value)).toEqual([...Array(requests).keys()]);
        },
      ),
      { numRuns: 15 },
    );
  });

  it("a plain fault still answers before the handler: nothing is applied", async () => {
    emulator.control.addFault({ path: "*/timeseries", method: "POST", status: 503, count: 1 });
    expect((await api("/timeseries", { items: [{ externalId: "not-applied" }] })).status).toBe(503);
    const byIds = await api("/timeseries/byids", { items: [{ externalId: "not-applied" }] });
    expect(byIds.status).toBe(400);
  });

  it("a fault that stops the request first wins, and the afterApply fault keeps its count for a request that is applied", async () => {
    emulator.control.addFault({ path: "*/timeseries", method: "POST", status: 503, count: 1 });
    emulator.control.addFault({
      path: "*/timeseries",
      method: "POST",
      status: 500,
      afterApply: true,
      count: 1,
    });
    const create = (externalId: string) => api("/timeseries", { items: [{ externalId }] });
    expect((await create("first")).status).toBe(503);
    expect((await create("second")).status).toBe(500);
    expect((await create("third")).status).toBe(201);
    const byIds = await api("/timeseries/byids", {
      items: [{ externalId: "first" }, { externalId: "second" }, { externalId: "third" }],
      ignoreUnknownIds: true,
    });
    const found = ((await byIds.json()) as { items: Array<{ externalId: string }> }).items;
    expect(found.map((ts) => ts.externalId).sort()).toEqual(["second", "third"]);
  });

  it("refuses an afterApply fault that does nothing after, or answers 429", async () => {
    const add = (body: unknown) =>
      fetch(`${emulator.baseUrl}/_emulator/faults`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    const noEffect = await add({ path: "*", afterApply: true, latencyMs: 10 });
    expect(noEffect.status).toBe(400);
    expect(((await noEffect.json()) as { error: { message: string } }).error.message).toContain("afterApply");
    const throttled = await add({ path: "*", afterApply: true, status: 429 });
    expect(throttled.status).toBe(400);
    expect(((await throttled.json()) as { error: { message: string } }).error.message).toContain("429");
    const listed = (await (await fetch(`${emulator.baseUrl}/_emulator/faults`)).json()) as {
      paths: unknown[];
    };
    expect(listed.paths).toEqual([]);
  });
});
