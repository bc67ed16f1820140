import { displayText } from "./displayText.js";
import type { ResultFormat } from "./resultFormat.js";
import { parseTimestamp, parseTimestampEnd, timestampError } from "./timestamp.js";
import { UsageError } from "./usageError.js";

/** What `kpi-backfill evaluate` is asked to do, validated. */
export interface EvaluateOptions {
  /** Path of kpis.yaml. */
  config: string;
  /** Point files (CSV or JSONL), read in this order: a later row overwrites an earlier one. */
  inputs: readonly string[];
  /** Epoch ms: only windows with start >= from (and >= the KPI's start) ... */
  from: number;
  /** ... and end <= to. */
  to: number;
  /** Result file; undefined or "-" writes to stdout. */
  out: string | undefined;
  format: ResultFormat;
  /** Treat an input series found in no file as an empty series instead of failing. */
  allowMissing: boolean;
  /** Print a JSON summary (or error) on stderr. */
  json: boolean;
}

/** The flags as commander hands them over: strings, unvalidated. */
export interface EvaluateFlags {
  config?: string;
  input?: string[];
  from?: string;
  to?: string;
  out?: string;
  format?: string;
  allowMissing?: boolean;
  json?: boolean;
}

/** Validates the flags; throws UsageError naming the flag and what to pass instead. */
export function resolveEvaluateOptions(flags: EvaluateFlags): EvaluateOptions {
  if (flags.config === undefined) throw new UsageError("missing --config <kpis.yaml>");
  if (flags.input === undefined || flags.input.length === 0) {
    throw new UsageError("missing --input <points.csv|points.jsonl> (repeat it for several files)");
  }
  const from = instant("--from", flags.from, parseTimestamp);
  const to = instant("--to", flags.to, parseTimestampEnd);
  if (from >= to) {
    throw new UsageError(`--from (${flags.from}) must be before --to (${flags.to})`);
  }
  const out = flags.out === undefined || flags.out === "-" ? undefined : flags.out;
  return {
    config: flags.config,
    inputs: flags.input,
    from,
    to,
    out,
    format: resultFormat(flags.format, out),
    allowMissing: flags.allowMissing === true,
    json: flags.json === true,
  };
}

function instant(
  flag: string,
  text: string | undefined,
  parse: (text: string) => number | undefined,
): number {
  if (text === undefined)
    throw new UsageError(`missing ${flag} <ISO 8601>, e.g. ${flag} 2024-03-30T00:00:00Z`);
  const ms = parse(text);
  if (ms === undefined) throw new UsageError(`${flag} ${timestampError(text)}`);
  return ms;
}

// Without --format, the --out extension decides (.jsonl/.ndjson -> JSONL), else CSV.
function resultFormat(format: string | undefined, out: string | undefined): ResultFormat {
  if (format === undefined) return out !== undefined && /\.(jsonl|ndjson)$/i.test(out) ? "jsonl" : "csv";
  if (format === "csv" || format === "jsonl") return format;
  throw new UsageError(`--format ${displayText(format)} is not supported; use csv or jsonl`);
}
