import { constants } from "node:fs";
import { access, readFile, stat } from "node:fs/promises";
import { dirname } from "node:path";
import {
  computeKpis,
  describeSeries,
  type InputSeries,
  KpiConfigError,
  type KpiDefinition,
  type PointColumns,
  PointColumnsBuilder,
  parseKpiConfig,
  seriesLookupKey,
  windowsBetween,
} from "@kpi-pipeline/kpi-core";
import { parse as parseYaml, YAMLParseError } from "yaml";
import { DataError } from "./dataError.js";
import type { EvaluateOptions } from "./evaluateOptions.js";
import type { PointSink, ReadStats } from "./pointSink.js";
import { type PointFileFormat, pointFileFormat, readPointFile } from "./readPointFile.js";
import { readProgress } from "./readProgress.js";
import { formatResultRow, resultHeader } from "./resultFormat.js";
import { atomicFileOutput, type ResultOutput, streamOutput } from "./resultOutput.js";
import { UsageError } from "./usageError.js";

/** The process around a run, injected so tests run it in-process. */
export interface EvaluateIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** Progress is shown only on a terminal. */
  stderrIsTTY: boolean;
  /** Monotonic-enough clock for durations (ms). */
  now?: () => number;
}

/** What a run did; `--json` prints it on stderr. */
export interface EvaluateSummary {
  /** KPIs evaluated. */
  kpis: number;
  /** Result rows written (one per KPI per window). */
  windows: number;
  /** Of those, rows with no value (Bad status). */
  badWindows: number;
  /** Point rows read from all input files (including series no KPI uses). */
  rows: number;
  bytes: number;
  /** Inputs found in no file, run as empty series because of --allow-missing. */
  missingInputs: string[];
  durationMs: number;
  /** The result file, or "-" for stdout. */
  out: string;
}

interface CollectedSeries {
  builder: PointColumnsBuilder;
  rows: number;
}

/**
 * `kpi-backfill evaluate`: reads kpis.yaml and the point files, evaluates every KPI over every
 * window in [from, to) (all treated as closed), and writes one row per KPI per window. Throws
 * UsageError (exit 2) or DataError (exit 1); on any failure no result file is left behind.
 */
