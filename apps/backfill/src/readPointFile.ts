import { extname } from "node:path";
import type { PointSink, ReadStats } from "./pointSink.js";
import { readCsvPoints } from "./readCsvPoints.js";
import { readJsonlPoints } from "./readJsonlPoints.js";

export type PointFileFormat = "csv" | "jsonl";

/** The format of a point file by its extension (.csv, .jsonl, .ndjson); undefined for any other. */
export function pointFileFormat(path: string): PointFileFormat | undefined {
  const extension = extname(path).toLowerCase();
  if (extension === ".csv") return "csv";
  if (extension === ".jsonl" || extension === ".ndjson") return "jsonl";
  return undefined;
}

/** Streams one point file, CSV or JSONL by its extension, into `sink`. */
export function readPointFile(
  path: string,
  format: PointFileFormat,
  sink: PointSink,
  stats: ReadStats,
  onChunk?: () => void,
): Promise<void> {
  return format === "csv"
    ? readCsvPoints(path, sink, stats, onChunk)
    : readJsonlPoints(path, sink, stats, onChunk);
}
