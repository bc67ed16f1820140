import {
  computeKpis,
  countWindowsBetween,
  describeSeries,
  type InputSeries,
  type KpiDatapoint,
  type KpiDefinition,
  type PointColumns,
  PointColumnsBuilder,
  seriesLookupKey,
  windowsBetween,
} from "@kpi-pipeline/kpi-core";
import { checkEvaluateFiles, type FileIdentity } from "./checkEvaluateFiles.js";
import { DataError } from "./dataError.js";
import { displayPath } from "./displayPath.js";
import type { EvaluateOptions } from "./evaluateOptions.js";
import { InterruptedError } from "./interruptedError.js";
import { loadKpiConfig } from "./loadKpiConfig.js";
import type { PointSink, ReadStats } from "./pointSink.js";
import { progressLine } from "./progressLine.js";
import { type PointFileFormat, readPointFile } from "./readPointFile.js";
import { readProgress } from "./readProgress.js";
import { formatResultRow, resultHeader } from "./resultFormat.js";
import { atomicFileOutput, deviceOutput, type ResultOutput, streamOutput } from "./resultOutput.js";
import { windowBatches } from "./windowBatches.js";

/**
 * Windows computed at once, at least: results are written batch by batch, so memory is bounded
 * by the points and this many windows (about 200 bytes each), never by the length of the range.
 */
export const MIN_BATCH_WINDOWS = 1 << 16;

/** The process around a run, injected so tests run it in-process. */
export interface EvaluateIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** Progress is shown only on a terminal. */
  stderrIsTTY: boolean;
  /** Monotonic-enough clock for durations (ms). */
  now?: () => number;
  /** Stops the run between steps (Ctrl-C); the result file is then not written. */
  signal?: AbortSignal;
  /** The file stdout is redirected to, if a regular file: it must not be an input. */
  stdoutFile?: FileIdentity;
}

/** Knobs for tests. */
export interface EvaluateTuning {
  /**
   * Windows per batch. Default: MIN_BATCH_WINDOWS, or a quarter of the points read if more, so
   * re-preparing the inputs for each batch costs at most about four passes over them per
   * point's worth of windows.
   */
  batchWindows?: number;
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
 * UsageError (exit 2), DataError (exit 1) or IoError (exit 3); on any failure no result file is
 * left behind and an existing one is unchanged.
 */
export async function runEvaluate(
  options: EvaluateOptions,
  io: EvaluateIo,
  tuning: EvaluateTuning = {},
): Promise<EvaluateSummary> {
  const now = io.now ?? (() => performance.now());
  const startedAt = now();
  const files = await checkEvaluateFiles(options, io.stdoutFile);
  const kpis = await loadKpiConfig(options.config);
  io.signal?.throwIfAborted();

  const target = files.out;
  const output: ResultOutput =
    target.kind === "stdout"
      ? streamOutput(io.stdout)
      : target.kind === "device"
        ? deviceOutput(options.out!)
        : atomicFileOutput(target.path, `${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
  try {
    // Created before the long read, so an unwritable --out fails at once.
    await output.open();
    const summary = await evaluateInto(output, kpis, files.formats, options, io, tuning);
    await output.commit();
    return { ...summary, durationMs: Math.round(now() - startedAt), out: options.out ?? "-" };
  } catch (error) {
    await output.abort();
    if (io.signal?.aborted && error === io.signal.reason) {
      throw new InterruptedError(
        target.kind === "file"
          ? "interrupted; no result file was written (an existing one is unchanged)"
          : `interrupted; the results written to ${target.kind === "stdout" ? "stdout" : displayPath(options.out!)} stop part way`,
      );
    }
    throw error;
  }
}

async function evaluateInto(
  output: ResultOutput,
  kpis: readonly KpiDefinition[],
  formats: readonly PointFileFormat[],
  options: EvaluateOptions,
  io: EvaluateIo,
  tuning: EvaluateTuning,
): Promise<Omit<EvaluateSummary, "durationMs" | "out">> {
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
      await readPointFile(path, formats[i]!, sink, stats, () => {
        io.signal?.throwIfAborted();
        progress.update(path, stats);
      });
      progress.update(path, stats, true);
    }
  } finally {
    progress.done();
  }

  const missingInputs = findMissingInputs(kpis, collected, options);
  // Point files carry no isStep; a step input says `step: true` in kpis.yaml.
  const series = new Map<string, InputSeries>();
  let points = 0;
  for (const [key, { builder }] of collected) {
    const columns: PointColumns = builder.build();
    points += columns.length;
    series.set(key, { points: columns, isStep: false });
  }
  collected.clear();

  let windows = 0;
  let badWindows = 0;
  const write = async (kpi: KpiDefinition, datapoints: readonly KpiDatapoint[]) => {
    // Rows are joined into chunks first: one await per row would cost more than formatting it.
    let text = "";
    for (const datapoint of datapoints) {
      text += formatResultRow(options.format, kpi.key, datapoint);
      if (datapoint.status === "Bad") badWindows++;
      if (text.length >= 1 << 16) {
        await output.write(text);
        text = "";
      }
    }
    windows += datapoints.length;
    await output.write(text);
  };
  await output.write(resultHeader(options.format));
  const ordered = [...kpis].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const firstStart = (kpi: KpiDefinition) => Math.max(options.from, kpi.startMs ?? options.from);
  const batchWindows = tuning.batchWindows ?? Math.max(MIN_BATCH_WINDOWS, points >> 2);
  const total = ordered.reduce(
    (sum, kpi) => sum + countWindowsBetween(kpi.window, firstStart(kpi), options.to),
    0,
  );
  if (total <= batchWindows) {
    // One sweep over all KPIs, so KPIs over the same input share its preparation and passes.
    const requests = ordered.map((kpi) => ({
      kpi,
      windows: windowsBetween(kpi.window, firstStart(kpi), options.to),
    }));
    const results = computeKpis(requests, series);
    for (const [k, kpi] of ordered.entries()) await write(kpi, results[k]!);
  } else {
    // The output is sorted by KPI, then time, so batches go KPI by KPI. Every batch sees all
    // points, so its values are those of one pass (the engine reads outside points as needed).
    // A run this long shows on a terminal how far it is.
    const progress = progressLine(io.stderr, io.stderrIsTTY);
    try {
      for (const [k, kpi] of ordered.entries()) {
        for (const batch of windowBatches(kpi.window, firstStart(kpi), options.to, batchWindows)) {
          // Writes to a file or terminal on stdout complete without returning to the event loop,
          // so without this the Ctrl-C handler would never run and the run would go to its end.
          await new Promise((resolve) => setImmediate(resolve));
          io.signal?.throwIfAborted();
          await write(kpi, computeKpis([{ kpi, windows: batch }], series)[0]!);
          progress.show(
            `computing KPI ${k + 1} of ${ordered.length} (${kpi.key}): ${windows.toLocaleString("en-US")} of ${total.toLocaleString("en-US")} windows written`,
          );
        }
      }
    } finally {
      progress.done();
    }
  }

  return {
    kpis: kpis.length,
    windows,
    badWindows,
    rows: stats.rows,
    bytes: stats.bytes,
    missingInputs,
  };
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
      `${missing.length === 1 ? "an input series is" : `${missing.length} input series are`} in no input file (${options.inputs.map(displayPath).join(", ")}):\n` +
        missing.map((line) => `  ${line}`).join("\n") +
        "\nExport their points into an --input file, or pass --allow-missing to evaluate them as empty series.",
    );
  }
  return missing;
}
