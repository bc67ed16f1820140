import { isDeepStrictEqual } from "node:util";
import { computeKpis, parseKpiConfig, readInputs, windowsBetween } from "@kpi-pipeline/kpi-core";
import { CdfDatapointSource } from "../src/cdfDatapointSource.js";
import { ensureTimeSeries } from "../src/ensureTimeSeries.js";
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

const seriesCount = option("series", 10);
const repeat = option("repeat", 3);
const DAY = 86_400_000;
const T0 = Date.UTC(2030, 0, 1);

const { child, cdf } = await startEmulatorChild("2030-01-03T00:00:00Z");

try {
  const series = Array.from({ length: seriesCount }, (_, i) => ({ externalId: `in-${i}` }));
  await ensureTimeSeries(
    cdf,
    series.map((s) => ({ ...s, configHash: "bench", inputs: [] })),
  );
  const n = DAY / 1000;
  const timestamps = Float64Array.from({ length: n }, (_, j) => T0 + j * 1000);
  const values = Float64Array.from({ length: n }, (_, j) => Math.sin(j / 100) * 100);
  // Every 97th point Bad, every 89th Uncertain: the status filter is part of what is compared.
  const statuses = Uint32Array.from({ length: n }, (_, j) =>
    j % 97 === 0 ? 2147483648 : j % 89 === 0 ? 1073741824 : 0,
  );
  await writeDatapoints(
    cdf,
    series.map((s) => ({ series: s, points: { length: n, timestamps, values, statuses } })),
  );

  const kpis = parseKpiConfig({
    kpis: series.map((s, i) => ({
      externalId: `kpi-${i}`,
      window: { every: "10m" },
      inputs: { x: { externalId: s.externalId } },
      value: i % 2 === 0 ? "max(x) - min(x)" : "count(x)",
    })),
  });
  const requests = kpis.map((kpi) => ({ kpi, windows: windowsBetween(kpi.window, T0, T0 + DAY) }));
  const spans = kpis.map((kpi) => ({ kpi, from: T0, to: T0 + DAY }));
  const source = new CdfDatapointSource(cdf);

  const measure = async (pushdown: boolean) => {
    const runs = [];
    let datapoints: unknown;
    for (let r = 0; r < repeat; r++) {
      const before = cdf.requestCount;
      const stats = { points: 0, requests: 0 };
      const started = performance.now();
      datapoints = computeKpis(requests, await readInputs(source, spans, stats, { pushdown }));
      runs.push({
        seconds: (performance.now() - started) / 1000,
        requests: cdf.requestCount - before,
        received: stats.points,
      });
    }
    runs.sort((a, b) => a.seconds - b.seconds);
    return { median: runs[Math.floor(runs.length / 2)]!, datapoints };
  };
  const raw = await measure(false);
  const pushed = await measure(true);
  if (!isDeepStrictEqual(raw.datapoints, pushed.datapoints)) {
    throw new Error("aggregate pushdown gave other datapoints than raw reads; this is a bug");
  }
  const result = {
    series: seriesCount,
    points: n * seriesCount,
    windows: requests.reduce((sum, r) => sum + r.windows.length, 0),
    raw: raw.median,
    pushdown: pushed.median,
    speedup: Number((raw.median.seconds / pushed.median.seconds).toFixed(1)),
  };
  if (process.argv.includes("--json")) console.log(JSON.stringify(result));
  else {
    console.log(
      `aggregate pushdown: ${seriesCount} series of 1 Hz data over a day (${result.points} points), ${result.windows} 10-minute windows, median of ${repeat}`,
    );
    for (const [name, r] of [
      ["raw", raw.median],
      ["pushdown", pushed.median],
    ] as const) {
      console.log(
        `  ${name.padEnd(8)} ${r.seconds.toFixed(2)} s, ${r.requests} requests, ${r.received} ${name === "raw" ? "points" : "intervals"} received`,
      );
    }
    console.log(`  same datapoints; pushdown ${result.speedup}x faster`);
  }
} finally {
  child.kill("SIGTERM");
}
