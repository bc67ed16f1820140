import { mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CogniteClient } from "@cognite/sdk";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
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
});
