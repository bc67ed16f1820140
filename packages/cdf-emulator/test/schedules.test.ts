import type { CogniteClient } from "@cognite/sdk";
import fc from "fast-check";
import { beforeEach, describe, expect, it } from "vitest";
import {
  CronSyntaxError,
  describeCronExpression,
  isCronTick,
  nextCronTick,
  parseCronExpression,
} from "../src/functions/cronExpression.js";
import type { Emulator } from "../src/index.js";
import { emulatorSuite } from "./fixtures/emulatorSuite.js";
import { failure } from "./fixtures/failure.js";
import {
  type CallBody,
  deploy,
  functionsContractOptions,
  nonce,
  projectPath,
} from "./fixtures/functionKit.js";

const utc = (iso: string) => Date.parse(iso);

describe("cron expressions (UTC)", () => {
  it("every 10 minutes fires at the next multiple of 10 minutes", () => {
    const cron = parseCronExpression("*/10 * * * *");
    expect(nextCronTick(cron, utc("2024-01-01T00:03:00Z"))).toBe(utc("2024-01-01T00:10:00Z"));
  });

  it("the next tick is strictly after the given time", () => {
    const cron = parseCronExpression("*/10 * * * *");
    expect(nextCronTick(cron, utc("2024-01-01T00:10:00Z"))).toBe(utc("2024-01-01T00:20:00Z"));
  });

  it("a daily time rolls over to the next day and month", () => {
    const cron = parseCronExpression("30 6 * * *");
    expect(nextCronTick(cron, utc("2024-01-31T07:00:00Z"))).toBe(utc("2024-02-01T06:30:00Z"));
  });

  it("ranges, lists and steps combine", () => {
    const cron = parseCronExpression("0,30 8-10/2 * * *");
    const ticks: number[] = [];
    let t = utc("2024-01-01T00:00:00Z");
    for (let i = 0; i < 5; i++) {
      t = nextCronTick(cron, t) as number;
      ticks.push(t);
    }
    expect(ticks.map((x) => new Date(x).toISOString().slice(11, 16))).toEqual([
      "08:00",
      "08:30",
      "10:00",
      "10:30",
      "08:00",
    ]);
  });

  it("weekday names and 7 mean the same days as numbers (2024-01-06 is a Saturday)", () => {
    const byName = parseCronExpression("0 0 * * SAT,SUN");
    const byNumber = parseCronExpression("0 0 * * 6,7");
    const after = utc("2024-01-03T00:00:00Z");
    expect(nextCronTick(byName, after)).toBe(utc("2024-01-06T00:00:00Z"));
    expect(nextCronTick(byNumber, after)).toBe(utc("2024-01-06T00:00:00Z"));
  });

  it("a restricted day of month OR a restricted weekday fires, as in Vixie cron", () => {
    const cron = parseCronExpression("0 0 15 * MON");
    // 2024-01-08 is a Monday, before the 15th.
    expect(nextCronTick(cron, utc("2024-01-02T00:00:00Z"))).toBe(utc("2024-01-08T00:00:00Z"));
  });

  it("the 29th of February is found in the next leap year", () => {
    const cron = parseCronExpression("0 12 29 2 *");
    expect(nextCronTick(cron, utc("2024-03-01T00:00:00Z"))).toBe(utc("2028-02-29T12:00:00Z"));
  });

  it.each([
    ["* * * *", /expected 5 fields/],
    ["60 * * * *", /minute 60 is outside 0-59/],
    ["* 24 * * *", /hour 24/],
    ["*/0 * * * *", /step/],
    ["5-1 * * * *", /backwards/],
    ["0 0 30 2 *", /never matches/],
    ["a * * * *", /not a valid minute/],
  ])("rejects '%s'", (source, message) => {
    expect(() => parseCronExpression(source)).toThrow(CronSyntaxError);
    expect(() => parseCronExpression(source)).toThrow(message);
  });

  it("describes common expressions for the schedule's when field", () => {
    expect(describeCronExpression("*/10 * * * *")).toBe("Every 10 minutes");
    expect(describeCronExpression("5 6 * * *")).toBe("At 06:05");
    expect(describeCronExpression("0 0 * * MON")).toBe("At cron schedule '0 0 * * MON' (UTC)");
  });

  it("property: the next tick matches the expression and no matching minute lies between", () => {
    const field = (max: number) =>
      fc.oneof(
        fc.constant("*"),
        fc.integer({ min: 0, max }).map(String),
        fc.integer({ min: 1, max: 15 }).map((s) => `*/${s}`),
        fc
          .tuple(fc.integer({ min: 0, max }), fc.integer({ min: 0, max }))
          .map(([a, b]) => `${Math.min(a, b)}-${Math.max(a, b)}`),
      );
    fc.assert(
      fc.property(
        field(59),
        field(23),
        fc.integer({ min: 0, max: 365 * 24 * 60 }),
        (minute, hour, offsetMinutes) => {
          const cron = parseCronExpression(`${minute} ${hour} * * *`);
          const after = utc("2024-01-01T00:00:00Z") + offsetMinutes * 60_000 + 1234;
          const tick = nextCronTick(cron, after) as number;
          expect(tick).toBeGreaterThan(after);
          expect(isCronTick(cron, tick)).toBe(true);
          // Brute force over every minute in between, by the sets (day fields are all "*").
          for (let t = Math.ceil(after / 60_000) * 60_000; t < tick; t += 60_000) {
            const d = new Date(t);
            if (cron.minutes.has(d.getUTCMinutes()) && cron.hours.has(d.getUTCHours())) {
              throw new Error(`skipped tick ${d.toISOString()} before ${new Date(tick).toISOString()}`);
            }
          }
        },
      ),
      { numRuns: 200 },
    );
  }, 30_000);
});

