// `pnpm bench`: insert and read back N points (default 10 million) through the real SDK against
// the emulator running in a child process, and report points/s each way, request counts and the
// emulator's CPU share. Goal (issue #3): >= 2 million points/s served on raw list pages.
//
//   node --import tsx bench/run.ts [--points 10000000] [--series 10] [--concurrency 4] [--json]

import { execSync, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { cpus } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { CogniteClient } from "@cognite/sdk";
import { allocColumns } from "../src/datapoints/columns.js";
import { readRawPage } from "../src/datapoints/readRawPage.js";
import { SeriesPoints } from "../src/datapoints/seriesPoints.js";

const PAGE = 100_000;
const T0 = Date.UTC(2020, 0, 1);

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i === -1) return fallback;
  const n = Number(process.argv[i + 1]);
  if (!Number.isInteger(n) || n <= 0)
    throw new Error(`--${name} must be a positive integer, got ${process.argv[i + 1]}`);
  return n;
}

const totalPoints = option("points", 10_000_000);
const seriesCount = option("series", 10);
const concurrency = option("concurrency", 4);
const perSeries = Math.ceil(totalPoints / seriesCount);

const ticksPerSecond = Number(execSync("getconf CLK_TCK").toString().trim()) || 100;
function processCpuSeconds(pid: number): number {
  // Fields 14 and 15 of /proc/<pid>/stat: user and system time in clock ticks (after the ")" of comm).
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}
function clientCpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

async function startChild(): Promise<{
  baseUrl: string;
  project: string;
  token: string;
  pid: number;
  stop: () => void;
}> {
  const here = dirname(fileURLToPath(import.meta.url));
  const child = spawn(process.execPath, ["--import", "tsx", join(here, "emulatorProcess.ts")], {
    cwd: join(here, ".."),
    stdio: ["ignore", "pipe", "inherit"],
  });
  const line = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.once("line", resolve);
    child.once("exit", (code) =>
      reject(new Error(`emulator process exited with ${code} before it was ready`)),
    );
  });
  const info = JSON.parse(line) as { baseUrl: string; project: string; token: string; pid: number };
  return { ...info, stop: () => child.kill("SIGTERM") };
}

/** One phase's wall-clock and CPU time: the emulator's (child process) and this client's. */
interface PhaseTimes {
  seconds: number;
  emulatorCpuSeconds: number;
  clientCpuSeconds: number;
}

/** Run `tasks`, `concurrency` at a time, timing them against the emulator process `pid`. */
async function timePhase(pid: number, tasks: Array<() => Promise<void>>): Promise<PhaseTimes> {
  const cpu0 = processCpuSeconds(pid);
  const client0 = clientCpuSeconds();
  const t0 = performance.now();
  await pool(tasks, concurrency);
  return {
    seconds: (performance.now() - t0) / 1000,
    emulatorCpuSeconds: processCpuSeconds(pid) - cpu0,
    clientCpuSeconds: clientCpuSeconds() - client0,
  };
}

function phaseReport(requests: number, points: number, times: PhaseTimes) {
  return {
    requests,
    seconds: round(times.seconds),
    pointsPerSecond: Math.round(points / times.seconds),
    emulatorCpuSeconds: round(times.emulatorCpuSeconds),
    emulatorCpuShare: round(times.emulatorCpuSeconds / times.seconds),
    clientCpuSeconds: round(times.clientCpuSeconds),
    emulatorPointsPerCpuSecond: Math.round(points / times.emulatorCpuSeconds),
  };
}

/** The body of one raw `/timeseries/data/list` page of a series, from `cursor`. */
function rawPageQuery(externalId: string, cursor: string | undefined) {
  return {
    items: [
      { externalId, start: T0, end: T0 + perSeries * 1000, limit: PAGE, ...(cursor ? { cursor } : {}) },
    ],
  };
}

async function pool<T>(tasks: Array<() => Promise<T>>, width: number): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < tasks.length) {
        const i = next++;
        results[i] = await tasks[i]!();
      }
    }),
  );
  return results;
}

/**
 * Serializing one 100k-point page, best of 15: fractional values (the emulator's JSON.stringify
 * path vs hand concatenation) and integer values (the emulator's digit writer).
 */
function serializationMicrobench(): { concatMs: number; stringifyMs: number; integerPageMs: number } {
  const s = new SeriesPoints(false);
  const c = allocColumns(false, PAGE, false, false);
  const ints = new SeriesPoints(false);
  const ci = allocColumns(false, PAGE, false, false);
  for (let i = 0; i < PAGE; i++) {
    c.ts[i] = T0 + i * 1000;
    c.num![i] = Math.sin(i) * 100;
    ci.ts[i] = T0 + i * 1000;
    ci.num![i] = i % 977;
  }
  c.length = PAGE;
  ci.length = PAGE;
  s.insert(c);
  ints.insert(ci);
  const query = {
    start: T0,
    end: T0 + PAGE * 1000,
    limit: PAGE,
    includeOutsidePoints: false,
    includeStatus: false,
    ignoreBad: true,
    uncertainIsBad: true,
  };
  // Best of 15 rounds each, interleaved, so that load from other processes hurts both alike.
  let stringifyMs = Number.POSITIVE_INFINITY;
  let concatMs = Number.POSITIVE_INFINITY;
  let integerPageMs = Number.POSITIVE_INFINITY;
  for (let r = 0; r < 15; r++) {
    let t = performance.now();
    readRawPage(s, query);
    stringifyMs = Math.min(stringifyMs, performance.now() - t);
    t = performance.now();
    readRawPage(ints, query);
    integerPageMs = Math.min(integerPageMs, performance.now() - t);
    t = performance.now();
    let text = "";
    for (let i = 0; i < PAGE; i++) text += `,{"timestamp":${c.ts[i]},"value":${c.num![i]}}`;
    if (text.length === 0) throw new Error("unreachable");
    concatMs = Math.min(concatMs, performance.now() - t);
  }
  return { concatMs, stringifyMs, integerPageMs };
}

