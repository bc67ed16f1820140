import type { TestEmulator } from "@kpi-pipeline/cdf-emulator/testing";
import type { KpiDatapoint, SeriesRef } from "@kpi-pipeline/kpi-core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { CdfConnection } from "../src/cdfConnection.js";
import { CdfKpiOutput, MissingOutputSeriesError } from "../src/cdfKpiOutput.js";
import type { OutputSeriesSpec } from "../src/ensureTimeSeries.js";
import { COGNITE_TIME_SERIES_VIEW, type OutputNodeSpec } from "../src/ensureTimeSeriesNodes.js";
import { METADATA_KEYS } from "../src/outputSeriesMetadata.js";
import { cdfOnEmulator } from "./cdfOnEmulator.js";

// A first run's catch-up writes to outputs that do not exist yet. `latest`, asked first, already
// shows which are missing, so the write creates them and then inserts once: exactly the inserts
// the points need and no refused one.

let t: TestEmulator;
let cdf: CdfConnection;

cdfOnEmulator({ project: "first-write-test" }, (suite) => {
  ({ t, cdf } = suite);
});

const BASE = 1_700_000_000_000;
const SPACE = "kpis";
const INPUTS: SeriesRef[] = [{ externalId: "flow" }];

const extSpec = (externalId: string): OutputSeriesSpec => ({
  externalId,
  name: `KPI ${externalId}`,
  unit: "m3",
  configHash: `hash-${externalId}`,
  inputs: INPUTS,
});
const nodeSpec = (externalId: string): OutputNodeSpec => ({
  instanceId: { space: SPACE, externalId },
  name: `KPI ${externalId}`,
  unit: "m3",
  configHash: `hash-${externalId}`,
  inputs: INPUTS,
});
const points = (n: number): KpiDatapoint[] =>
  Array.from({ length: n }, (_, i) => ({ timestamp: BASE + i, value: i, status: "Good" }));

async function resetWithSpace(): Promise<void> {
  await t.emulator.control.reset();
  await cdf.post("/models/spaces", { items: [{ space: SPACE }] });
}

/** What the emulator served between two calls: inserts, refused requests, points inserted. */
function traffic() {
  const snapshot = () => {
    const stats = t.emulator.control.stats();
    let refused = 0;
    for (const byStatus of Object.values(stats.requests)) {
      for (const [status, count] of Object.entries(byStatus)) if (!/^2/.test(status)) refused += count;
    }
    return {
      inserts: stats.requests["POST /timeseries/data"]?.["200"] ?? 0,
      refused,
      points: stats.datapointsInserted,
    };
  };
  const before = snapshot();
  return () => {
    const after = snapshot();
    return {
      inserts: after.inserts - before.inserts,
      refused: after.refused - before.refused,
      points: after.points - before.points,
    };
  };
}

async function node(externalId: string) {
  const answer = await cdf.post<{
    items: Array<{ properties: Record<string, Record<string, Record<string, unknown>>> }>;
  }>("/models/instances/byids", {
    items: [{ instanceType: "node", space: SPACE, externalId }],
    sources: [{ source: COGNITE_TIME_SERIES_VIEW }],
  });
  return answer.items[0]?.properties.cdf_cdm?.["CogniteTimeSeries/v1"];
}

