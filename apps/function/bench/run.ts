// `pnpm bench` (after `pnpm build`): the function's zip on the emulator, 100 KPIs x 10 inputs of
// 1 Hz data with 10-minute windows. Measures a catch-up call after 24 hours of missed ticks and
// then three scheduled calls: real wall time of each call, peak RSS of its python and node
// processes, datapoint requests against the minimum, and the I/O floor: the same points paged by
// packages/cdf's reader from this process, with nothing computed.
//
//   node --import tsx bench/run.ts [--json]
//
// The emulator runs in a child process (as `pnpm cdf-emulator` does), so its CPU and memory are
// apart from ours, and the function's processes are its children, where /proc finds them.

import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { CogniteClient } from "@cognite/sdk";
import {
  ACTIVE_VERSION_KEY,
  DEFAULT_STATE_LOCATION,
  RawDocumentStore,
  readRawDatapoints,
  writeDatapoints,
} from "@kpi-pipeline/cdf";
import { buildFunctionZip } from "../src/functionZip.js";
import { connectToEmulator } from "./connectToEmulator.js";
import { ProcessTreeMemory } from "./processTreeMemory.js";

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const T = Date.parse("2030-01-07T00:00:00Z");
const INPUTS = 10;
const AGGREGATES = [
  "twa(x)",
  "mean(x)",
  "min(x)",
  "max(x)",
  "count(x)",
  "sum(x)",
  "stddev(x)",
  "percentile(x, 95)",
  "timeAbove(x, 50)",
  "coverage(x)",
];
const CDF_MAX_POINTS = 100_000;
const CDF_MAX_ITEMS = 100;

const kpisYaml = [
  `defaults: { settle: 1m, start: "${new Date(T).toISOString()}" }`,
  "kpis:",
  ...Array.from({ length: INPUTS }, (_, i) =>
    AGGREGATES.map(
      (value, j) =>
        `  - { externalId: "bench:kpi-${i}-${j}", window: { every: 10m }, inputs: { x: { externalId: "bench:in-${i}" } }, value: "${value}" }`,
    ),
  ).flat(),
].join("\n");
const inputs = Array.from({ length: INPUTS }, (_, i) => ({ externalId: `bench:in-${i}` }));

const app = (path: string) => fileURLToPath(new URL(`../${path}`, import.meta.url));
const zip = buildFunctionZip({
  bundle: readFileSync(app("dist/function.mjs")),
  sourceMap: readFileSync(app("dist/function.mjs.map")),
  handler: readFileSync(app("python/handler.py")),
  config: new TextEncoder().encode(kpisYaml),
}).zip;

const cli = join(dirname(fileURLToPath(import.meta.resolve("@kpi-pipeline/cdf-emulator"))), "cli.js");
const emulator = spawn(
  process.execPath,
  [cli, "--port", "0", "--project", "bench", "--json", "--clock", new Date(T - 2 * HOUR).toISOString()],
  { stdio: ["ignore", "pipe", "inherit"] },
);
const endpoint = JSON.parse(
  await new Promise<string>((resolve, reject) => {
    createInterface({ input: emulator.stdout! }).once("line", resolve);
    emulator.once("exit", (code) => reject(new Error(`the emulator exited with ${code} before it started`)));
  }),
) as Record<string, string>;

