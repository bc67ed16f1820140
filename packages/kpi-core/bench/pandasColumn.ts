import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { AGGREGATES, type WindowResults } from "./windowResults.js";

const PYTHON = "/usr/bin/python3";
const SCRIPT = fileURLToPath(new URL("./pandas_bench.py", import.meta.url));

export type PandasRun =
  | {
      ok: true;
      seconds: number;
      loadSeconds: number;
      computeSeconds: number;
      maxRssBytes: number;
      versions: string;
      results: WindowResults;
    }
  | { ok: false; why: string };

/**
 * Debian's python3-pandas is the reference. When it is missing the benchmark installs it
 * (apt-get, needs root), and otherwise reports why the column is empty rather than failing.
 */
export function ensurePandas(log: (line: string) => void): string | undefined {
  const probe = spawnSync(PYTHON, ["-c", "import pandas"], { encoding: "utf8" });
  if (probe.error !== undefined) return `${PYTHON} could not be run (${probe.error.message})`;
  if (probe.status === 0) return undefined;
  if (process.getuid?.() !== 0) {
    return "pandas is not installed and this is not root, so apt-get cannot install it; run: sudo apt-get install -y python3-pandas";
  }
  log("pandas is missing: apt-get update && apt-get install -y python3-pandas ...");
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  for (const args of [["update"], ["install", "-y", "--no-install-recommends", "python3-pandas"]]) {
    const step = spawnSync("apt-get", args, { stdio: ["ignore", "ignore", "pipe"], encoding: "utf8", env });
    if (step.status !== 0) {
      return `apt-get ${args.join(" ")} failed (exit ${step.status}): ${(step.stderr ?? step.error?.message ?? "").trim().split("\n").slice(-3).join(" / ")}`;
    }
  }
  const again = spawnSync(PYTHON, ["-c", "import pandas"], { encoding: "utf8" });
  return again.status === 0 ? undefined : `python3-pandas installed but import fails: ${again.stderr.trim()}`;
}

export function runPandas(
  dataPath: string,
  count: number,
  from: number,
  to: number,
  windowMs: number,
  maxGapMs: number,
  outPath: string,
  repeats: number,
): PandasRun {
  const run = spawnSync(
    PYTHON,
    [
      SCRIPT,
      dataPath,
      String(count),
      String(from),
      String(to),
      String(windowMs),
      String(maxGapMs),
      outPath,
      String(repeats),
    ],
    { encoding: "utf8", maxBuffer: 1 << 20 },
  );
  if (run.status !== 0)
    return {
      ok: false,
      why: `pandas_bench.py failed: ${run.stderr.trim().split("\n").slice(-3).join(" / ")}`,
    };
  const report = JSON.parse(run.stdout) as {
    seconds: number;
    loadSeconds: number;
    computeSeconds: number;
    maxRssBytes: number;
    pandas: string;
    numpy: string;
  };
  const raw = readFileSync(outPath);
  const all = new Float64Array(raw.buffer, raw.byteOffset, raw.byteLength / 8);
  const windows = all.length / AGGREGATES.length;
  const column = (k: number) => all.slice(k * windows, (k + 1) * windows);
  return {
    ok: true,
    seconds: report.seconds,
    loadSeconds: report.loadSeconds,
    computeSeconds: report.computeSeconds,
    maxRssBytes: report.maxRssBytes,
    versions: `pandas ${report.pandas}, numpy ${report.numpy}`,
    results: { twa: column(0), integral: column(1), min: column(2), max: column(3), count: column(4) },
  };
}
