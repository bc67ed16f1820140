import { instanceSeriesKey } from "@kpi-pipeline/kpi-core";
import { describe, expect, it } from "vitest";
import { DataError } from "../src/dataError.js";
import { readCsvPoints } from "../src/readCsvPoints.js";
import { recordingSink } from "./recordingSink.js";
import { scratchDir } from "./scratchDir.js";

const scratch = scratchDir();

async function read(text: string, wanted?: string[]) {
  const path = scratch.file("points.csv", text);
  const sink = recordingSink(wanted);
  const stats = { rows: 0, bytes: 0 };
  await readCsvPoints(path, sink, stats);
  return { points: sink.points, stats, path };
}

async function failure(text: string): Promise<string> {
  const error = await read(text).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DataError);
  return (error as DataError).message;
}

describe("readCsvPoints", () => {
  it("reads rows in file order with epoch-ms and ISO timestamps", async () => {
    const { points } = await read(
      "externalId,timestamp,value,status\npump:flow,1711756800000,12.5,Good\npump:flow,2024-03-30T01:00:00Z,13,\n",
    );
    expect(points).toEqual([
      { key: "pump:flow", timestamp: 1711756800000, value: 12.5, status: 0 },
      { key: "pump:flow", timestamp: 1711760400000, value: 13, status: 0 },
    ]);
  });

  it("takes the column order from the header", async () => {
    const { points } = await read("status,value,timestamp,externalId\nBad,,1000,a\n");
    expect(points).toHaveLength(1);
    expect(points[0]).toMatchObject({ key: "a", timestamp: 1000, status: 2147483648 });
    expect(points[0]!.value).toBeNaN();
  });

  it("ignores extra columns and defaults a missing status column to Good", async () => {
    const { points } = await read("unit,externalId,timestamp,value\nm3/h,a,1000,5\n");
    expect(points).toEqual([{ key: "a", timestamp: 1000, value: 5, status: 0 }]);
  });

  it("reads quoted externalIds holding commas and quotes", async () => {
    const { points } = await read('externalId,timestamp,value\n"line 1, ""main""",1000,2\n');
    expect(points[0]!.key).toBe('line 1, "main"');
  });

  it("reads empty and NaN values as no value, keeping the row", async () => {
    const { points } = await read("externalId,timestamp,value,status\na,1000,,\na,2000,NaN,Good\n");
    expect(points.map((p) => p.value)).toEqual([Number.NaN, Number.NaN]);
  });

  it("reads numeric status codes and symbols", async () => {
    const { points } = await read(
      "externalId,timestamp,value,status\na,1,1,1073741824\na,2,1,BadOutOfRange\na,3,1,Uncertain\n",
    );
    expect(points.map((p) => p.status)).toEqual([1073741824, 2147483648, 1073741824]);
  });

  it("treats a row with a non-empty space column as a data-modeling instance id", async () => {
    const { points } = await read("space,externalId,timestamp,value\nplant,flow,1000,1\n,flow,1000,2\n");
    expect(points.map((p) => p.key)).toEqual([instanceSeriesKey("plant", "flow"), "flow"]);
  });

  it("skips rows of series nobody asked for without parsing them, but counts them", async () => {
    const { points, stats } = await read("externalId,timestamp,value\nother,not-a-time,x\nwanted,1000,1\n", [
      "wanted",
    ]);
    expect(points).toEqual([{ key: "wanted", timestamp: 1000, value: 1, status: 0 }]);
    expect(stats.rows).toBe(2);
  });

  it("skips blank lines", async () => {
    const { points } = await read("externalId,timestamp,value\n\na,1,1\n\n");
    expect(points).toHaveLength(1);
  });

  it("names file and line of a bad timestamp", async () => {
    const message = await failure("externalId,timestamp,value\na,1000,1\na,abc,2\n");
    expect(message).toMatch(
      /points\.csv:3: timestamp "abc" is not epoch ms or ISO 8601 \(e.g. 1711756800000 or 2024-03-30T00:00:00Z\)$/,
    );
  });

  it("names file and line of a bad value", async () => {
    expect(await failure("externalId,timestamp,value\na,1000,twelve\n")).toMatch(
      /points\.csv:2: value "twelve" is not a decimal number/,
    );
  });

  it("names file and line of a bad status", async () => {
    expect(await failure("externalId,timestamp,value,status\na,1000,1,Fine\n")).toMatch(
      /points\.csv:2: status "Fine" is not Good, Uncertain, Bad or a numeric CDF status code/,
    );
  });

  it("names the line of a row with the wrong number of fields", async () => {
    expect(await failure("externalId,timestamp,value\na,1000\n")).toMatch(
      /points\.csv:2: row has 2 fields but the header has 3/,
    );
  });

  it("names the missing header column", async () => {
    expect(await failure("id,timestamp,value\na,1000,1\n")).toMatch(
      /points\.csv:1: the header has no "externalId" column/,
    );
  });

  it("reports the starting line of a record with an unclosed quote", async () => {
    expect(await failure('externalId,timestamp,value\na,1,1\n"b,2,2\n')).toMatch(
      /points\.csv:3: quoted field is not closed/,
    );
  });

  it("rejects an empty file with the header it expects", async () => {
    expect(await failure("")).toMatch(
      /points\.csv: the file is empty; expected a header externalId,timestamp,value/,
    );
  });

  it("reads a quoted row that comes after plain rows, and the plain rows after it", async () => {
    const { points } = await read('externalId,timestamp,value\na,1,1\n"b,1",2,2\na,3,3\n');
    expect(points.map((p) => [p.key, p.timestamp, p.value])).toEqual([
      ["a", 1, 1],
      ["b,1", 2, 2],
      ["a", 3, 3],
    ]);
  });

  it("reads CRLF line endings, a byte-order mark and a last line without a newline", async () => {
    const { points } = await read("\ufeffexternalId,timestamp,value,status\r\na,1,1.5,\r\na,2,,Bad\r");
    expect(points).toEqual([
      { key: "a", timestamp: 1, value: 1.5, status: 0 },
      { key: "a", timestamp: 2, value: Number.NaN, status: 2147483648 },
    ]);
  });

  it("names file and line of an empty timestamp", async () => {
    expect(await failure("externalId,timestamp,value\na,1,1\na,,1\n")).toMatch(
      /points\.csv:3: timestamp "" is not epoch ms or ISO 8601 \(e.g. 1711756800000 or 2024-03-30T00:00:00Z\)$/,
    );
  });

  it("names the line of a row with too many fields, counting all of them", async () => {
    expect(await failure("externalId,timestamp,value\na,1,1,,\n")).toMatch(
      /points\.csv:2: row has 5 fields but the header has 3/,
    );
  });

  it("reads every row of a file of many chunks with quoted and multi-byte rows among plain ones", async () => {
    const expected: { key: string; timestamp: number; value: number; status: number }[] = [];
    let text = "externalId,timestamp,value,status\n";
    for (let i = 0; i < 120_000; i++) {
      const key = i % 997 === 0 ? `målepunkt "${i % 5}", €` : `s${i % 7}`;
      const field = key.includes('"') ? `"${key.replaceAll('"', '""')}"` : key;
      const value = i % 13 === 0 ? Number.NaN : (i * 37) / 8;
      text += `${field},${1_700_000_000_000 + i},${Number.isNaN(value) ? "" : value},${i % 11 === 0 ? "Bad" : ""}\n`;
      expected.push({ key, timestamp: 1_700_000_000_000 + i, value, status: i % 11 === 0 ? 2147483648 : 0 });
    }
    expect(text.length).toBeGreaterThan(3 * (1 << 20));
    const { points, stats } = await read(text);
    expect(stats.rows).toBe(expected.length);
    expect(points).toEqual(expected);
  });
});
