import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../src/program.js";
import { capturedIo } from "./capturedIo.js";
import { scratchDir } from "./scratchDir.js";

// The README quick start on examples/, checked against numbers worked out by hand from how
// examples/generate-points.mjs builds the data (see the comment at its top).
const EXAMPLES = fileURLToPath(new URL("../../../examples/", import.meta.url));
const scratch = scratchDir();

let rows: Map<string, string>;
let lines: string[];

beforeAll(async () => {
  const io = capturedIo();
  const exitCode = await runCli(
    [
      "evaluate",
      "--config",
      join(EXAMPLES, "kpis.yaml"),
      "--input",
      join(EXAMPLES, "points.csv"),
      "--from",
      "2024-03-30T00:00:00Z",
      "--to",
      "2024-04-02T00:00:00Z",
    ],
    io,
  );
  expect(io.stderrText()).toBe("");
  expect(exitCode).toBe(0);
  lines = io.stdoutText().trim().split("\n");
  rows = new Map(
    lines.slice(1).map((line) => {
      const [key, timestamp, value, status] = line.split(",");
      return [`${key}@${new Date(Number(timestamp)).toISOString()}`, `${value} ${status}`];
    }),
  );
});

describe("the examples", () => {
  it("gives 72 hourly rows for each hourly KPI and 2 rows for each daily KPI (152 in all)", () => {
    expect(lines.length - 1).toBe(2 * 72 + 4 * 2);
  });

  it("gives 6750 kWh / 1600 units on the 23-hour production day across the DST change", () => {
    // 06:00 CET Mar 30 to 06:00 CEST Mar 31: 16 h at 400 kW + 7 h at 50 kW; the 5-minute ramps
    // down at 22:00 (-18.75 kWh) and up at the next 06:00 (+18.75 kWh) cancel out.
    expect(rows.get("kpi:line-1:energy-per-unit-1d@2024-03-30T05:00:00.000Z")).toBe("4.21875 Good");
  });

  it("gives 6800 kWh / 1600 units on a 24-hour production day, across a counter reset and a Bad power point", () => {
    expect(rows.get("kpi:line-1:energy-per-unit-1d@2024-03-31T04:00:00.000Z")).toBe("4.25 Good");
  });

  it("gives exactly the 300 m3/h setpoint in the test hours, with the 9999 spike cleaned away", () => {
    expect(rows.get("kpi:pump-01:flow-avg-1h@2024-03-30T12:00:00.000Z")).toBe("300 Good");
    expect(rows.get("kpi:pump-01:flow-avg-1h@2024-03-30T13:00:00.000Z")).toBe("300 Good");
  });

  it("writes Bad hourly means inside the 2.5 h outage, where coverage is 0", () => {
    expect(rows.get("kpi:pump-01:flow-avg-1h@2024-03-31T10:00:00.000Z")).toBe(" Bad");
    expect(rows.get("kpi:pump-01:flow-avg-1h@2024-03-31T11:00:00.000Z")).toBe(" Bad");
    expect(rows.get("kpi:pump-01:flow-coverage-1h@2024-03-31T10:00:00.000Z")).toBe("0 Good");
    expect(rows.get("kpi:pump-01:flow-coverage-1h@2024-03-31T11:00:00.000Z")).toBe("0 Good");
  });

  it("covers half of the hour in which data comes back at 12:30", () => {
    expect(rows.get("kpi:pump-01:flow-coverage-1h@2024-03-31T12:00:00.000Z")).toBe("0.5 Good");
  });

  it("labels the Oslo calendar days by their local midnight: 23:00Z before DST, 22:00Z after", () => {
    const daily = [...rows.keys()].filter((key) => key.startsWith("kpi:pump-01:flow-avg-1d@"));
    expect(daily).toEqual([
      "kpi:pump-01:flow-avg-1d@2024-03-30T23:00:00.000Z",
      "kpi:pump-01:flow-avg-1d@2024-03-31T22:00:00.000Z",
    ]);
  });

  it("keeps the daily mean flow near the 200 m3/h the generator centres it on", () => {
    for (const [key, value] of rows) {
      if (!key.startsWith("kpi:pump-01:flow-avg-1d@")) continue;
      const mean = Number(value.split(" ")[0]);
      expect(mean).toBeGreaterThan(190);
      expect(mean).toBeLessThan(215);
    }
  });

  it("ships the points.csv that generate-points.mjs writes", () => {
    const regenerated = join(scratch.dir(), "points.csv");
    execFileSync(process.execPath, [join(EXAMPLES, "generate-points.mjs"), regenerated]);
    expect(readFileSync(regenerated, "utf8")).toBe(readFileSync(join(EXAMPLES, "points.csv"), "utf8"));
  });
});
