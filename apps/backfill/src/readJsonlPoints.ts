import { instanceSeriesKey } from "@kpi-pipeline/kpi-core";
import { DataError } from "./dataError.js";
import { readLines } from "./lineReader.js";
import type { PointSink, ReadStats } from "./pointSink.js";
import { parsePointValue } from "./pointValue.js";
import { parseStatusCode } from "./statusCode.js";
import { parseTimestamp } from "./timestamp.js";

/**
 * Streams a JSON Lines point file into `sink`: one object per line with `externalId` (or
 * `instanceId: {space, externalId}`), `timestamp` (epoch ms or ISO 8601 string), `value`
 * (number, null or absent for no value) and `status` (absent, a symbol, a numeric code or CDF's
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
        throw new DataError(`${path}:${lineNumber}: ${reason}`);
      };
      let row: unknown;
      try {
        row = JSON.parse(line);
      } catch (error) {
        fail(`not valid JSON (${(error as Error).message})`);
      }
      if (typeof row !== "object" || row === null || Array.isArray(row))
        fail("expected a JSON object per line");
      const record = row as Record<string, unknown>;
      stats.rows++;
      const key = rowKey(record, fail);
      if (!sink.wants(key)) return;
      const timestamp = rowTimestamp(record.timestamp, fail);
      const value = rowValue(record.value, fail);
      const status = rowStatus(record.status, fail);
      sink.append(key, timestamp, value, status);
    },
    (bytes) => {
      stats.bytes += bytes;
      onChunk?.();
    },
  );
}

function rowKey(record: Record<string, unknown>, fail: (reason: string) => never): string {
  if (typeof record.externalId === "string") return record.externalId;
  const instanceId = record.instanceId as Record<string, unknown> | undefined;
  if (
    typeof instanceId === "object" &&
    instanceId !== null &&
    typeof instanceId.space === "string" &&
    typeof instanceId.externalId === "string"
  ) {
    return instanceSeriesKey(instanceId.space, instanceId.externalId);
  }
  return fail('needs "externalId" (a string) or "instanceId": { "space", "externalId" }');
}

function rowTimestamp(raw: unknown, fail: (reason: string) => never): number {
  if (typeof raw === "number" && Number.isSafeInteger(raw)) return raw;
  const timestamp = typeof raw === "string" ? parseTimestamp(raw) : undefined;
  return timestamp ?? fail(`timestamp ${JSON.stringify(raw) ?? "(missing)"} is not epoch ms or ISO 8601`);
}

function rowValue(raw: unknown, fail: (reason: string) => never): number {
  if (typeof raw === "number") return raw;
  if (raw === null || raw === undefined) return Number.NaN;
  const value = typeof raw === "string" ? parsePointValue(raw) : undefined;
  return value ?? fail(`value ${JSON.stringify(raw)} is not a number; use null for no value`);
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
      `status ${JSON.stringify(raw)} is not Good, Uncertain, Bad, a numeric CDF status code or { "code": n }`,
    )
  );
}
