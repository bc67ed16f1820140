import { createTestEmulator, type TestEmulator } from "@kpi-pipeline/cdf-emulator/testing";
import { type KpiDatapoint, type SeriesRef, STATUS_BAD } from "@kpi-pipeline/kpi-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { CdfConnection } from "../src/cdfConnection.js";
import { CdfKpiOutput, MissingOutputSeriesError } from "../src/cdfKpiOutput.js";
import { cdfSettingsFromEnvironment } from "../src/cdfSettings.js";
import { connectCdf } from "../src/connectCdf.js";
import { PartialWriteError } from "../src/partialWriteError.js";
import type { RetryPolicy } from "../src/withRetries.js";
import { environmentOf } from "./environmentOf.js";
import { failingInsertAfter } from "./failingInsertAfter.js";
import { seedSeries } from "./seedSeries.js";

const BASE = 1_700_000_000_000;
const ONE_ATTEMPT: RetryPolicy = { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1 };
let t: TestEmulator;
let cdf: CdfConnection;

beforeAll(async () => {
  t = await createTestEmulator({ project: "output-test" });
  cdf = await connectCdf(cdfSettingsFromEnvironment(environmentOf(t.emulator)));
});
afterEach(() => {
  t.emulator.control.clearFaults();
  t.assertContract();
});
afterAll(() => t.close());

const good = (i: number, value: number): KpiDatapoint => ({ timestamp: BASE + i, value, status: "Good" });
const bad = (i: number): KpiDatapoint => ({
  timestamp: BASE + i,
  value: null,
  status: "Bad",
  reason: "no data",
});

async function stored(externalId: string) {
  const response = await cdf.post<{
    items: Array<{ datapoints: Array<{ timestamp: number; value?: number; status?: { code: number } }> }>;
  }>("/timeseries/data/list", {
    items: [{ externalId }],
    start: 0,
    end: BASE * 2,
    includeStatus: true,
    ignoreBadDataPoints: false,
  });
  return response.items[0]!.datapoints.map((p) => [p.timestamp - BASE, p.value ?? null, p.status?.code ?? 0]);
}

