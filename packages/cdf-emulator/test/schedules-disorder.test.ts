// Schedule ticks as untidy as CDF's: late (the call starts after its tick, with the tick's
// scheduled_time), late by a whole interval (it runs alongside the next tick's call), and
// duplicated (two calls for one tick, at once). All reproducible (tickDraw), and a clock move
// still returns only when every call it started has settled.

import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CogniteClient } from "@cognite/sdk";
import { beforeEach, describe, expect, it } from "vitest";
import { TICK_DECISION, tickDraw } from "../src/functions/tickDraw.js";
import type { Emulator } from "../src/index.js";
import { emulatorSuite } from "./fixtures/emulatorSuite.js";
import {
  type CallBody,
  deploy,
  functionsContractOptions,
  nonce,
  projectPath,
} from "./fixtures/functionKit.js";

const T0 = Date.parse("2024-01-01T00:00:00Z");
const MINUTE = 60_000;

// Holds a lock file for a moment: a call that finds the lock taken ran at the same time as another.
const LOCKING = `
import os, time
def handle(data, function_call_info):
    lock = os.path.join(data["dir"], "lock")
    try:
        fd = os.open(lock, os.O_CREAT | os.O_EXCL)
    except FileExistsError:
        return {"overlapped": True}
    try:
        time.sleep(0.6)
    finally:
        os.close(fd)
        os.remove(lock)
    return {"overlapped": False}
`;
// Asks the emulator for something and returns the answer's Date header: the time the call can see.
const CLOCK_READER = `
import urllib.request
def handle(client, function_call_info):
    name, value = client.config.credentials.authorization_header()
    url = client.config.base_url + "/api/v1/projects/" + client.config.project + "/functions/limits"
    with urllib.request.urlopen(urllib.request.Request(url, headers={name: value})) as answer:
        return {"date": answer.headers["Date"], "info": function_call_info}
`;
// Writes one datapoint, then stays a moment so that a call started with it is still running.
const ONE_WRITE = `
import json, time, urllib.request
def handle(client, function_call_info):
    name, value = client.config.credentials.authorization_header()
    url = client.config.base_url + "/api/v1/projects/" + client.config.project + "/timeseries/data"
    body = {"items": [{"externalId": "written", "datapoints": [{"timestamp": function_call_info["call_id"] % 1000000, "value": 1}]}]}
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers={name: value, "content-type": "application/json"})
    urllib.request.urlopen(request).read()
    time.sleep(0.8)
    return {}
`;
const QUICK = `
def handle(function_call_info):
    return function_call_info
`;

let emulator: Emulator;
let client: CogniteClient;

emulatorSuite(
  {
    project: "schedules-disorder-test",
    contract: functionsContractOptions,
    settings: { deployQueuedMs: 1_000, deployDeployingMs: 2_000 },
  },
  (started) => {
    ({ emulator, client } = started);
  },
);

beforeEach(async () => {
  await emulator.control.setClock(T0);
});

async function schedule(item: Record<string, unknown>): Promise<{ id: number }> {
  const response = await client.post<{ items: Array<{ id: number }> }>(
    projectPath(emulator, "/functions/schedules"),
    { data: { items: [{ nonce: await nonce(client), ...item }] } },
  );
  return response.data.items[0] as { id: number };
}

async function callsOf(functionId: number): Promise<CallBody[]> {
  const response = await client.post<{ items: CallBody[] }>(
    projectPath(emulator, `/functions/${functionId}/calls/list`),
    { data: { limit: 1000 } },
  );
  return response.data.items.sort((a, b) => a.id - b.id);
}

async function responseOf(functionId: number, callId: number): Promise<unknown> {
  const response = await client.get<{ response: unknown }>(
    projectPath(emulator, `/functions/${functionId}/calls/${callId}/response`),
  );
  return response.data.response;
}

/** The first tick from `from` on (every 10 minutes) that tickDraw makes late or not, as asked. */
function tickWhere(scheduleId: number, late: boolean, p: number, from: number): number {
  for (let t = from; ; t += 10 * MINUTE) {
    if (tickDraw(scheduleId, t, TICK_DECISION.late) < p === late) return t;
  }
}

