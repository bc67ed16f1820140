import type { TestEmulator } from "@kpi-pipeline/cdf-emulator/testing";
import { describe, expect, it } from "vitest";
import type { CdfConnection } from "../src/cdfConnection.js";
import {
  COGNITE_TIME_SERIES_VIEW,
  ensureTimeSeriesNodes,
  MissingSpaceError,
  type OutputNodeSpec,
} from "../src/ensureTimeSeriesNodes.js";
import { METADATA_KEYS } from "../src/outputSeriesMetadata.js";
import { OutputSeriesSpecError } from "../src/outputSeriesSpecError.js";
import { cdfOnEmulator } from "./cdfOnEmulator.js";

let t: TestEmulator;
let cdf: CdfConnection;

cdfOnEmulator({ project: "nodes-test" }, (suite) => {
  ({ t, cdf } = suite);
});

const spec = (externalId: string, space = "kpis"): OutputNodeSpec => ({
  instanceId: { space, externalId },
  name: `KPI ${externalId}`,
  description: "Mean flow per hour",
  unit: "m3/h",
  configHash: "abc123",
  inputs: [{ externalId: "flow" }, { instanceId: { space: "plant", externalId: "level" } }],
});

async function node(
  space: string,
  externalId: string,
): Promise<({ version: number } & Record<string, unknown>) | undefined> {
  const answer = await cdf.post<{
    items: Array<{ version: number; properties: Record<string, Record<string, Record<string, unknown>>> }>;
  }>("/models/instances/byids", {
    items: [{ instanceType: "node", space, externalId }],
    sources: [{ source: COGNITE_TIME_SERIES_VIEW }],
  });
  const found = answer.items[0];
  return found === undefined
    ? undefined
    : { version: found.version, ...found.properties.cdf_cdm!["CogniteTimeSeries/v1"] };
}

async function resetWithSpace(): Promise<void> {
  await t.emulator.control.reset();
  t.emulator.control.clearFaults();
  await cdf.post("/models/spaces", { items: [{ space: "kpis" }] });
}

describe("ensureTimeSeriesNodes", () => {
  it("creates missing CogniteTimeSeries nodes with the KPI's description, unit and metadata, and leaves existing ones as they are", async () => {
    await resetWithSpace();
    await cdf.post("/models/instances", {
      items: [
        {
          instanceType: "node",
          space: "kpis",
          externalId: "theirs",
          sources: [
            {
              source: COGNITE_TIME_SERIES_VIEW,
              properties: { type: "numeric", isStep: false, name: "Mine" },
            },
          ],
        },
      ],
    });
    const report = await ensureTimeSeriesNodes(cdf, [spec("theirs"), spec("new")]);
    expect(report).toEqual({ created: ["kpis/new"], existing: ["kpis/theirs"] });
    expect(await node("kpis", "theirs")).toMatchObject({ version: 1, name: "Mine" });
    const created = await node("kpis", "new");
    expect(created).toMatchObject({
      type: "numeric",
      isStep: false,
      name: "KPI new",
      description: "Mean flow per hour",
      sourceUnit: "m3/h",
      sourceId: "kpi-pipeline",
    });
    expect(JSON.parse(String(created!.sourceContext))).toEqual({
      [METADATA_KEYS.configHash]: "abc123",
      [METADATA_KEYS.inputCount]: "2",
      [METADATA_KEYS.inputs]: '[{"externalId":"flow"},{"instanceId":{"space":"plant","externalId":"level"}}]',
    });
    // The node is a time series: datapoints go to it by instanceId.
    await cdf.post("/timeseries/data", {
      items: [{ instanceId: { space: "kpis", externalId: "new" }, datapoints: [{ timestamp: 0, value: 1 }] }],
    });
    expect(await ensureTimeSeriesNodes(cdf, [spec("new")])).toEqual({ created: [], existing: ["kpis/new"] });
    expect(await node("kpis", "new")).toMatchObject({ version: created!.version });
  });

  it("is idempotent when CDF applies a create and then fails the answer, and when two runs create at once", async () => {
    await resetWithSpace();
    t.emulator.control.addFault({
      path: "*/models/instances",
      method: "POST",
      status: 503,
      count: 1,
      afterApply: true,
    });
    const report = await ensureTimeSeriesNodes(cdf, [spec("a")]);
    expect(report.created.length + report.existing.length).toBe(1);
    expect(await node("kpis", "a")).toMatchObject({ name: "KPI a" });
    t.emulator.control.clearFaults();
    const [x, y] = await Promise.all([
      ensureTimeSeriesNodes(cdf, [spec("b"), spec("c")]),
      ensureTimeSeriesNodes(cdf, [spec("c"), spec("d")]),
    ]);
    expect([...x.created, ...y.created].sort()).toEqual(["kpis/b", "kpis/c", "kpis/d"]);
  });

  it("names a missing space and what to do, and creates nothing", async () => {
    await resetWithSpace();
    const error = await ensureTimeSeriesNodes(cdf, [spec("x"), spec("y", "nowhere")]).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(MissingSpaceError);
    expect((error as Error).message).toBe(
      'Data-model output series need the space "nowhere", which CDF project nodes-test does not have; ' +
        "create it (POST /models/spaces) or name an existing space in kpis.yaml.",
    );
    expect(await node("kpis", "x")).toBeUndefined();
  });

  it("refuses an instanceId CDF cannot hold before sending anything", async () => {
    await resetWithSpace();
    const before = cdf.requestCount;
    await expect(ensureTimeSeriesNodes(cdf, [spec("x".repeat(256))])).rejects.toThrow(OutputSeriesSpecError);
    await expect(ensureTimeSeriesNodes(cdf, [spec("x", "s".repeat(44))])).rejects.toThrow(
      /space must have 1 to 43 characters/,
    );
    expect(cdf.requestCount).toBe(before);
  });
});
