import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CogniteClient } from "@cognite/sdk";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { type Emulator, startEmulator } from "../src/index.js";
import { createTestClient } from "../src/testing/index.js";
import { createFunction, uploadFile, zipOf } from "./fixtures/functionKit.js";

let dataDir: string;
const running: Emulator[] = [];

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "cdf-emulator-persistence-"));
});

afterEach(async () => {
  for (const e of running.splice(0)) await e.close();
  await rm(dataDir, { recursive: true, force: true });
});

async function start(
  options: { clock?: string } = {},
): Promise<{ emulator: Emulator; client: CogniteClient }> {
  const emulator = await startEmulator({ port: 0, project: "persist", dataDir, ...options });
  running.push(emulator);
  return { emulator, client: createTestClient(emulator) };
}

async function stop(emulator: Emulator): Promise<void> {
  await emulator.close();
  running.splice(running.indexOf(emulator), 1);
}

describe("dataDir", () => {
  it("time series, raw rows and the clock survive a restart", async () => {
    const first = await start({ clock: "2024-05-01T00:00:00Z" });
    const [ts] = await first.client.timeseries.create([{ externalId: "kpi:a", metadata: { k: "v" } }]);
    await first.client.raw.insertRows(
      "kpi_state",
      "runs",
      [{ key: "kpi:a", columns: { lastWindow: 123 } }],
      true,
    );
    await first.emulator.control.advanceClock("3h");
    await stop(first.emulator);

    const second = await start({ clock: "2030-01-01T00:00:00Z" });
    expect(second.emulator.control.now()).toBe(Date.parse("2024-05-01T03:00:00Z"));
    const [again] = await second.client.timeseries.retrieve([{ externalId: "kpi:a" }]);
    expect(again?.id).toBe(ts?.id);
    expect(again?.metadata).toEqual({ k: "v" });
    expect((await second.client.raw.retrieveRow("kpi_state", "runs", "kpi:a")).columns).toEqual({
      lastWindow: 123,
    });
    const [db] = await second.client.raw.listDatabases().autoPagingToArray();
    expect(Number(db?.createdTime)).toBe(Date.parse("2024-05-01T00:00:00Z"));
  });

  it("new series after a restart get fresh ids", async () => {
    const first = await start();
    const [a] = await first.client.timeseries.create([{ externalId: "a" }]);
    await stop(first.emulator);
    const second = await start();
    const [b] = await second.client.timeseries.create([{ externalId: "b" }]);
    expect(b?.id).not.toBe(a?.id);
  });

  it("clients and unexpired tokens survive a restart", async () => {
    const first = await start();
    first.emulator.control.addClient({
      clientId: "reader",
      clientSecret: "s",
      capabilities: [{ timeSeriesAcl: { actions: ["READ"], scope: { all: {} } } }],
    });
    const token = first.emulator.control.token("reader");
    await stop(first.emulator);
    const second = await start();
    const response = await fetch(`${second.emulator.baseUrl}/api/v1/projects/persist/timeseries`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(response.status).toBe(200);
  });

  it("POST /_emulator/save writes the state without stopping", async () => {
    const { emulator, client } = await start();
    await client.timeseries.create([{ externalId: "saved" }]);
    const response = await fetch(`${emulator.baseUrl}/_emulator/save`, { method: "POST" });
    expect(response.status).toBe(200);
    expect((await readdir(dataDir)).sort()).toEqual(
      expect.arrayContaining(["auth.json", "clock.json", "raw.json", "timeseries.json"]),
    );
  });

  it("saves asked for at once all succeed, one after another, and what they saved loads", async () => {
    const first = await start({ clock: "2024-05-01T00:00:00Z" });
    await first.client.raw.insertRows("kpi_state", "runs", [{ key: "k", columns: { v: 1 } }], true);
    await first.client.timeseries.create([{ externalId: "kpi:saved" }]);
    const saves = await Promise.allSettled(Array.from({ length: 6 }, () => first.emulator.control.save()));
    expect(saves.map((s) => s.status)).toEqual(Array(6).fill("fulfilled"));
    expect((await readdir(dataDir)).filter((f) => f.endsWith(".tmp"))).toEqual([]);
    await stop(first.emulator);
    const second = await start();
    expect((await second.client.raw.retrieveRow("kpi_state", "runs", "k")).columns).toEqual({ v: 1 });
    expect(await second.client.timeseries.retrieve([{ externalId: "kpi:saved" }])).toHaveLength(1);
  });

  it("an empty dataDir starts empty at the given clock", async () => {
    const { emulator, client } = await start({ clock: "2024-02-02T00:00:00Z" });
    expect(emulator.control.now()).toBe(Date.parse("2024-02-02T00:00:00Z"));
    expect(await client.timeseries.list().autoPagingToArray()).toEqual([]);
  });

  it("sessions, files and functions replace their saved files by rename, never rewrite them in place", async () => {
    const { emulator, client } = await start();
    await client.sessions.create([{ tokenExchange: true }]);
    const fileId = await uploadFile(client, zipOf({ "handler.py": "def handle():\n    return 1\n" }), "code");
    const fn = await createFunction(emulator, client, { name: "f", externalId: "f", fileId });
    const saved = [
      "sessions.json",
      "files/index.json",
      `files/${fileId}.bin`,
      "functions/state.json",
      `functions/${fn.id}.zip`,
    ];
    const inodes = async () => Promise.all(saved.map(async (f) => (await stat(join(dataDir, f))).ino));
    await emulator.control.save();
    const before = await inodes();
    await emulator.control.save();
    // A new inode per save: the old file stays whole until the new one is complete (temp + rename).
    const after = await inodes();
    for (const [i, file] of saved.entries()) expect([file, after[i]]).not.toEqual([file, before[i]]);
  });

  it("a clock.json that is not JSON fails the start with its path and what to do", async () => {
    await writeFile(join(dataDir, "clock.json"), '{"now": 17');
    await expect(startEmulator({ dataDir })).rejects.toThrow(
      /clock\.json is not valid JSON .*delete it to start without the state it holds/,
    );
  });

  it("a clock.json without a time in ms fails the start", async () => {
    await writeFile(join(dataDir, "clock.json"), JSON.stringify({ now: "soon" }));
    await expect(startEmulator({ dataDir })).rejects.toThrow(/clock\.json has no "now" in ms/);
  });

  it("a store file that is not JSON fails the start with the same error", async () => {
    await writeFile(join(dataDir, "sessions.json"), "{");
    await expect(startEmulator({ dataDir })).rejects.toThrow(
      /sessions\.json is not valid JSON .*restore the data dir from a backup/,
    );
  });

  it("a save that fails for one resource is loud: 500 naming it, stats and the log say so, the rest is saved", async () => {
    const { emulator, client } = await start();
    await client.timeseries.create([{ externalId: "kept" }]);
    await client.raw.insertRows("db", "t", [{ key: "k", columns: { v: 1 } }], true);
    // A directory where raw.json goes: raw's rename over it fails, nothing else does.
    await mkdir(join(dataDir, "raw.json", "blocker"), { recursive: true });
    const logged = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      const response = await fetch(`${emulator.baseUrl}/_emulator/save`, { method: "POST" });
      expect(response.status).toBe(500);
      const { error } = (await response.json()) as {
        error: { code: number; message: string; failures: Array<{ resource: string; reason: string }> };
      };
      expect(error.message).toContain(`Saving to ${dataDir} failed for raw (`);
      expect(error.failures.map((f) => f.resource)).toEqual(["raw"]);
      expect(logged.mock.calls.map((c) => String(c[0]))).toEqual([
        expect.stringMatching(new RegExp(`^cdf-emulator: saving raw to ${dataDir} failed: `)),
      ]);
      const stats = (await (await fetch(`${emulator.baseUrl}/_emulator/stats`)).json()) as {
        lastSave: { dataDir: string; failures: Array<{ resource: string }> };
      };
      expect(stats.lastSave.dataDir).toBe(dataDir);
      expect(stats.lastSave.failures.map((f) => f.resource)).toEqual(["raw"]);
      expect(await readFile(join(dataDir, "timeseries.json"), "utf8")).toContain('"kept"');

      // Once the cause is gone, the next save succeeds and says so.
      await rm(join(dataDir, "raw.json"), { recursive: true });
      await emulator.control.save();
      expect(emulator.control.stats().lastSave?.failures).toEqual([]);
    } finally {
      logged.mockRestore();
    }
  });

  it("close() rejects when its save fails, naming the resource", async () => {
    const { emulator } = await start();
    await mkdir(join(dataDir, "clock.json", "blocker"), { recursive: true });
    const logged = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      await expect(stop(emulator)).rejects.toThrow(/failed for clock \(/);
    } finally {
      logged.mockRestore();
      running.splice(0);
    }
  });

  it("a dataDir that is a file is refused at start, naming it", async () => {
    const file = join(dataDir, "a-file");
    await writeFile(file, "x");
    await expect(startEmulator({ dataDir: file })).rejects.toThrow(
      `dataDir ${file} is a file, not a directory`,
    );
  });

  it("an empty project is refused at start", async () => {
    await expect(startEmulator({ project: "" })).rejects.toThrow(/^project "" is not a project name/);
  });
});