describe("CdfKpiOutput", () => {
  it("creates missing output series on the first write, with their metadata, and writes Bad windows without a value", async () => {
    await t.emulator.control.reset();
    const output = new CdfKpiOutput(cdf, {
      outputs: [
        { externalId: "kpi:a", name: "A", unit: "m3", configHash: "h1", inputs: [{ externalId: "in" }] },
      ],
    });
    await output.write([{ series: { externalId: "kpi:a" }, datapoints: [good(0, 1.5), bad(1), good(2, 3)] }]);
    expect(await stored("kpi:a")).toEqual([
      [0, 1.5, 0],
      [1, null, STATUS_BAD],
      [2, 3, 0],
    ]);
    const [series] = await t.client.timeseries.retrieve([{ externalId: "kpi:a" }]);
    expect(series).toMatchObject({ name: "A", unit: "m3", isStep: false });
    expect(series!.metadata).toMatchObject({ "kpi-pipeline:configHash": "h1" });
    // The series exists now: the next write is one request.
    const before = cdf.requestCount;
    await output.write([{ series: { externalId: "kpi:a" }, datapoints: [good(3, 4)] }]);
    expect(cdf.requestCount - before).toBe(1);
  });

  it("tells the latest timestamp of each series, a Bad datapoint included, undefined for missing or empty series", async () => {
    await t.emulator.control.reset();
    const refs: SeriesRef[] = Array.from({ length: 130 }, (_, i) => ({ externalId: `out-${i}` }));
    await seedSeries(t, [
      ...refs.slice(0, 120).map((ref, i) => ({
        ref,
        points: [
          { timestamp: BASE, value: 1 },
          i % 2 === 0
            ? { timestamp: BASE + i + 1, status: STATUS_BAD }
            : { timestamp: BASE + i + 1, value: 2 },
        ],
      })),
      {
        ref: { instanceId: { space: "sp", externalId: "dm-out" } },
        points: [{ timestamp: BASE + 7, value: 1 }],
      },
      { ref: { externalId: "empty" }, points: [] },
    ]);
    const output = new CdfKpiOutput(cdf);
    const asked: SeriesRef[] = [
      ...refs,
      { instanceId: { space: "sp", externalId: "dm-out" } },
      { externalId: "empty" },
    ];
    const before = cdf.requestCount;
    const latest = await output.latest(asked);
    expect(cdf.requestCount - before).toBe(2);
    expect(latest).toEqual([
      ...refs.map((_, i) => (i < 120 ? BASE + i + 1 : undefined)),
      BASE + 7,
      undefined,
    ]);
  });

  it("removes ranges from series by externalId and by instanceId, 10,000 ranges a request, again after a request applied then failed", async () => {
    await t.emulator.control.reset();
    const dm = { instanceId: { space: "sp", externalId: "dm-rm" } };
    const points = Array.from({ length: 30_000 }, (_, i) => ({ timestamp: BASE + i, value: i }));
    await seedSeries(t, [
      { ref: { externalId: "kpi:rm" }, points },
      { ref: dm, points: points.slice(0, 10) },
    ]);
    // Every other point of kpi:rm (15,000 one-point ranges), and [2, 5) of the data-model series.
    const odd = Array.from({ length: 15_000 }, (_, i) => ({
      start: BASE + 2 * i + 1,
      end: BASE + 2 * i + 2,
    }));
    t.emulator.control.addFault({
      path: "*/timeseries/data/delete",
      status: 503,
      afterApply: true,
      count: 1,
    });
    const output = new CdfKpiOutput(cdf, { retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 1 } });
    const before = cdf.requestCount;
    await output.remove([
      { series: { externalId: "kpi:rm" }, ranges: odd },
      { series: dm, ranges: [{ start: BASE + 2, end: BASE + 5 }] },
    ]);
    // Two requests of at most 10,000 items, and the one the fault failed (applied) sent again.
    expect(cdf.requestCount - before).toBe(3);
    const kept = await cdf.post<{ items: Array<{ datapoints: Array<{ timestamp: number }> }> }>(
      "/timeseries/data/list",
      { items: [{ externalId: "kpi:rm", start: 0, end: BASE * 2, limit: 100_000 }] },
    );
    expect(kept.items[0]!.datapoints.map((p) => p.timestamp - BASE)).toEqual(
      Array.from({ length: 15_000 }, (_, i) => 2 * i),
    );
    const left = await cdf.post<{ items: Array<{ datapoints: Array<{ timestamp: number }> }> }>(
      "/timeseries/data/list",
      { items: [{ ...dm, start: 0, end: BASE * 2 }] },
    );
    expect(left.items[0]!.datapoints.map((p) => p.timestamp - BASE)).toEqual([0, 1, 5, 6, 7, 8, 9]);
  });

  it("surfaces a write that stops part way as a PartialWriteError naming what landed", async () => {
    await t.emulator.control.reset();
    await seedSeries(t, [{ ref: { externalId: "kpi:p" }, points: [] }]);
    const output = new CdfKpiOutput(failingInsertAfter(t, cdf, 1), { retry: ONE_ATTEMPT, maxPoints: 2 });
    const error = await output
      .write([{ series: { externalId: "kpi:p" }, datapoints: [0, 1, 2, 3, 4].map((i) => good(i, i)) }])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PartialWriteError);
    expect((error as PartialWriteError).message).toMatch(
      /^Datapoint write stopped at request 2 of 3: POST \/timeseries\/data got no answer from CDF/,
    );
    expect((error as PartialWriteError).landedThrough({ externalId: "kpi:p" })).toBe(BASE + 1);
    expect(await new CdfKpiOutput(cdf).latest([{ externalId: "kpi:p" }])).toEqual([BASE + 1]);
  });

  it("creates a missing data-model output as a CogniteTimeSeries node on the first write, then writes to it", async () => {
    await t.emulator.control.reset();
    await cdf.post("/models/spaces", { items: [{ space: "kpis" }] });
    const series = { instanceId: { space: "kpis", externalId: "kpi:dm" } };
    const output = new CdfKpiOutput(cdf, {
      nodeOutputs: [{ ...series, name: "DM", unit: "m3", configHash: "h1", inputs: [{ externalId: "in" }] }],
    });
    await output.write([{ series, datapoints: [good(0, 1.5), bad(1)] }]);
    expect(await output.latest([series])).toEqual([BASE + 1]);
    const [created] = await t.client.timeseries.retrieve([series]);
    expect(created).toMatchObject({ name: "DM", unit: "m3", isStep: false });
  });

  it("refuses to invent an output series no KPI defines, saying so", async () => {
    await t.emulator.control.reset();
    const error = await new CdfKpiOutput(cdf)
      .write([{ series: { instanceId: { space: "sp", externalId: "nope" } }, datapoints: [good(0, 1)] }])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MissingOutputSeriesError);
    expect((error as Error).message).toBe(
      'Output time series instanceId { space: "sp", externalId: "nope" } does not exist in CDF project output-test ' +
        "and no KPI defines it here; create it before the run.",
    );
  });
});
