import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { DEFAULT_STATE_LOCATION } from "@kpi-pipeline/cdf";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type FunctionSite, HOUR, KPIS_YAML, MINUTE, startFunctionSite, T0 } from "./functionOnEmulator.js";

// The Node entry end to end on the emulator, in-process: what a call writes, reports and logs.

const SELF = { functionExternalId: "kpi-function", epoch: 1 };
let site: FunctionSite;

beforeAll(async () => {
  site = await startFunctionSite({ clock: T0 + 2 * HOUR });
  await site.feed(T0 - HOUR, T0 + 2 * HOUR);
  await site.point(SELF);
});
afterEach(async () => {
  site.t.emulator.control.clearFaults();
  await writeFile(join(site.dir, "kpis.yaml"), KPIS_YAML);
});
afterAll(() => site?.close());

async function stateRows(): Promise<string[]> {
  const rows = await site.t.client.raw
    .listRows(DEFAULT_STATE_LOCATION.db, DEFAULT_STATE_LOCATION.table, { limit: 1000 })
    .autoPagingToArray({ limit: Number.POSITIVE_INFINITY })
    .catch(() => []);
  return rows.map((r) => JSON.stringify(r)).sort();
}

function outputsOf(all: FunctionSite) {
  return Promise.all([all.outputs("kpi:flow:mean:10m"), all.outputs("kpi:flow:count:1h")]);
}

