import { instanceSeriesKey } from "@kpi-pipeline/kpi-core";
import { describe, expect, it } from "vitest";
import { DataError } from "../src/dataError.js";
import { readJsonlPoints } from "../src/readJsonlPoints.js";
import { recordingSink } from "./recordingSink.js";
import { scratchDir } from "./scratchDir.js";

const scratch = scratchDir();

async function read(lines: string[], wanted?: string[]) {
  const path = scratch.file("points.jsonl", lines.join("\n"));
  const sink = recordingSink(wanted);
  const stats = { rows: 0, bytes: 0 };
  await readJsonlPoints(path, sink, stats);
  return { points: sink.points, stats };
}

async function failure(lines: string[]): Promise<string> {
  const error = await read(lines).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DataError);
  return (error as DataError).message;
}

describe("readJsonlPoints", () => {
  it("reads objects with epoch-ms or ISO timestamps", async () => {
    const { points } = await read([
      '{"externalId":"a","timestamp":1000,"value":1.5,"status":"Good"}',
      '{"externalId":"a","timestamp":"1970-01-01T00:00:02Z","value":2}',
    ]);
    expect(points).toEqual([
      { key: "a", timestamp: 1000, value: 1.5, status: 0 },
      { key: "a", timestamp: 2000, value: 2, status: 0 },
    ]);
  });

  it("reads a null or absent value as no value", async () => {
    const { points } = await read([
      '{"externalId":"a","timestamp":1,"value":null,"status":"Bad"}',
      '{"externalId":"a","timestamp":2}',
    ]);
    expect(points.map((p) => p.value)).toEqual([Number.NaN, Number.NaN]);
    expect(points.map((p) => p.status)).toEqual([2147483648, 0]);
  });

  it("reads CDF's status object, a numeric code, or a symbol", async () => {
    const { points } = await read([
      '{"externalId":"a","timestamp":1,"value":1,"status":{"code":1073741824,"symbol":"Uncertain"}}',
      '{"externalId":"a","timestamp":2,"value":1,"status":{"symbol":"BadNoData"}}',
      '{"externalId":"a","timestamp":3,"value":1,"status":2147483648}',
      '{"externalId":"a","timestamp":4,"value":1,"status":{}}',
    ]);
    expect(points.map((p) => p.status)).toEqual([1073741824, 2147483648, 2147483648, 0]);
  });

  it("reads an instanceId object as a data-modeling series", async () => {
    const { points } = await read([
      '{"instanceId":{"space":"plant","externalId":"flow"},"timestamp":1,"value":1}',
    ]);
    expect(points[0]!.key).toBe(instanceSeriesKey("plant", "flow"));
  });

  it("skips blank lines and series nobody asked for", async () => {
    const { points, stats } = await read(
      ['{"externalId":"x","timestamp":"never"}', "", '{"externalId":"a","timestamp":1,"value":3}'],
      ["a"],
    );
    expect(points).toEqual([{ key: "a", timestamp: 1, value: 3, status: 0 }]);
    expect(stats.rows).toBe(2);
  });

  it("names file and line of invalid JSON", async () => {
    expect(await failure(['{"externalId":"a","timestamp":1}', "{oops"])).toMatch(
      /points\.jsonl:2: not valid JSON/,
    );
  });

  it("names file and line of a bad timestamp", async () => {
    expect(await failure(['{"externalId":"a","timestamp":"abc","value":1}'])).toMatch(
      /points\.jsonl:1: timestamp "abc" is not epoch ms or ISO 8601/,
    );
  });

  it("rejects a fractional epoch timestamp", async () => {
    expect(await failure(['{"externalId":"a","timestamp":1.5,"value":1}'])).toMatch(
      /timestamp 1\.5 is not a whole number of epoch ms/,
    );
  });

  it("names file and line of a row without a series", async () => {
    expect(await failure(['{"timestamp":1,"value":1}'])).toMatch(/points\.jsonl:1: needs "externalId"/);
  });

  it("names file and line of a non-numeric value and of a bad status", async () => {
    expect(await failure(['{"externalId":"a","timestamp":1,"value":true}'])).toMatch(
      /points\.jsonl:1: value true is not a number/,
    );
    expect(await failure(['{"externalId":"a","timestamp":1,"value":1,"status":"Fine"}'])).toMatch(
      /points\.jsonl:1: status "Fine" is not Good/,
    );
  });

  it("rejects a line that is not an object", async () => {
    expect(await failure(["[1,2]"])).toMatch(/points\.jsonl:1: expected a JSON object per line/);
  });
});
