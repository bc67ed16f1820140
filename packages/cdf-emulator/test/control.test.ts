import type { CogniteClient } from "@cognite/sdk";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { clockTimeProblem } from "../src/checkEmulatorOptions.js";
import { MAX_TIMESTAMP, MIN_TIMESTAMP } from "../src/datapoints/timeSpec.js";
import type { ClockParticipant, Emulator } from "../src/index.js";
import { emulatorSuite } from "./fixtures/emulatorSuite.js";

let emulator: Emulator;
let client: CogniteClient;

emulatorSuite(
  { project: "control-test", clock: "2024-01-01T00:00:00Z", resetBeforeEach: false },
  async (started) => {
    ({ emulator, client } = started);
    await client.authenticate();
  },
);

async function control(
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${emulator.baseUrl}/_emulator${path}`, {
    method,
    headers: { "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe("clock", () => {
  it("GET /clock reports the virtual now", async () => {
    const { body } = await control("GET", "/clock");
    expect(body.now).toBe(emulator.control.now());
  });

  it("set accepts an ISO time and returns the new now", async () => {
    const { body } = await control("POST", "/clock", { set: "2024-06-01T12:00:00Z" });
    expect(body.now).toBe(Date.parse("2024-06-01T12:00:00Z"));
  });

  it("advance accepts ms and durations", async () => {
    await control("POST", "/clock", { set: 0 });
    expect((await control("POST", "/clock", { advance: 90_000 })).body.now).toBe(90_000);
    expect((await control("POST", "/clock", { advance: "10m" })).body.now).toBe(90_000 + 600_000);
  });

  it("advancing stops at every participant wake-up in order", async () => {
    await emulator.control.setClock(0);
    const seen: number[] = [];
    const tick: ClockParticipant = {
      nextWakeup: (now) => (now < 3000 ? Math.floor(now / 1000) * 1000 + 1000 : undefined),
      onTime: (now) => {
        if (now % 1000 === 0 && now > 0 && now <= 3000) seen.push(now);
      },
    };
    emulator.control.clock.register(tick);
    await control("POST", "/clock", { advance: 5000 });
    expect(seen).toEqual([1000, 2000, 3000]);
  });

  it("wait: false reaches participants as clock.waitForWork = false", async () => {
    const observed: boolean[] = [];
    emulator.control.clock.register({
      nextWakeup: () => undefined,
      onTime: () => void observed.push(emulator.control.clock.waitForWork),
    });
    await control("POST", "/clock", { advance: 1, wait: false });
    await control("POST", "/clock", { advance: 1 });
    expect(observed).toEqual([false, true]);
    expect(emulator.control.clock.waitForWork).toBe(true);
  });

  it.each([
    ["set past 2099", { set: "2100-01-01T00:00:00Z" }],
    ["set to the first ms after 2099", { set: 4102444800000 }],
    ["set before 1900", { set: "1899-12-31T23:59:59.999Z" }],
    ["set far outside any date", { set: 1e300 }],
    ["advance past 2099", { advance: "60000d" }],
    ["advance by a huge number", { advance: 1e300 }],
  ])("%s answers 400 naming CDF's range, and the clock stays", async (_, body) => {
    const before = emulator.control.now();
    const { status, body: answer } = await control("POST", "/clock", body);
    expect(status).toBe(400);
    expect((answer.error as { message: string }).message).toContain(
      "from 1900-01-01T00:00:00.000Z to 2099-12-31T23:59:59.999Z",
    );
    expect(emulator.control.now()).toBe(before);
  });

  it("the last ms of 2099 is a valid clock time", async () => {
    const before = emulator.control.now();
    expect((await control("POST", "/clock", { set: 4102444799999 })).status).toBe(200);
    // Moving back just jumps; moving forward from 1900 would step through this suite's participants.
    expect((await control("POST", "/clock", { set: before })).status).toBe(200);
  });

  it("clockTimeProblem accepts exactly CDF's years 1900-2099", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.integer({ min: MIN_TIMESTAMP - 10, max: MIN_TIMESTAMP + 10 }),
          fc.integer({ min: MAX_TIMESTAMP - 10, max: MAX_TIMESTAMP + 10 }),
          fc.double(),
        ),
        (ms) => {
          const inRange = ms >= Date.UTC(1900, 0, 1) && ms < Date.UTC(2100, 0, 1);
          expect(clockTimeProblem(ms) === undefined).toBe(inRange);
        },
      ),
    );
  });

  it.each([
    ["a wait that is not a boolean", { advance: "1h", wait: "yes" }],
    ["set and advance together", { set: 0, advance: "1h" }],
    ["an unknown field", { advance: "1h", speed: 2 }],
  ])("%s answers 400 and the clock stays", async (_, body) => {
    const before = emulator.control.now();
    const { status } = await control("POST", "/clock", body);
    expect(status).toBe(400);
    expect(emulator.control.now()).toBe(before);
  });

  it("a body with neither set nor advance answers 400 explaining the shape", async () => {
    const { status, body } = await control("POST", "/clock", { jump: 5 });
    expect(status).toBe(400);
    expect(JSON.stringify(body)).toContain("advance");
  });
});

describe("faults", () => {
  it("POST /faults with a path adds a fault that GET /faults lists and DELETE clears", async () => {
    const added = await control("POST", "/faults", { path: "*/timeseries", status: 500, count: 3 });
    expect(added.body).toMatchObject({ path: "*/timeseries", status: 500, count: 3, hits: 0 });
    expect(((await control("GET", "/faults")).body.paths as unknown[]).length).toBe(1);
    await control("DELETE", "/faults");
    expect((await control("GET", "/faults")).body.paths).toEqual([]);
  });

  it("POST /faults with a function stores the function's fault settings in the context", async () => {
    await control("POST", "/faults", { function: "kpi-fn", failDeploy: true, skipTickProbability: 0.5 });
    await control("POST", "/faults", { function: "kpi-fn", crashAfterDatapointWrites: 2 });
    expect((await control("GET", "/faults")).body.functions).toEqual({
      "kpi-fn": { failDeploy: true, skipTickProbability: 0.5, crashAfterDatapointWrites: 2 },
    });
    await control("DELETE", "/faults");
  });

  it("a client without a secret is refused with 400 naming the field", async () => {
    const { status, body } = await control("POST", "/clients", { clientId: "x" });
    expect(status).toBe(400);
    expect((body.error as { message: string }).message).toContain("clientSecret");
  });

  it("an invalid status is refused", async () => {
    expect((await control("POST", "/faults", { path: "*", status: 404 })).status).toBe(400);
  });
});

describe("reset and stats", () => {
  it("stats count CDF requests per endpoint pattern and status, not control API calls", async () => {
    await control("POST", "/reset");
    await client.timeseries.create([{ externalId: "a" }]);
    await client.timeseries.create([{ externalId: "a" }]).catch(() => undefined);
    await client.raw.insertRows("db", "t", [{ key: "k", columns: {} }], true);
    const { body } = await control("GET", "/stats");
    const requests = body.requests as Record<string, Record<string, number>>;
    expect(requests["POST /timeseries"]).toEqual({ "201": 1, "409": 1 });
    expect(requests["POST /raw/dbs/:db/tables/:table/rows"]).toEqual({ "200": 1 });
    expect(body).toMatchObject({ datapointsInserted: 0, datapointsReturned: 0 });
    expect(Object.keys(requests).filter((k) => k.includes("_emulator"))).toEqual([]);
  });

  it("reset clears stores and stats but keeps clients, tokens and the clock", async () => {
    await client.timeseries.create([{ externalId: "before-reset" }]);
    const now = emulator.control.now();
    await control("POST", "/reset");
    expect(await client.timeseries.list().autoPagingToArray()).toEqual([]);
    expect(emulator.control.now()).toBe(now);
    expect(Object.keys((await control("GET", "/stats")).body.requests as object)).toEqual([
      "POST /timeseries/list",
    ]);
  });
});

describe("time series and health", () => {
  it("POST /timeseries creates a data-model series addressed by instanceId", async () => {
    const { status, body } = await control("POST", "/timeseries", {
      items: [{ instanceId: { space: "plant", externalId: "p1:flow" }, isStep: true }],
    });
    expect(status).toBe(200);
    expect(body.items).toMatchObject([
      { instanceId: { space: "plant", externalId: "p1:flow" }, isStep: true },
    ]);
    const [found] = await client.timeseries.retrieve([
      { instanceId: { space: "plant", externalId: "p1:flow" } },
    ]);
    expect(found?.isStep).toBe(true);
  });

  it("a data-model series created by the control API takes datapoints addressed by instanceId", async () => {
    const instanceId = { space: "plant", externalId: "p2:flow" };
    emulator.control.createTimeSeries([{ instanceId }]);
    await client.datapoints.insert([{ instanceId, datapoints: [{ timestamp: 5000, value: 2.5 }] }]);
    const [result] = await client.datapoints.retrieve({ items: [{ instanceId }], start: 0, end: 10_000 });
    const points = (result?.datapoints ?? []) as Array<{ timestamp: Date; value?: number }>;
    expect(points.map((d) => [d.timestamp.getTime(), d.value])).toEqual([[5000, 2.5]]);
  });

  it("GET /health answers ok with the project", async () => {
    const { body } = await control("GET", "/health");
    expect(body).toMatchObject({ status: "ok", project: "control-test" });
  });
});
