import { instanceSeriesKey, statusClass } from "@kpi-pipeline/kpi-core";
import { DataError } from "./dataError.js";
import { displayPath } from "./displayPath.js";
import { displayText } from "./displayText.js";
import { readLines } from "./lineReader.js";
import type { PointSink, ReadStats } from "./pointSink.js";
import { parseStatusCode } from "./statusCode.js";
import {
  CDF_MAX_TIMESTAMP,
  CDF_MIN_TIMESTAMP,
  CDF_RANGE_TEXT,
  parseTimestamp,
  timestampError,
} from "./timestamp.js";

/**
 * Streams a JSON Lines point file into `sink`: one object per line with `externalId` (or
 * `instanceId: {space, externalId}`, not both), `timestamp` (epoch ms or ISO 8601 string),
 * `value` (a JSON number, null or absent for no value; not a string) and `status` (absent, a symbol, a numeric code or CDF's
 * `{code, symbol}` object). Blank lines are skipped. Throws DataError with `file:line:`.
 */
export async function readJsonlPoints(
  path: string,
  sink: PointSink,
  stats: ReadStats,
  onChunk?: () => void,
): Promise<void> {
  await readLines(
    path,
    (line, lineNumber) => {
      if (line.trim() === "") return;
      const fail = (reason: string): never => {
        throw new DataError(`${displayPath(path)}:${lineNumber}: ${reason}`);
      };
      let row: unknown;
      try {
        row = JSON.parse(line);
      } catch (error) {
        fail(`not valid JSON (${displayText((error as Error).message, 200, { quoted: false })})`);
      }
      if (typeof row !== "object" || row === null || Array.isArray(row))
        fail("expected a JSON object per line");
      const record = row as Record<string, unknown>;
      stats.rows++;
      const key = rowKey(record, fail);
      if (!sink.wants(key)) return;
      const timestamp = rowTimestamp(record.timestamp, fail);
      const status = rowStatus(record.status, fail);
      const value = rowValue(record.value, status, fail);
      sink.append(key, timestamp, value, status);
    },
    (bytes) => {
      stats.bytes += bytes;
      onChunk?.();
    },
  );
}

function rowKey(record: Record<string, unknown>, fail: (reason: string) => never): string {
  const { externalId, instanceId } = record;
  if (externalId !== undefined && instanceId !== undefined) {
    fail('has both "externalId" and "instanceId"; a point belongs to one time series, give only one');
  }
  if (typeof externalId === "string") return externalId;
  const id = instanceId as Record<string, unknown> | undefined;
  if (
    typeof id === "object" &&
    id !== null &&
    typeof id.space === "string" &&
    typeof id.externalId === "string"
  ) {
    return instanceSeriesKey(id.space, id.externalId);
  }
  return fail('needs "externalId" (a string) or "instanceId": { "space", "externalId" }');
}

function rowTimestamp(raw: unknown, fail: (reason: string) => never): number {
  if (typeof raw === "number") {
    // 1e400 parses as Infinity: out of range rather than fractional.
    if (Number.isFinite(raw) && !Number.isInteger(raw))
      fail(`timestamp ${raw} is not a whole number of epoch ms`);
    if (raw < CDF_MIN_TIMESTAMP || raw > CDF_MAX_TIMESTAMP) {
      fail(`timestamp ${raw} is outside CDF's time range, ${CDF_RANGE_TEXT}`);
    }
    return raw;
  }
  if (typeof raw === "string") return parseTimestamp(raw) ?? fail(`timestamp ${timestampError(raw)}`);
  return fail(
    raw === undefined
      ? 'has no "timestamp"; give epoch ms (a number) or an ISO 8601 string'
      : `timestamp ${describeJson(raw)} is not epoch ms (a number) or an ISO 8601 string`,
  );
}

function rowValue(raw: unknown, status: number, fail: (reason: string) => never): number {
  // JSON.parse reads 1e999 as Infinity.
  if (typeof raw === "number") {
    return Number.isFinite(raw) ? raw : fail("value is beyond the range of a double (about ±1.8e308)");
  }
  if (raw === null || raw === undefined) return Number.NaN;
  // CDF's API returns a Bad point's value as "NaN", "Infinity" or "-Infinity" (openapi.json,
  // DatapointNumber.value); a Bad point's value is never used.
  if (typeof raw === "string" && statusClass(status) === "Bad" && BAD_VALUE_STRINGS.has(raw))
    return Number.NaN;
  return fail(
    typeof raw === "string"
      ? `value ${displayText(raw)} is a string; write a JSON number (no quotes), or null for no value`
      : `value ${describeJson(raw)} is not a number; write a JSON number, or null for no value`,
  );
}

const BAD_VALUE_STRINGS = new Set(["NaN", "Infinity", "-Infinity"]);

function describeJson(raw: unknown): string {
  if (typeof raw === "string") return displayText(raw);
  let json: string;
  try {
    json = JSON.stringify(raw);
  } catch {
    // Nesting too deep to print (a line may hold 1 MiB of "[").
    return Array.isArray(raw) ? "(a deeply nested list)" : "(a deeply nested object)";
  }
  return json.length > 80 ? `${json.slice(0, 80)}... (${json.length} characters)` : json;
}

function rowStatus(raw: unknown, fail: (reason: string) => never): number {
  let status: number | undefined;
  if (raw === undefined || raw === null) return 0;
  if (typeof raw === "string") status = parseStatusCode(raw);
  else if (typeof raw === "number")
    status = Number.isInteger(raw) && raw >= 0 && raw <= 0xffffffff ? raw : undefined;
  else if (typeof raw === "object") {
    // CDF's own JSON shape: { code?, symbol? }; a missing code means Good.
    const { code, symbol } = raw as { code?: unknown; symbol?: unknown };
    if (typeof code === "number") status = rowStatus(code, fail);
    else if (typeof symbol === "string") status = parseStatusCode(symbol);
    else if (code === undefined && symbol === undefined) status = 0;
  }
  return (
    status ??
    fail(
      `status ${describeJson(raw)} is not Good, Uncertain, Bad, a numeric CDF status code or { "code": n }`,
    )
  );
}