describe("function schedules on the virtual clock", () => {
  let emulator: Emulator;
  let client: CogniteClient;
  const path = (p: string) => projectPath(emulator, p);
  const INFO = `
def handle(data, function_call_info):
    print("tick", function_call_info["scheduled_time"])
    return {"data": data, "info": function_call_info}
`;

  emulatorSuite(
    {
      project: "schedules-test",
      contract: functionsContractOptions,
      settings: { deployQueuedMs: 1_000, deployDeployingMs: 2_000 },
    },
    (started) => {
      ({ emulator, client } = started);
    },
  );

  // After the suite's reset (hooks run in the order they are registered).
  beforeEach(async () => {
    await emulator.control.setClock("2024-01-01T00:00:00Z");
  });

  async function schedule(item: Record<string, unknown>) {
    const response = await client.post<{ items: Array<Record<string, unknown> & { id: number }> }>(
      path("/functions/schedules"),
      { data: { items: [{ nonce: await nonce(client), ...item }] } },
    );
    return response.data.items[0] as Record<string, unknown> & { id: number };
  }

  async function callsOf(functionId: number): Promise<CallBody[]> {
    const response = await client.post<{ items: CallBody[] }>(path(`/functions/${functionId}/calls/list`), {
      data: { limit: 1000 },
    });
    return response.data.items.reverse();
  }

  it("fires every tick in order at its virtual time, with the schedule's data and scheduled_time", async () => {
    const fn = await deploy(emulator, client, "kpi", { "handler.py": INFO });
    const s = await schedule({
      name: "every 10 min",
      cronExpression: "*/10 * * * *",
      functionId: fn.id,
      data: { k: 1 },
    });
    await emulator.control.advanceClock("30m");
    const calls = await callsOf(fn.id);
    const t0 = utc("2024-01-01T00:00:00Z");
    expect(calls.map((c) => [c.status, c.scheduleId, c.scheduledTime, c.startTime])).toEqual([
      ["Completed", s.id, t0 + 10 * 60_000, t0 + 10 * 60_000],
      ["Completed", s.id, t0 + 20 * 60_000, t0 + 20 * 60_000],
      ["Completed", s.id, t0 + 30 * 60_000, t0 + 30 * 60_000],
    ]);
    const last = calls[2] as CallBody;
    const response = await client.get<{ response: unknown }>(
      path(`/functions/${fn.id}/calls/${last.id}/response`),
    );
    expect(response.data.response).toEqual({
      data: { k: 1 },
      info: { function_id: fn.id, call_id: last.id, schedule_id: s.id, scheduled_time: t0 + 30 * 60_000 },
    });
  });

  it("returns the schedule's shape with when and sessionId, and its data from input_data", async () => {
    const fn = await deploy(emulator, client, "shape", { "handler.py": INFO });
    const s = await schedule({
      name: "s",
      cronExpression: "*/10 * * * *",
      functionExternalId: "shape",
      data: { a: "b" },
    });
    expect(s).toMatchObject({
      name: "s",
      cronExpression: "*/10 * * * *",
      when: "Every 10 minutes",
      functionId: fn.id,
      functionExternalId: "shape",
      createdTime: emulator.control.now(),
    });
    expect(typeof s.sessionId).toBe("string");
    expect(s).not.toHaveProperty("data");
    const input = await client.get(path(`/functions/schedules/${s.id}/input_data`));
    expect(input.data).toEqual({ id: s.id, data: { a: "b" } });
  });

  it("stops firing once deleted", async () => {
    const fn = await deploy(emulator, client, "stop", { "handler.py": INFO });
    const s = await schedule({ name: "s", cronExpression: "*/10 * * * *", functionId: fn.id });
    await emulator.control.advanceClock("10m");
    await client.post(path("/functions/schedules/delete"), { data: { items: [{ id: s.id }] } });
    await emulator.control.advanceClock("30m");
    expect(await callsOf(fn.id)).toHaveLength(1);
  });

  it("skips every tick when the skipTickProbability fault is 1", async () => {
    const fn = await deploy(emulator, client, "skipped", { "handler.py": INFO });
    await schedule({ name: "s", cronExpression: "*/10 * * * *", functionId: fn.id });
    emulator.control.addFunctionFault({ function: "skipped", skipTickProbability: 1 });
    await emulator.control.advanceClock("1h");
    expect(await callsOf(fn.id)).toEqual([]);
  });

  it("rejects an invalid cron expression with 400 naming the field", async () => {
    const fn = await deploy(emulator, client, "badcron", { "handler.py": INFO });
    const error = await failure(schedule({ name: "s", cronExpression: "*/10 * * *", functionId: fn.id }));
    expect(error.status).toBe(400);
    expect(error.message).toMatch(/expected 5 fields/);
  });

  it("rejects a schedule without a nonce and one whose nonce was used", async () => {
    const fn = await deploy(emulator, client, "nonces", { "handler.py": INFO });
    const missing = await failure(
      client.post(path("/functions/schedules"), {
        data: { items: [{ name: "s", cronExpression: "* * * * *", functionId: fn.id }] },
      }),
    );
    expect(missing.status).toBe(400);
    const used = await nonce(client);
    await schedule({ name: "a", cronExpression: "* * * * *", functionId: fn.id, nonce: used });
    const again = await failure(
      schedule({ name: "b", cronExpression: "* * * * *", functionId: fn.id, nonce: used }),
    );
    expect(again.status).toBe(400);
    expect(again.message).toMatch(/already used/);
  });

  it("lists schedules filtered by function and retrieves them by id", async () => {
    const a = await deploy(emulator, client, "fa", { "handler.py": INFO });
    const b = await deploy(emulator, client, "fb", { "handler.py": INFO });
    const sa = await schedule({ name: "a", cronExpression: "0 * * * *", functionId: a.id });
    await schedule({ name: "b", cronExpression: "0 * * * *", functionId: b.id });
    const listed = await client.post<{ items: Array<{ id: number }> }>(path("/functions/schedules/list"), {
      data: { filter: { functionId: a.id } },
    });
    expect(listed.data.items.map((s) => s.id)).toEqual([sa.id]);
    const byIds = await client.post<{ items: Array<{ id: number }> }>(path("/functions/schedules/byids"), {
      data: { items: [{ id: sa.id }] },
    });
    expect(byIds.data.items.map((s) => s.id)).toEqual([sa.id]);
    expect((await failure(client.get(path("/functions/schedules/1")))).status).toBe(404);
  });
});
