import { instanceSeriesKey } from "@kpi-pipeline/kpi-core";
import { CsvRecordReader, CsvSyntaxError } from "./csvRecordReader.js";
import { DataError } from "./dataError.js";
import { readLines } from "./lineReader.js";
import type { PointSink, ReadStats } from "./pointSink.js";
import { parsePointValue } from "./pointValue.js";
import { parseStatusCode } from "./statusCode.js";
import { parseTimestamp } from "./timestamp.js";

const EXPECTED_HEADER = "externalId,timestamp,value,status (in any order; status and space optional)";

interface Columns {
  externalId: number;
  timestamp: number;
  value: number;
  status: number;
  /** Optional: a non-empty space makes the row a data-modeling instance id (space, externalId). */
  space: number;
  width: number;
}

/**
 * Streams a CSV point file (header `externalId,timestamp,value,status`, columns in any order,
 * RFC 4180 quoting) into `sink`. Throws DataError with `file:line:` on the first bad row.
 */
export async function readCsvPoints(
  path: string,
  sink: PointSink,
  stats: ReadStats,
  onChunk?: () => void,
): Promise<void> {
  const records = new CsvRecordReader();
  let columns: Columns | undefined;
  const fail = (lineNumber: number, reason: string): never => {
    throw new DataError(`${path}:${lineNumber}: ${reason}`);
  };
  try {
    await readLines(
      path,
      (line, lineNumber) => {
        const record = records.push(line, lineNumber);
        if (record === undefined) return;
        const fields = record.fields;
        if (columns === undefined) {
          columns = headerColumns(fields, (reason) => fail(record.lineNumber, reason));
          return;
        }
        if (fields.length !== columns.width) {
          if (fields.length === 1 && fields[0] === "") return;
          fail(record.lineNumber, `row has ${fields.length} fields but the header has ${columns.width}`);
        }
        stats.rows++;
        const externalId = fields[columns.externalId]!;
        const space = columns.space < 0 ? "" : fields[columns.space]!;
        const key = space === "" ? externalId : instanceSeriesKey(space, externalId);
        if (!sink.wants(key)) return;
        const timestampText = fields[columns.timestamp]!;
        const timestamp = parseTimestamp(timestampText);
        if (timestamp === undefined) {
          fail(record.lineNumber, `timestamp "${timestampText}" is not epoch ms or ISO 8601`);
        }
        const valueText = fields[columns.value]!;
        const value = parsePointValue(valueText);
        if (value === undefined) {
          fail(
            record.lineNumber,
            `value "${valueText}" is not a number; leave it empty (or NaN) for no value`,
          );
        }
        const statusText = columns.status < 0 ? "" : fields[columns.status]!;
        const status = parseStatusCode(statusText);
        if (status === undefined) {
          fail(
            record.lineNumber,
            `status "${statusText}" is not Good, Uncertain, Bad or a numeric CDF status code; leave it empty for Good`,
          );
        }
        sink.append(key, timestamp!, value!, status!);
      },
      (bytes) => {
        stats.bytes += bytes;
        onChunk?.();
      },
    );
    records.finish();
  } catch (error) {
    if (error instanceof CsvSyntaxError) throw new DataError(`${path}:${error.lineNumber}: ${error.message}`);
    throw error;
  }
  if (columns === undefined)
    throw new DataError(`${path}: the file is empty; expected a header ${EXPECTED_HEADER}`);
}

function headerColumns(fields: string[], fail: (reason: string) => never): Columns {
  const names = fields.map((name) => name.trim());
  const index = (name: string): number => names.indexOf(name);
  const columns: Columns = {
    externalId: index("externalId"),
    timestamp: index("timestamp"),
    value: index("value"),
    status: index("status"),
    space: index("space"),
    width: names.length,
  };
  for (const required of ["externalId", "timestamp", "value"] as const) {
    if (columns[required] < 0) {
      fail(`the header has no "${required}" column; expected ${EXPECTED_HEADER}, got "${names.join(",")}"`);
    }
  }
  return columns;
}