describe("CdfKpiOutput's first write to missing outputs", () => {
  it("lands in ceil(points / maxPoints) inserts and no refused request, for any mix of externalId and instanceId outputs", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ dataModel: fc.boolean(), points: fc.integer({ min: 1, max: 400 }) }), {
          minLength: 1,
          maxLength: 6,
        }),
        fc.integer({ min: 50, max: 700 }),
        async (outputs, maxPoints) => {
          await resetWithSpace();
          const refs: SeriesRef[] = outputs.map((o, i) =>
            o.dataModel
              ? { instanceId: { space: SPACE, externalId: `kpi:${i}` } }
              : { externalId: `kpi:${i}` },
          );
          const output = new CdfKpiOutput(cdf, {
            outputs: outputs.flatMap((o, i) => (o.dataModel ? [] : [extSpec(`kpi:${i}`)])),
            nodeOutputs: outputs.flatMap((o, i) => (o.dataModel ? [nodeSpec(`kpi:${i}`)] : [])),
            maxPoints,
          });
          expect(await output.latest(refs)).toEqual(refs.map(() => undefined));
          const total = outputs.reduce((sum, o) => sum + o.points, 0);
          const served = traffic();
          await output.write(refs.map((series, i) => ({ series, datapoints: points(outputs[i]!.points) })));
          expect(served()).toEqual({ inserts: Math.ceil(total / maxPoints), refused: 0, points: total });
          expect(await output.latest(refs)).toEqual(outputs.map((o) => BASE + o.points - 1));
        },
      ),
      { numRuns: 15 },
    );
  });

  it("creates the outputs of this write with their metadata, not the other missing ones, and only once", async () => {
    await resetWithSpace();
    const output = new CdfKpiOutput(cdf, {
      outputs: [extSpec("kpi:a"), extSpec("kpi:later")],
      nodeOutputs: [nodeSpec("kpi:dm")],
      maxPoints: 100,
    });
    const a = { externalId: "kpi:a" };
    const dm = { instanceId: { space: SPACE, externalId: "kpi:dm" } };
    await output.latest([a, dm, { externalId: "kpi:later" }]);
    const served = traffic();
    await output.write([
      { series: a, datapoints: points(150) },
      { series: dm, datapoints: points(100) },
    ]);
    expect(served()).toEqual({ inserts: 3, refused: 0, points: 250 });

    const [created] = await t.client.timeseries.retrieve([a]);
    expect(created).toMatchObject({ name: "KPI kpi:a", unit: "m3", isStep: false });
    expect(created!.metadata).toMatchObject({
      [METADATA_KEYS.configHash]: "hash-kpi:a",
      [METADATA_KEYS.inputs]: '[{"externalId":"flow"}]',
    });
    const createdNode = await node("kpi:dm");
    expect(createdNode).toMatchObject({ name: "KPI kpi:dm", sourceUnit: "m3", sourceId: "kpi-pipeline" });
    expect(JSON.parse(String(createdNode!.sourceContext))).toMatchObject({
      [METADATA_KEYS.configHash]: "hash-kpi:dm",
    });
    // An output this write does not touch is left to the write that does.
    expect(
      await t.client.timeseries.retrieve([{ externalId: "kpi:later" }], { ignoreUnknownIds: true }),
    ).toEqual([]);

    // Created outputs are forgotten as missing: the next write is its insert alone.
    const before = cdf.requestCount;
    await output.write([{ series: dm, datapoints: points(1).map((p) => ({ ...p, timestamp: BASE + 500 })) }]);
    expect(cdf.requestCount - before).toBe(1);
  });

  it("still lands when an output that existed at `latest` is deleted before the write", async () => {
    await resetWithSpace();
    const a = { externalId: "kpi:a" };
    const dm = { instanceId: { space: SPACE, externalId: "kpi:dm" } };
    await t.client.timeseries.create([{ externalId: "kpi:a" }]);
    t.emulator.control.createTimeSeries([{ ...dm, isStep: false }]);
    const output = new CdfKpiOutput(cdf, { outputs: [extSpec("kpi:a")], nodeOutputs: [nodeSpec("kpi:dm")] });
    expect(await output.latest([a, dm])).toEqual([undefined, undefined]);
    await t.client.timeseries.delete([a]);
    await cdf.post("/models/instances/delete", { items: [{ instanceType: "node", ...dm.instanceId }] });

    const served = traffic();
    await output.write([
      { series: a, datapoints: points(3) },
      { series: dm, datapoints: points(2) },
    ]);
    // The refused insert, then the one that lands.
    expect(served()).toEqual({ inserts: 1, refused: 1, points: 5 });
    expect(await output.latest([a, dm])).toEqual([BASE + 2, BASE + 1]);
    expect((await t.client.timeseries.retrieve([a]))[0]!.metadata).toMatchObject({
      [METADATA_KEYS.configHash]: "hash-kpi:a",
    });
  });

  it("refuses an output no KPI defines, naming it, after CDF refused the insert", async () => {
    await resetWithSpace();
    const output = new CdfKpiOutput(cdf, { outputs: [extSpec("kpi:a")] });
    const a = { externalId: "kpi:a" };
    const stray = { instanceId: { space: SPACE, externalId: "stray" } };
    await output.latest([a, stray]);
    const served = traffic();
    const error = await output
      .write([
        { series: a, datapoints: points(2) },
        { series: stray, datapoints: points(2) },
      ])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MissingOutputSeriesError);
    expect((error as Error).message).toBe(
      'Output time series instanceId { space: "kpis", externalId: "stray" } does not exist in CDF project ' +
        "first-write-test and no KPI defines it here; create it before the run.",
    );
    expect(served()).toMatchObject({ inserts: 0, refused: 1 });
  });

  it("writes to an output no KPI defines that someone created after latest found it missing", async () => {
    await resetWithSpace();
    const output = new CdfKpiOutput(cdf, { outputs: [extSpec("kpi:a")] });
    const a = { externalId: "kpi:a" };
    const theirs = { externalId: "theirs" };
    await output.latest([a, theirs]);
    await t.client.timeseries.create([theirs]);
    const served = traffic();
    await output.write([
      { series: a, datapoints: points(2) },
      { series: theirs, datapoints: points(3) },
    ]);
    expect(served()).toEqual({ inserts: 1, refused: 0, points: 5 });
  });
});

describe("POST /timeseries/data/latest with ignoreUnknownIds, as CdfKpiOutput relies on", () => {
  it("answers every existing series, with no datapoints where it has none, and leaves out unknown externalIds and instanceIds", async () => {
    await resetWithSpace();
    await t.client.timeseries.create([{ externalId: "empty" }]);
    t.emulator.control.createTimeSeries([
      { instanceId: { space: SPACE, externalId: "empty-node" }, isStep: false },
    ]);
    const answer = await cdf.post<{ items: Array<Record<string, unknown>> }>("/timeseries/data/latest", {
      items: [
        { externalId: "unknown" },
        { externalId: "empty" },
        { instanceId: { space: SPACE, externalId: "unknown-node" } },
        { instanceId: { space: SPACE, externalId: "empty-node" } },
        { instanceId: { space: "no-such-space", externalId: "x" } },
      ],
      ignoreUnknownIds: true,
    });
    expect(answer.items.map((item) => [item.externalId ?? item.instanceId, item.datapoints])).toEqual([
      ["empty", []],
      [{ space: SPACE, externalId: "empty-node" }, []],
    ]);
  });
});
