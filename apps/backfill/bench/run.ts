// `pnpm bench` for kpi-backfill: `evaluate` over a generated 10-million-row CSV (four series of
// 2.5 M rows, one of them not used by any KPI; ~3 s spacing), three hourly KPIs. Reports rows/s
// and the peak RSS of the evaluating process, which runs as a child so the number is its own.
//
//   node --expose-gc --import tsx bench/run.ts [--rows N]
import { spawnSync } from "node:child_process";
import { once } from "node:events";
import { createWriteStream, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { runEvaluate } from "../src/evaluate.js";
import { resolveEvaluateOptions } from "../src/evaluateOptions.js";

const SERIES = ["pump-01:flow", "pump-01:pressure", "line-1:power-kw", "unused:series"];
const START = Date.UTC(2024, 0, 1);

const CONFIG = `
kpis:
  - externalId: bench:flow-avg-1h
    window: { every: 1h }
    start: 2024-01-01T00:00:00Z
    inputs:
      flow: { externalId: "pump-01:flow", clean: [{ range: [0, 500] }] }
    value: twa(flow)
  - externalId: bench:pressure-p95-1h
    window: { every: 1h }
    start: 2024-01-01T00:00:00Z
    inputs:
      pressure: { externalId: "pump-01:pressure" }
    value: percentile(pressure, 95)
  - externalId: bench:energy-1h
    window: { every: 1h }
    start: 2024-01-01T00:00:00Z
    inputs:
      power: { externalId: "line-1:power-kw" }
    value: integral(power, "h")
`;

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i === -1 ? fallback : Number(process.argv[i + 1]);
}

/** Streams `rows` CSV rows to `path`, round-robin over SERIES, deterministic. Returns the end time. */
async function writeCsv(path: string, rows: number): Promise<number> {
  const out = createWriteStream(path);
  let seed = 12345;
  const random = () => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed / 4294967296;
  };
  let t = START;
  let chunk = "externalId,timestamp,value,status\n";
  for (let i = 0; i < rows; i++) {
    const series = SERIES[i % SERIES.length]!;
    if (i % SERIES.length === 0) t += 1 + Math.floor(random() * 5998);
    const value = (100 + 50 * Math.sin(t / 3_600_000) + random() * 10).toFixed(3);
    // One row in 10,000 is Bad with no value, as real exports have.
    chunk += i % 10_000 === 9_999 ? `${series},${t},,Bad\n` : `${series},${t},${value},\n`;
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await once(out, "drain");
      chunk = "";
    }
  }
  out.end(chunk);
  await once(out, "finish");
  return t;
}

async function child(args: string[]): Promise<void> {
  const [config, input, from, to, out] = args as [string, string, string, string, string];
  const options = resolveEvaluateOptions({ config, input: [input], from, to, out });
  const summary = await runEvaluate(options, {
    stdout: process.stdout,
    stderr: process.stderr,
    stderrIsTTY: false,
  });
  process.stdout.write(JSON.stringify({ ...summary, maxRssBytes: process.resourceUsage().maxRSS * 1024 }));
}

async function main(): Promise<void> {
  const rows = flag("--rows", 10_000_000);
  const log = (line: string) => process.stdout.write(`${line}\n`);
  const dir = mkdtempSync(join(tmpdir(), "kpi-backfill-bench-"));
  try {
    const csv = join(dir, "points.csv");
    const config = join(dir, "kpis.yaml");
    writeFileSync(config, CONFIG);
    const generated = performance.now();
    const end = await writeCsv(csv, rows);
    const bytes = statSync(csv).size;
    log(
      `generated ${rows.toLocaleString("en-US")} rows, ${(bytes / 1e6).toFixed(0)} MB in ${((performance.now() - generated) / 1000).toFixed(1)} s`,
    );
    const from = new Date(START).toISOString();
    const to = new Date(Math.floor(end / 3_600_000) * 3_600_000).toISOString();
    const started = performance.now();
    const run = spawnSync(
      process.execPath,
      [
        "--conditions",
        "source",
        "--import",
        "tsx",
        fileURLToPath(import.meta.url),
        "--child",
        config,
        csv,
        from,
        to,
        join(dir, "results.csv"),
      ],
      { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], maxBuffer: 1 << 20 },
    );
    const wall = (performance.now() - started) / 1000;
    if (run.status !== 0) throw new Error(`the evaluate child process failed (exit ${run.status})`);
    const summary = JSON.parse(run.stdout) as {
      rows: number;
      windows: number;
      durationMs: number;
      maxRssBytes: number;
    };
    const seconds = summary.durationMs / 1000;
    log(
      `kpi-backfill evaluate: ${summary.rows.toLocaleString("en-US")} rows -> ${summary.windows} result rows`,
    );
    log(`  ${seconds.toFixed(2)} s inside runEvaluate (${wall.toFixed(2)} s with process start-up)`);
    log(
      `  ${(summary.rows / seconds / 1e6).toFixed(2)} M rows/s, ${(bytes / 1e6 / seconds).toFixed(0)} MB/s`,
    );
    log(`  peak RSS ${(summary.maxRssBytes / 1e6).toFixed(0)} MB (file size ${(bytes / 1e6).toFixed(0)} MB)`);
    log(`machine: ${cpus().length} x ${cpus()[0]?.model ?? "unknown CPU"}, Node ${process.version}`);
    log(`command: cd apps/backfill && node --expose-gc --import tsx bench/run.ts --rows ${rows}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === "--child") await child(process.argv.slice(3));
else await main();