describe("a call", () => {
  it("first a dry run: computes what a scheduled call would, writes nothing, reports it all as new", async () => {
    const before = await stateRows();
    const { code, result, stdout, stderr } = await site.call({ data: { mode: "dry-run" } });
    expect(code).toBe(0);
    expect(result).toMatchObject({
      status: "completed",
      mode: "dry-run",
      dryRun: { points: 12, new: 12, differing: 0 },
    });
    expect(await outputsOf(site)).toEqual([[], []]);
    expect(await stateRows()).toEqual(before);
    expect(stdout + stderr).not.toContain(site.token);
  });

  it("scheduled: writes every closed window, with the emulator's virtual now from the Date header", async () => {
    const { code, result, stderr } = await site.call();
    expect(code).toBe(0);
    expect(result).toMatchObject({
      status: "completed",
      mode: "scheduled",
      self: "kpi-function@1",
      clock: "server",
    });
    expect(Date.parse(result.at as string)).toBeGreaterThanOrEqual(T0 + 2 * HOUR);
    expect(Date.parse(result.at as string)).toBeLessThan(T0 + 2 * HOUR + MINUTE);
    // 10-minute windows closed 5 minutes (settle) before now: 00:00 to 01:50 is 11 windows, hourly: 1.
    const [tenMinute, hourly] = await outputsOf(site);
    expect(tenMinute!.map((d) => d.timestamp)).toEqual(
      Array.from({ length: 11 }, (_, i) => T0 + i * 10 * MINUTE),
    );
    expect(tenMinute![0]!.value).toBeCloseTo(4.5);
    expect(hourly!.map((d) => d.value)).toEqual([60]);
    expect(result.requests).toBeGreaterThan(0);
    // One JSON object per log line, one line per KPI with its full summary.
    const lines = stderr
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.filter((l) => l.kpi !== undefined).map((l) => l.kpi)).toEqual([
      "kpi:flow:mean:10m",
      "kpi:flow:count:1h",
    ]);
  });

  it("a dry run after it finds what is stored the same", async () => {
    const { result } = await site.call({ data: { mode: "dry-run" } });
    expect(result).toMatchObject({ status: "completed", dryRun: { points: 0 } });
  });

  it("backfill: rewrites the windows in [from, to) after a correction, scheduled runs untouched", async () => {
    await site.t.client.datapoints.insert([
      { externalId: "in:flow", datapoints: [{ timestamp: T0 + 5 * MINUTE, value: 1000 }] },
    ]);
    const dry = await site.call({ data: { mode: "dry-run" } });
    // A dry run polls no changes: the correction is the next scheduled run's to see.
    expect(dry.result).toMatchObject({ dryRun: { points: 0 } });
    const { code, result } = await site.call({
      data: {
        mode: "backfill",
        from: "2024-04-01T00:00:00Z",
        to: T0 + 10 * MINUTE,
        kpis: ["kpi:flow:mean:10m"],
      },
    });
    expect(code).toBe(0);
    expect(result).toMatchObject({
      status: "completed",
      mode: "backfill",
      // Same definition, same grid: nothing off its windows to delete.
      backfill: { kpis: 1, complete: 1, removed: 0 },
    });
    const [tenMinute, hourly] = await outputsOf(site);
    expect(tenMinute![0]!.value).toBeCloseTo((0 + 1 + 2 + 3 + 4 + 1000 + 6 + 7 + 8 + 9) / 10);
    expect(tenMinute![1]!.value).toBeCloseTo(14.5);
    expect(hourly!.map((d) => d.value)).toEqual([60]);
  });

  it("is fenced while the pointer names another version: nothing written, no state", async () => {
    await site.t.emulator.control.advanceClock(HOUR);
    await site.feed(T0 + 2 * HOUR, T0 + 3 * HOUR);
    const before = await outputsOf(site);
    const state = await stateRows();
    for (const pointer of [{ ...SELF, epoch: 2 }, { functionExternalId: "other", epoch: 1 }, undefined]) {
      await site.point(pointer);
      const { code, result } = await site.call();
      expect(code).toBe(0);
      expect(result).toMatchObject({ status: "fenced", cursorsCommitted: false });
      expect(await outputsOf(site)).toEqual(before);
    }
    // The pointer row itself is the only state that changed (the test deleted it).
    expect((await stateRows()).filter((r) => !r.includes('"active-version"'))).toEqual(
      state.filter((r) => !r.includes('"active-version"')),
    );
    await site.point(SELF);
    const { result } = await site.call();
    expect(result).toMatchObject({ status: "completed", kpis: { due: 7 } });
  });

  it("takes over a run record left open by a call that died, once CDF's timeout has passed, and computes nothing twice", async () => {
    await site.t.emulator.control.advanceClock(HOUR);
    await site.feed(T0 + 3 * HOUR, T0 + 4 * HOUR);
    const now = Date.parse((await site.call({ data: { mode: "dry-run" } })).result.at as string);
    const { db, table } = DEFAULT_STATE_LOCATION;
    // A call killed 12 minutes ago (the emulator's timeout: 10 minutes) left its record open.
    await site.t.client.raw.insertRows(db, table, [
      { key: "pending:killed-call", columns: { document: { kpis: [], openSince: now - 12 * MINUTE } } },
    ]);
    const { result } = await site.call();
    // Taken over as a dead call's, and this call saw no other: nothing it wrote is left for a
    // rerun (a span in the window not closed yet may be kept; it is no work left over).
    expect(result).toMatchObject({ status: "completed", kpis: { due: 7, dirty: 0, pendingSpans: 0 } });
    expect((await stateRows()).filter((r) => r.includes('"pending:killed-call"'))).toEqual([]);
  });

  // Last: it leaves the hourly KPI's state on another definition.
  it("a dry run after a changed definition's backfill finished shows it taken up, as the next scheduled call will", async () => {
    await writeFile(
      join(site.dir, "kpis.yaml"),
      KPIS_YAML.replace("value: count(flow)", "value: count(flow) * 2"),
    );
    const waiting = await site.call({ data: { mode: "dry-run" } });
    expect(waiting.result).toMatchObject({ status: "incomplete", kpis: { failed: 1 } });
    const backfill = await site.call({
      data: {
        mode: "backfill",
        from: "2024-04-01T00:00:00Z",
        to: T0 + 4 * HOUR,
        kpis: ["kpi:flow:count:1h"],
      },
    });
    expect(backfill.result).toMatchObject({ status: "completed", backfill: { complete: 1 } });
    const dry = await site.call({ data: { mode: "dry-run" } });
    expect(dry.result).toMatchObject({ status: "completed", kpis: { failed: 0 } });
    const scheduled = await site.call();
    expect(scheduled.result).toMatchObject({ status: "completed", kpis: { failed: 0 } });
  });
});