async function main(): Promise<void> {
  const micro = serializationMicrobench();
  const child = await startChild();
  const client = new CogniteClient({
    appId: "bench",
    project: child.project,
    baseUrl: child.baseUrl,
    oidcTokenProvider: async () => child.token,
  });
  try {
    const externalIds = Array.from({ length: seriesCount }, (_, i) => `bench:${i}`);
    for (let i = 0; i < externalIds.length; i += 1000) {
      await client.timeseries.create(externalIds.slice(i, i + 1000).map((externalId) => ({ externalId })));
    }

    // Insert: 100k-point requests, one series per request, `concurrency` in flight.
    const insertTasks: Array<() => Promise<void>> = [];
    for (const externalId of externalIds) {
      for (let from = 0; from < perSeries; from += PAGE) {
        const n = Math.min(PAGE, perSeries - from);
        insertTasks.push(async () => {
          const datapoints = new Array(n);
          for (let i = 0; i < n; i++)
            datapoints[i] = { timestamp: T0 + (from + i) * 1000, value: (from + i) % 977 };
          await client.datapoints.insert([{ externalId, datapoints }]);
        });
      }
    }
    const insert = await timePhase(child.pid, insertTasks);

    // Read: raw pages of 100k via cursors, `concurrency` series in parallel.
    let readRequests = 0;
    let readPoints = 0;
    const path = `/api/v1/projects/${child.project}/timeseries/data/list`;
    const readTasks = externalIds.map((externalId) => async () => {
      let cursor: string | undefined;
      do {
        const res = await client.post<{ items: Array<{ datapoints: unknown[]; nextCursor?: string }> }>(
          path,
          { data: rawPageQuery(externalId, cursor) },
        );
        readRequests++;
        const item = res.data.items[0]!;
        readPoints += item.datapoints.length;
        cursor = item.nextCursor;
      } while (cursor);
    });
    const read = await timePhase(child.pid, readTasks);
    if (readPoints !== perSeries * seriesCount) {
      throw new Error(`read back ${readPoints} points, inserted ${perSeries * seriesCount}`);
    }

    // Serve: the same pages over plain fetch, counting points in the bytes instead of parsing
    // them, so the wall-clock rate shows what the emulator serves when the client is not the limit.
    const marker = Buffer.from('{"timestamp":');
    let servePoints = 0;
    let serveRequests = 0;
    const serveTasks = externalIds.map((externalId) => async () => {
      let cursor: string | undefined;
      do {
        const { status, body } = await postRaw(
          `${child.baseUrl}${path}`,
          child.token,
          JSON.stringify(rawPageQuery(externalId, cursor)),
        );
        if (status !== 200) throw new Error(`list failed: ${status} ${body.toString().slice(0, 300)}`);
        serveRequests++;
        for (let at = body.indexOf(marker); at !== -1; at = body.indexOf(marker, at + marker.length))
          servePoints++;
        cursor = /"nextCursor":"([^"]+)"/.exec(body.toString("latin1", Math.max(0, body.length - 200)))?.[1];
      } while (cursor);
    });
    const serve = await timePhase(child.pid, serveTasks);
    if (servePoints !== readPoints) throw new Error(`served ${servePoints} points, expected ${readPoints}`);

    const result = {
      machine: `${cpus().length} x ${cpus()[0]?.model ?? "unknown CPU"}, Node ${process.version}`,
      points: readPoints,
      series: seriesCount,
      concurrency,
      insert: phaseReport(insertTasks.length, readPoints, insert),
      read: phaseReport(readRequests, readPoints, read),
      serve: phaseReport(serveRequests, servePoints, serve),
      serialization100k: {
        concatMs: round(micro.concatMs),
        stringifyMs: round(micro.stringifyMs),
        integerPageMs: round(micro.integerPageMs),
      },
      goal: "emulator serves >= 2,000,000 raw points/s (serve.pointsPerSecond, read.emulatorPointsPerCpuSecond)",
    };
    if (process.argv.includes("--json")) {
      console.log(JSON.stringify(result));
    } else {
      console.log(JSON.stringify(result, null, 2));
    }
  } finally {
    keepAlive.destroy();
    child.stop();
  }
}

// node:http with keep-alive: measured lighter on the client than fetch (undici) for 3.5 MB bodies.
const keepAlive = new Agent({ keepAlive: true });
function postRaw(url: string, token: string, body: string): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: "POST",
        agent: keepAlive,
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

await main();