describe("late ticks", () => {
  it("every tick late by 3 minutes: each call starts 3 minutes after its tick and carries the tick as scheduled_time", async () => {
    const fn = await deploy(emulator, client, "late", { "handler.py": QUICK });
    const s = await schedule({ name: "s", cronExpression: "*/10 * * * *", functionId: fn.id });
    emulator.control.addFunctionFault({ function: "late", lateTickProbability: 1, lateTickMs: 3 * MINUTE });
    const start = emulator.control.now();
    await emulator.control.advanceClock("30m");
    const ticks = [10, 20].map((m) => T0 + m * MINUTE).filter((t) => t > start);
    let calls = await callsOf(fn.id);
    expect(calls.map((c) => [c.status, c.scheduledTime, c.startTime])).toEqual(
      ticks.map((t) => ["Completed", t, t + 3 * MINUTE]),
    );
    // The 00:30 tick's call is due at 00:33, past this move: it starts when the clock gets there.
    await emulator.control.advanceClock("3m");
    calls = await callsOf(fn.id);
    expect(calls.at(-1)).toMatchObject({ scheduledTime: T0 + 30 * MINUTE, startTime: T0 + 33 * MINUTE });
    expect(await responseOf(fn.id, (calls.at(-1) as CallBody).id)).toMatchObject({
      schedule_id: s.id,
      scheduled_time: T0 + 30 * MINUTE,
    });
  });

  it("late by one interval: the late call starts with the next tick's call and both run at the same time", async () => {
    const dir = mkdtempSync(join(tmpdir(), "late-overlap-"));
    const fn = await deploy(emulator, client, "overlap", { "handler.py": LOCKING });
    const s = await schedule({ name: "s", cronExpression: "*/10 * * * *", functionId: fn.id, data: { dir } });
    emulator.control.addFunctionFault({
      function: "overlap",
      lateTickProbability: 0.5,
      lateTickMs: 10 * MINUTE,
    });
    // A late tick followed by one on time: both calls start at the second tick.
    let late = tickWhere(s.id, true, 0.5, T0 + 10 * MINUTE);
    while (tickDraw(s.id, late + 10 * MINUTE, TICK_DECISION.late) < 0.5)
      late = tickWhere(s.id, true, 0.5, late + 10 * MINUTE);
    await emulator.control.setClock(late + 10 * MINUTE);
    const together = (await callsOf(fn.id)).filter((c) => c.startTime === late + 10 * MINUTE);
    expect(together.map((c) => c.scheduledTime).sort()).toEqual([late, late + 10 * MINUTE]);
    expect(together.every((c) => c.status === "Completed")).toBe(true);
    const overlapped = await Promise.all(together.map((c) => responseOf(fn.id, c.id)));
    expect(overlapped).toContainEqual({ overlapped: true });
  });

  it("refuses lateTickProbability without lateTickMs, and lateTickMs out of 1 ms to one day", async () => {
    const add = async (body: unknown) => {
      const response = await fetch(`${emulator.baseUrl}/_emulator/faults`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      return {
        status: response.status,
        message: ((await response.json()) as { error?: { message: string } }).error?.message,
      };
    };
    expect(await add({ function: "x", lateTickProbability: 0.5 })).toMatchObject({
      status: 400,
      message: expect.stringContaining("lateTickMs"),
    });
    expect((await add({ function: "x", lateTickProbability: 0.5, lateTickMs: 0 })).status).toBe(400);
    expect((await add({ function: "x", lateTickProbability: 0.5, lateTickMs: 86_400_001 })).status).toBe(400);
    expect((await add({ function: "x", duplicateTickProbability: 1.5 })).status).toBe(400);
    expect(() => emulator.control.addFunctionFault({ function: "x", skipTickProbability: 2 })).toThrow(
      /skipTickProbability/,
    );
  });
});

describe("the time a call sees", () => {
  it("the Date header of the emulator's answers is the call's virtual start, 2 minutes after a late tick's scheduled_time", async () => {
    const fn = await deploy(emulator, client, "clock-reader", { "handler.py": CLOCK_READER });
    await schedule({ name: "s", cronExpression: "*/10 * * * *", functionId: fn.id });
    emulator.control.addFunctionFault({
      function: "clock-reader",
      lateTickProbability: 1,
      lateTickMs: 2 * MINUTE,
    });
    await emulator.control.setClock(T0 + 12 * MINUTE);
    const [call] = await callsOf(fn.id);
    expect(call).toMatchObject({
      status: "Completed",
      scheduledTime: T0 + 10 * MINUTE,
      startTime: T0 + 12 * MINUTE,
    });
    const response = (await responseOf(fn.id, (call as CallBody).id)) as {
      date: string;
      info: { scheduled_time: number };
    };
    expect(Date.parse(response.date)).toBe(T0 + 12 * MINUTE);
    expect(response.info.scheduled_time).toBe(T0 + 10 * MINUTE);
  });
});

describe("duplicated ticks", () => {
  it("every tick duplicated: two calls per tick, started together, running at the same time", async () => {
    const dir = mkdtempSync(join(tmpdir(), "duplicate-"));
    const fn = await deploy(emulator, client, "twice", { "handler.py": LOCKING });
    await schedule({ name: "s", cronExpression: "*/10 * * * *", functionId: fn.id, data: { dir } });
    emulator.control.addFunctionFault({ function: "twice", duplicateTickProbability: 1 });
    const start = emulator.control.now();
    await emulator.control.advanceClock("20m");
    const ticks = [10, 20].map((m) => T0 + m * MINUTE).filter((t) => t > start);
    const calls = await callsOf(fn.id);
    expect(calls.map((c) => [c.status, c.scheduledTime, c.startTime])).toEqual(
      ticks.flatMap((t) => [
        ["Completed", t, t],
        ["Completed", t, t],
      ]),
    );
    for (const t of ticks) {
      const pair = calls.filter((c) => c.scheduledTime === t);
      const responses = await Promise.all(pair.map((c) => responseOf(fn.id, c.id)));
      expect(responses).toContainEqual({ overlapped: true });
    }
  });
});

describe("overlapping calls and the crash fault", () => {
  it("two calls of one duplicated tick share the schedule's session, but each counts only its own writes", async () => {
    emulator.control.createTimeSeries([{ externalId: "written" }]);
    const fn = await deploy(emulator, client, "one-write", { "handler.py": ONE_WRITE });
    await schedule({ name: "s", cronExpression: "*/10 * * * *", functionId: fn.id });
    emulator.control.addFunctionFault({
      function: "one-write",
      duplicateTickProbability: 1,
      crashAfterDatapointWrites: 2,
    });
    await emulator.control.setClock(T0 + 10 * MINUTE);
    const calls = await callsOf(fn.id);
    expect(calls.map((c) => [c.status, c.scheduledTime, c.error?.message])).toEqual([
      ["Completed", T0 + 10 * MINUTE, undefined],
      ["Completed", T0 + 10 * MINUTE, undefined],
    ]);
  });
});

describe("every fault at once", () => {
  // Which ticks are skipped, late or duplicated is tickDraw's answer for (schedule, tick): the same
  // on every run, so the test can say which calls must exist.
  it("advancing a day returns with every call of the day settled: none Running, each tick accounted for", async () => {
    const fn = await deploy(emulator, client, "untidy", { "handler.py": QUICK });
    const s = await schedule({ name: "s", cronExpression: "0 */3 * * *", functionId: fn.id });
    const p = { skip: 0.35, late: 0.4, duplicate: 0.6 };
    const lateMs = 4 * 60 * MINUTE; // past the next tick: calls start out of order
    emulator.control.addFunctionFault({
      function: "untidy",
      skipTickProbability: p.skip,
      lateTickProbability: p.late,
      lateTickMs: lateMs,
      duplicateTickProbability: p.duplicate,
    });
    const start = emulator.control.now();
    await emulator.control.advanceClock("1d");
    const end = emulator.control.now();
    const calls = await callsOf(fn.id);
    expect(calls.filter((c) => c.status !== "Completed")).toEqual([]);
    const expected: Array<[number, number]> = [];
    for (let t = T0 + 180 * MINUTE; t <= end; t += 180 * MINUTE) {
      if (t <= start || tickDraw(s.id, t) < p.skip) continue;
      const at = tickDraw(s.id, t, TICK_DECISION.late) < p.late ? t + lateMs : t;
      if (at > end) continue;
      const copies = tickDraw(s.id, t, TICK_DECISION.duplicate) < p.duplicate ? 2 : 1;
      for (let i = 0; i < copies; i++) expected.push([t, at]);
    }
    const byTick = (a: [number, number], b: [number, number]) => a[0] - b[0] || a[1] - b[1];
    expect(
      calls.map((c) => [c.scheduledTime as number, c.startTime] as [number, number]).sort(byTick),
    ).toEqual(expected.sort(byTick));
    // The draws do skip, delay and duplicate some ticks, so the test is not vacuous.
    expect(expected.length).toBeLessThan(8 + 8);
    expect(new Set(expected.map(([t]) => t)).size).toBeLessThan(8);
    expect(expected.some(([t, at]) => at > t)).toBe(true);
    expect(expected.length).not.toBe(new Set(expected.map(([t]) => t)).size);
  }, 120_000);
});
