import { ensureTimeSeries } from "../src/ensureTimeSeries.js";
import { readRawDatapoints } from "../src/readRawDatapoints.js";
import { writeDatapoints } from "../src/writeDatapoints.js";
import { startEmulatorChild } from "./emulatorChild.js";

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i === -1) return fallback;
  const n = Number(process.argv[i + 1]);
  if (!Number.isInteger(n) || n <= 0)
    throw new Error(`--${name} must be a positive integer, got ${process.argv[i + 1]}`);
  return n;
}

const totalPoints = option("points", 1_000_000);
const seriesCount = option("series", 50);
const perSeries = Math.ceil(totalPoints / seriesCount);
const T0 = Date.UTC(2030, 0, 1);

// The emulator's built CLI (the bench runs after `turbo run build`).
const { child, cdf } = await startEmulatorChild("2030-01-01T00:00:00Z");

try {
  const series = Array.from({ length: seriesCount }, (_, i) => ({ externalId: `bench-${i}` }));
  await ensureTimeSeries(
    cdf,
    series.map((s) => ({ ...s, configHash: "bench", inputs: [] })),
  );

  const timestamps = Float64Array.from({ length: perSeries }, (_, j) => T0 + j * 1000);
  const values = Float64Array.from({ length: perSeries }, (_, j) => Math.sin(j / 100) * 100);
  const statuses = new Uint32Array(perSeries);
  let requests = cdf.requestCount;
  let started = performance.now();
  const writeCpu = process.cpuUsage();
  await writeDatapoints(
    cdf,
    series.map((s) => ({ series: s, points: { length: perSeries, timestamps, values, statuses } })),
  );
  const writeUsed = process.cpuUsage(writeCpu);
  const write = {
    seconds: (performance.now() - started) / 1000,
    requests: cdf.requestCount - requests,
    clientCpuSeconds: (writeUsed.user + writeUsed.system) / 1e6,
  };

  const minimum = Math.max(Math.ceil((perSeries * seriesCount) / 100_000), Math.ceil(seriesCount / 100));
  const reads = [];
  for (const concurrency of [1, 2]) {
    requests = cdf.requestCount;
    started = performance.now();
    const cpu = process.cpuUsage();
    let points = 0;
    for await (const batch of readRawDatapoints(
      cdf,
      { series, start: T0, end: T0 + perSeries * 1000 },
      { concurrency },
    )) {
      for (const chunk of batch) points += chunk.points.length;
    }
    const seconds = (performance.now() - started) / 1000;
    const used = process.cpuUsage(cpu);
    reads.push({
      concurrency,
      points,
      seconds,
      clientCpuSeconds: (used.user + used.system) / 1e6,
      pointsPerSecond: Math.round(points / seconds),
      requests: cdf.requestCount - requests,
    });
  }
  const result = {
    points: perSeries * seriesCount,
    series: seriesCount,
    write: { ...write, pointsPerSecond: Math.round((perSeries * seriesCount) / write.seconds) },
    minimumRequests: minimum,
    reads,
    peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
  };
  if (process.argv.includes("--json")) console.log(JSON.stringify(result));
  else {
    console.log(`${result.points} points over ${seriesCount} series; minimum requests each way: ${minimum}`);
    console.log(
      `write: ${write.seconds.toFixed(1)} s, ${write.requests} requests, ${result.write.pointsPerSecond} points/s, ` +
        `client CPU ${write.clientCpuSeconds.toFixed(1)} s`,
    );
    for (const r of reads) {
      console.log(
        `read (concurrency ${r.concurrency}): ${r.seconds.toFixed(1)} s, ${r.requests} requests, ${r.pointsPerSecond} points/s, ` +
          `client CPU ${r.clientCpuSeconds.toFixed(1)} s`,
      );
    }
    console.log(`peak RSS of this process: ${result.peakRssMiB} MiB`);
  }
} finally {
  child.kill("SIGTERM");
}