async function control(path: string, body?: unknown, method = "POST"): Promise<unknown> {
  const response = await fetch(`${endpoint.baseUrl}/_emulator/${path}`, {
    method,
    headers: { "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!response.ok)
    throw new Error(`${method} /_emulator/${path}: ${response.status} ${await response.text()}`);
  return response.json();
}
type Stats = { requests: Record<string, Record<string, number>> };
const stats = async () => (await control("stats", undefined, "GET")) as Stats;
function delta(after: Stats, before: Stats): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [route, byStatus] of Object.entries(after.requests)) {
    const n = Object.entries(byStatus).reduce(
      (sum, [status, c]) => sum + c - (before.requests[route]?.[status] ?? 0),
      0,
    );
    if (n > 0) out[route] = n;
  }
  return out;
}

try {
  const cdf = await connectToEmulator(endpoint);
  const client = cdf.client as unknown as CogniteClient;
  const api = `/api/v1/projects/${endpoint.project}`;
  await client.timeseries.create(inputs);

  /** 1 Hz points of every input in [from, to). */
  const feed = async (from: number, to: number) => {
    const length = (to - from) / SECOND;
    const timestamps = Float64Array.from({ length }, (_, k) => from + k * SECOND);
    await writeDatapoints(
      cdf,
      inputs.map((series, i) => ({
        series,
        points: {
          length,
          timestamps,
          values: Float64Array.from(
            timestamps,
            (ts) => 50 + 40 * Math.sin(ts / 600_000 + i) + ((ts / SECOND) % 7),
          ),
          statuses: new Uint32Array(length),
        },
      })),
    );
  };
  await feed(T - 10 * MINUTE, T + 24 * HOUR - MINUTE);

  const file = await client.files.upload(
    { name: "function.zip", externalId: "function.zip" },
    Buffer.from(zip),
    true,
    true,
  );
  const created = await client.post<{ items: Array<{ id: number }> }>(`${api}/functions`, {
    data: {
      items: [
        { name: "kpi-bench", externalId: "kpi-bench", fileId: file.id, envVars: { KPI_FUNCTION_EPOCH: "1" } },
      ],
    },
  });
  const functionId = created.data.items[0]!.id;
  for (;;) {
    const fn = await client.get<{ status: string; error?: { message: string } }>(
      `${api}/functions/${functionId}`,
    );
    if (fn.data.status === "Ready") break;
    if (fn.data.status === "Failed") throw new Error(`the deploy failed: ${fn.data.error?.message}`);
    await control("clock", { advance: "5s" });
  }
  await new RawDocumentStore(cdf, DEFAULT_STATE_LOCATION).put(ACTIVE_VERSION_KEY, {
    functionExternalId: "kpi-bench",
    epoch: 1,
    previous: null,
  });
  // Every tick of the 24 hours is missed; the first one that runs is the catch-up.
  await control("faults", { function: "kpi-bench", skipTickProbability: 1 });
  const session = await client.post<{ items: Array<{ nonce: string }> }>(`${api}/sessions`, {
    data: { items: [{ clientId: endpoint.clientId, clientSecret: endpoint.clientSecret }] },
  });
  await client.post(`${api}/functions/schedules`, {
    data: {
      items: [
        {
          name: "every 10 minutes",
          cronExpression: "*/10 * * * *",
          functionId,
          nonce: session.data.items[0]!.nonce,
          data: { mode: "scheduled" },
        },
      ],
    },
  });
  await control("clock", { set: T + 24 * HOUR - MINUTE });
  await control("faults", undefined, "DELETE");

  const memory = new ProcessTreeMemory(emulator.pid!);
  /** One tick's call: real time from moving the clock until the call ended, and what it did. */
  const tick = async (at: number) => {
    const before = await stats();
    memory.start();
    const started = performance.now();
    await control("clock", { set: at });
    const wallSeconds = (performance.now() - started) / 1000;
    const rss = memory.stop();
    const requests = delta(await stats(), before);
    const calls = await client.get<{
      items: Array<{ id: number; status: string; error?: { message: string } }>;
    }>(`${api}/functions/${functionId}/calls?limit=1`);
    const call = calls.data.items[0]!;
    if (call.status !== "Completed")
      throw new Error(
        `the call at ${new Date(at).toISOString()} ended ${call.status}: ${call.error?.message}`,
      );
    const response = await client.get<{ response: Record<string, unknown> }>(
      `${api}/functions/${functionId}/calls/${call.id}/response`,
    );
    return { wallSeconds, rss, requests, result: response.data.response };
  };
  /**
   * The I/O floor: the same series over the same range, paged with the reader and nothing else,
   * best of 3, each in a fresh node process (ioFloorChild.ts), cold as every call's node is. The
   * warm floor pages in this process after earlier rounds warmed it: a bound no call meets.
   */
  const floor = async (start: number, end: number) => {
    let best = Number.POSITIVE_INFINITY;
    let roundTripMs = Number.POSITIVE_INFINITY;
    let points = 0;
    let requests = 0;
    for (let round = 0; round < 3; round++) {
      const child = spawn(
        process.execPath,
        [
          "--import",
          "tsx",
          app("bench/ioFloorChild.ts"),
          JSON.stringify({ endpoint, series: inputs, start, end }),
        ],
        { stdio: ["ignore", "pipe", "inherit"] },
      );
      let out = "";
      child.stdout!.on("data", (chunk) => {
        out += chunk;
      });
      const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
      if (code !== 0) throw new Error(`the I/O floor's child exited with ${code}`);
      const measured = JSON.parse(out) as {
        seconds: number;
        points: number;
        requests: number;
        roundTripMs: number;
      };
      best = Math.min(best, measured.seconds);
      roundTripMs = Math.min(roundTripMs, measured.roundTripMs);
      ({ points, requests } = measured);
    }
    let warm = Number.POSITIVE_INFINITY;
    for (let round = 0; round < 3; round++) {
      const started = performance.now();
      for await (const batch of readRawDatapoints(cdf, { series: inputs, start, end })) void batch;
      warm = Math.min(warm, (performance.now() - started) / 1000);
    }
    return { seconds: best, warmSeconds: warm, points, requests, roundTripMs };
  };
  const datapointRequests = (requests: Record<string, number>) => ({
    reads: (requests["POST /timeseries/data/list"] ?? 0) + (requests["POST /timeseries/data/latest"] ?? 0),
    writes: requests["POST /timeseries/data"] ?? 0,
  });
  const minimum = (readPoints: number, writtenPoints: number) => ({
    // Reads: the pages the points need, or one request per 100 series, plus one query each side for context.
    reads: Math.max(Math.ceil(readPoints / CDF_MAX_POINTS), Math.ceil(INPUTS / CDF_MAX_ITEMS)) + 2,
    writes: Math.ceil(writtenPoints / CDF_MAX_POINTS),
  });

  const catchUp = await tick(T + 24 * HOUR);
  const catchUpFloor = await floor(T, T + 24 * HOUR - 10 * MINUTE);
  const scheduled = [];
  for (let k = 1; k <= 3; k++) {
    await feed(T + 24 * HOUR - MINUTE + (k - 1) * 10 * MINUTE, T + 24 * HOUR - MINUTE + k * 10 * MINUTE);
    scheduled.push(await tick(T + 24 * HOUR + k * 10 * MINUTE));
  }
  const scheduledFloor = await floor(T + 24 * HOUR, T + 24 * HOUR + 10 * MINUTE);

  const summarize = (
    run: Awaited<ReturnType<typeof tick>>,
    io: Awaited<ReturnType<typeof floor>>,
    windows: number,
  ) => {
    const made = datapointRequests(run.requests);
    const min = minimum(io.points, windows * INPUTS * AGGREGATES.length);
    const kpis = run.result.kpis as { due: number; pointsRead: number };
    return {
      status: run.result.status,
      windowsWritten: kpis.due,
      pointsRead: kpis.pointsRead,
      wallSeconds: Number(run.wallSeconds.toFixed(2)),
      elapsedSecondsInNode: run.result.elapsedSeconds,
      budgetSeconds: run.result.budgetSeconds,
      ioFloorSeconds: Number(io.seconds.toFixed(2)),
      ioFloorWarmSeconds: Number(io.warmSeconds.toFixed(2)),
      roundTripMs: Number(io.roundTripMs.toFixed(1)),
      nodeOverWarmFloor: Number(((run.result.elapsedSeconds as number) / io.warmSeconds).toFixed(2)),
      runOverFloor: Number((run.wallSeconds / io.seconds).toFixed(2)),
      nodeOverFloor: Number(((run.result.elapsedSeconds as number) / io.seconds).toFixed(2)),
      datapointRequests: made,
      minimumRequests: min,
      requestsOverMinimum: Number(((made.reads + made.writes) / (min.reads + min.writes)).toFixed(2)),
      allRequests: run.result.requests,
      requestsByRoute: run.requests,
      peakRssMiB: run.rss,
      result: process.argv.includes("--verbose") ? run.result : undefined,
    };
  };
  const result = {
    kpis: INPUTS * AGGREGATES.length,
    inputs: INPUTS,
    catchUp: summarize(catchUp, catchUpFloor, 143),
    scheduled: scheduled.map((run) => summarize(run, scheduledFloor, 1)),
  };
  if (process.argv.includes("--json")) console.log(JSON.stringify(result));
  else console.log(JSON.stringify(result, null, 2));
} finally {
  emulator.kill("SIGTERM");
}