export async function runEvaluate(options: EvaluateOptions, io: EvaluateIo): Promise<EvaluateSummary> {
  const now = io.now ?? (() => performance.now());
  const startedAt = now();
  const formats = await checkFiles(options);

  const kpis = await loadKpis(options.config);
  const collected = new Map<string, CollectedSeries>();
  for (const kpi of kpis) {
    for (const input of kpi.inputs) {
      const key = seriesLookupKey(input.series);
      if (!collected.has(key)) collected.set(key, { builder: new PointColumnsBuilder(), rows: 0 });
    }
  }

  const stats: ReadStats = { rows: 0, bytes: 0 };
  const progress = readProgress(io.stderr, io.stderrIsTTY);
  // Files are read in --input order into one builder per series, so a later row for the same
  // series and timestamp, in the same file or a later one, overwrites the earlier one.
  const sink: PointSink = {
    wants: (key) => collected.has(key),
    append(key, timestamp, value, status) {
      const series = collected.get(key)!;
      series.builder.append(timestamp, value, status);
      series.rows++;
    },
  };
  try {
    for (const [i, path] of options.inputs.entries()) {
      await readPointFile(path, formats[i]!, sink, stats, () => progress.update(path, stats));
      progress.update(path, stats, true);
    }
  } finally {
    progress.done();
  }

  const missingInputs = findMissingInputs(kpis, collected, options);
  const columns = new Map<string, PointColumns>();
  for (const [key, series] of collected) columns.set(key, series.builder.build());
  collected.clear();

  const output: ResultOutput =
    options.out === undefined
      ? streamOutput(io.stdout)
      : atomicFileOutput(options.out, `${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
  let windows = 0;
  let badWindows = 0;
  try {
    await output.write(resultHeader(options.format));
    const ordered = [...kpis].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    // Point files carry no isStep; a step input says `step: true` in kpis.yaml.
    const series = new Map<string, InputSeries>();
    for (const [key, points] of columns) series.set(key, { points, isStep: false });
    const requests = ordered.map((kpi) => ({
      kpi,
      windows: windowsBetween(kpi.window, Math.max(options.from, kpi.startMs), options.to),
    }));
    const results = computeKpis(requests, series);
    for (let k = 0; k < ordered.length; k++) {
      for (const datapoint of results[k]!) {
        await output.write(formatResultRow(options.format, ordered[k]!.key, datapoint));
        windows++;
        if (datapoint.status === "Bad") badWindows++;
      }
    }
    await output.commit();
  } catch (error) {
    await output.abort();
    throw error;
  }

  return {
    kpis: kpis.length,
    windows,
    badWindows,
    rows: stats.rows,
    bytes: stats.bytes,
    missingInputs,
    durationMs: Math.round(now() - startedAt),
    out: options.out ?? "-",
  };
}

/** Usage errors are found before any work: a typo in a path should not cost a 10-minute read. */
async function checkFiles(options: EvaluateOptions): Promise<PointFileFormat[]> {
  await readable(options.config, "--config");
  const formats: PointFileFormat[] = [];
  for (const path of options.inputs) {
    const format = pointFileFormat(path);
    if (format === undefined) {
      throw new UsageError(`--input ${path}: unknown file type; name it *.csv, *.jsonl or *.ndjson`);
    }
    await readable(path, "--input");
    formats.push(format);
  }
  if (options.out !== undefined) {
    const directory = dirname(options.out);
    const info = await stat(directory).catch(() => undefined);
    if (info === undefined || !info.isDirectory()) {
      throw new UsageError(`--out ${options.out}: directory ${directory} does not exist; create it first`);
    }
    const target = await stat(options.out).catch(() => undefined);
    if (target?.isDirectory()) throw new UsageError(`--out ${options.out} is a directory; give a file name`);
  }
  return formats;
}

async function readable(path: string, flag: string): Promise<void> {
  const info = await stat(path).catch(() => undefined);
  if (info === undefined) throw new UsageError(`${flag} ${path}: no such file`);
  if (!info.isFile()) throw new UsageError(`${flag} ${path}: not a file`);
  await access(path, constants.R_OK).catch(() => {
    throw new UsageError(`${flag} ${path}: not readable (check its permissions)`);
  });
}

async function loadKpis(path: string): Promise<KpiDefinition[]> {
  const text = await readFile(path, "utf8");
  let raw: unknown;
  try {
    raw = parseYaml(text, { prettyErrors: true });
  } catch (error) {
    if (error instanceof YAMLParseError) {
      const line = error.linePos?.[0];
      const where = line === undefined ? path : `${path}:${line.line}:${line.col}`;
      throw new DataError(`${where}: not valid YAML: ${error.message.split("\n")[0]}`);
    }
    throw error;
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new DataError(
      `${path}: not KPI definitions; expected a YAML mapping with "kpis:" (and optional "defaults:"), is this the right file?`,
    );
  }
  try {
    return parseKpiConfig(raw, path);
  } catch (error) {
    // A reason can quote the offending value; a whole mis-pasted document is no help on a terminal.
    if (error instanceof KpiConfigError) {
      throw new DataError(
        error.message
          .split("\n")
          .map((line) => (line.length > 400 ? `${line.slice(0, 400)}...` : line))
          .join("\n"),
      );
    }
    throw error;
  }
}

function findMissingInputs(
  kpis: readonly KpiDefinition[],
  collected: ReadonlyMap<string, CollectedSeries>,
  options: EvaluateOptions,
): string[] {
  const missing: string[] = [];
  for (const kpi of kpis) {
    for (const input of kpi.inputs) {
      if (collected.get(seriesLookupKey(input.series))!.rows === 0) {
        missing.push(`input "${input.name}" of KPI "${kpi.key}": ${describeSeries(input.series)}`);
      }
    }
  }
  if (missing.length > 0 && !options.allowMissing) {
    throw new DataError(
      `${missing.length === 1 ? "an input series is" : `${missing.length} input series are`} in no input file (${options.inputs.join(", ")}):\n` +
        missing.map((line) => `  ${line}`).join("\n") +
        "\nExport their points into an --input file, or pass --allow-missing to evaluate them as empty series.",
    );
  }
  return missing;
}
