import { instanceSeriesKey, STATUS_GOOD, statusClass } from "@kpi-pipeline/kpi-core";
import { CsvFields, CsvRecordReader, CsvSyntaxError } from "./csvRecordReader.js";
import { DataError } from "./dataError.js";
import { displayPath } from "./displayPath.js";
import { displayText } from "./displayText.js";
import { readLineSpans } from "./lineReader.js";
import type { PointSink, ReadStats } from "./pointSink.js";
import { parsePointValueSpan, pointValueError } from "./pointValue.js";
import { parseStatusCodeSpan } from "./statusCode.js";
import { parseTimestampSpan, timestampError } from "./timestamp.js";

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
  const fields = new CsvFields();
  let columns: Columns | undefined;
  const fail = (lineNumber: number, reason: string): never => {
    throw new DataError(`${displayPath(path)}:${lineNumber}: ${reason}`);
  };
  try {
    await readLineSpans(
      path,
      (text, start, end, lineNumber) => {
        const recordLine = records.pushSpan(text, start, end, lineNumber, fields);
        if (recordLine === 0) return;
        if (columns === undefined) {
          columns = headerColumns(fields.all(), (reason) => fail(recordLine, reason));
          return;
        }
        if (fields.count !== columns.width) {
          if (fields.count === 1 && fields.isEmpty(0)) return;
          fail(recordLine, `row has ${fields.count} fields but the header has ${columns.width}`);
        }
        stats.rows++;
        const { text: row, starts, ends } = fields;
        const externalId = fields.field(columns.externalId);
        const space = columns.space < 0 ? "" : fields.field(columns.space);
        const key = space === "" ? externalId : instanceSeriesKey(space, externalId);
        if (!sink.wants(key)) return;
        const t = columns.timestamp;
        const timestamp = parseTimestampSpan(row, starts[t]!, ends[t]!);
        if (timestamp === undefined) {
          fail(recordLine, `timestamp ${timestampError(fields.field(t))}`);
        }
        const s = columns.status;
        const status = s < 0 ? STATUS_GOOD : parseStatusCodeSpan(row, starts[s]!, ends[s]!);
        if (status === undefined) {
          fail(
            recordLine,
            `status ${displayText(fields.field(s))} is not Good, Uncertain, Bad or a numeric CDF status code; leave it empty for Good`,
          );
        }
        const v = columns.value;
        let value = parsePointValueSpan(row, starts[v]!, ends[v]!);
        // CDF writes a Bad point's value as NaN, Infinity or -Infinity; it is never used.
        if (value === undefined && statusClass(status!) === "Bad" && /^-?Infinity$/.test(fields.field(v))) {
          value = Number.NaN;
        }
        if (value === undefined) fail(recordLine, `value ${pointValueError(fields.field(v))}`);
        sink.append(key, timestamp!, value!, status!);
      },
      (bytes) => {
        stats.bytes += bytes;
        onChunk?.();
      },
    );
    records.finish();
  } catch (error) {
    if (error instanceof CsvSyntaxError) {
      throw new DataError(`${displayPath(path)}:${error.lineNumber}: ${error.message}`);
    }
    throw error;
  }
  if (columns === undefined)
    throw new DataError(`${displayPath(path)}: the file is empty; expected a header ${EXPECTED_HEADER}`);
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
      fail(
        `the header has no "${required}" column; expected ${EXPECTED_HEADER}, got ${displayText(names.join(","), 200)}`,
      );
    }
  }
  // Which of two equal columns holds the data is a guess; so is an ignored duplicate.
  const seen = new Map<string, number>();
  names.forEach((name, i) => {
    const first = seen.get(name);
    if (first !== undefined) {
      fail(
        `the header has the column ${displayText(name)} twice (columns ${first + 1} and ${i + 1}); keep one`,
      );
    }
    seen.set(name, i);
  });
  return columns;
}
