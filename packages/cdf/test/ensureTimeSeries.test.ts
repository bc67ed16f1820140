import { createTestEmulator, type TestEmulator } from "@kpi-pipeline/cdf-emulator/testing";
import type { SeriesRef } from "@kpi-pipeline/kpi-core";
import fc from "fast-check";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { CdfConnection } from "../src/cdfConnection.js";
import { CDF_LIMITS } from "../src/cdfLimits.js";
import { cdfSettingsFromEnvironment } from "../src/cdfSettings.js";
import { connectCdf } from "../src/connectCdf.js";
import { ensureTimeSeries } from "../src/ensureTimeSeries.js";
import { METADATA_KEYS, outputSeriesMetadata } from "../src/outputSeriesMetadata.js";
import { OutputSeriesSpecError } from "../src/outputSeriesSpecError.js";
import { environmentOf } from "./environmentOf.js";

let t: TestEmulator;
let cdf: CdfConnection;

beforeAll(async () => {
  t = await createTestEmulator({ project: "ensure-test" });
  cdf = await connectCdf(cdfSettingsFromEnvironment(environmentOf(t.emulator)));
});
afterEach(() => {
  t.emulator.control.clearFaults();
  t.assertContract();
});
afterAll(() => t.close());

const spec = (externalId: string, inputs: SeriesRef[] = [{ externalId: "in" }]) => ({
  externalId,
  name: `KPI ${externalId}`,
  description: "Mean flow per hour",
  unit: "m3/h",
  configHash: "sha256:abc",
  inputs,
});

const bytes = (s: string) => Buffer.byteLength(s, "utf8");

describe("ensureTimeSeries", () => {
  it("creates the missing series with their metadata and leaves existing ones alone", async () => {
    await t.emulator.control.reset();
    await t.client.timeseries.create([{ externalId: "old", metadata: { mine: "yes" } }]);
    const report = await ensureTimeSeries(cdf, [
      spec("old"),
      spec("new1"),
      spec("new2", [{ instanceId: { space: "s", externalId: "i" } }]),
    ]);
    expect(report).toEqual({ created: ["new1", "new2"], existing: ["old"] });
    const [old, created] = await t.client.timeseries.retrieve([
      { externalId: "old" },
      { externalId: "new2" },
    ]);
    expect(old!.metadata).toEqual({ mine: "yes" });
    expect(created).toMatchObject({
      name: "KPI new2",
      description: "Mean flow per hour",
      unit: "m3/h",
      isStep: false,
      metadata: {
        [METADATA_KEYS.configHash]: "sha256:abc",
        [METADATA_KEYS.inputCount]: "1",
        [METADATA_KEYS.inputs]: '[{"instanceId":{"space":"s","externalId":"i"}}]',
      },
    });
    expect(await ensureTimeSeries(cdf, [spec("new1")])).toEqual({ created: [], existing: ["new1"] });
  });

  it("treats series created meanwhile by another run (409 duplicated) as existing", async () => {
    await t.emulator.control.reset();
    // Both runs see the series missing; the delayed creates then collide and one gets a 409.
    t.emulator.control.addFault({ path: "*/timeseries", method: "POST", latencyMs: 300 });
    const [a, b] = await Promise.all([
      ensureTimeSeries(cdf, [spec("x"), spec("y")]),
      ensureTimeSeries(cdf, [spec("y"), spec("z")]),
    ]);
    expect(t.emulator.control.stats().requests["POST /timeseries"]?.[409]).toBe(1);
    expect([...a.created, ...b.created].sort()).toEqual(["x", "y", "z"]);
    expect([...a.existing, ...b.existing]).toEqual(["y"]);
    expect((await t.client.timeseries.list().autoPagingToArray()).map((s) => s.externalId).sort()).toEqual([
      "x",
      "y",
      "z",
    ]);
  });

  it("refuses a unit over CDF's 32 characters before creating anything", async () => {
    await t.emulator.control.reset();
    await expect(ensureTimeSeries(cdf, [spec("ok"), { ...spec("u"), unit: "x".repeat(33) }])).rejects.toThrow(
      new OutputSeriesSpecError(`Output series "u": unit "${"x".repeat(33)}" is over 32 characters.`),
    );
    expect(await t.client.timeseries.list().autoPagingToArray()).toEqual([]);
  });

  it("creates a KPI with thousands of inputs: the metadata keeps what fits", async () => {
    await t.emulator.control.reset();
    const inputs = Array.from({ length: 2000 }, (_, i) => ({ externalId: `input-${i}` }));
    expect((await ensureTimeSeries(cdf, [spec("wide", inputs)])).created).toEqual(["wide"]);
  });
});

describe("outputSeriesMetadata", () => {
  it("stays within CDF's metadata limits, lists a prefix of the inputs as JSON, and counts them all", () => {
    const refArb = fc.oneof(
      fc.record({ externalId: fc.string({ minLength: 1, maxLength: 255, unit: "binary" }) }),
      fc.record({
        instanceId: fc.record({
          space: fc.string({ minLength: 1, maxLength: 43 }),
          externalId: fc.string({ minLength: 1, maxLength: 255 }),
        }),
      }),
    );
    fc.assert(
      fc.property(
        fc.array(refArb, { maxLength: 300 }),
        fc.dictionary(fc.string({ minLength: 1, maxLength: 20 }), fc.string({ maxLength: 50 }), {
          maxKeys: 10,
        }),
        (inputs, extra) => {
          const metadata = outputSeriesMetadata("kpi", { configHash: "h".repeat(64), inputs, extra });
          const entries = Object.entries(metadata);
          expect(entries.length).toBeLessThanOrEqual(CDF_LIMITS.metadataKeys);
          expect(entries.reduce((n, [k, v]) => n + bytes(k) + bytes(v), 0)).toBeLessThanOrEqual(
            CDF_LIMITS.metadataTotalBytes,
          );
          for (const [k] of entries) expect(bytes(k)).toBeLessThanOrEqual(CDF_LIMITS.metadataKeyBytes);
          const listed = JSON.parse(metadata[METADATA_KEYS.inputs]!) as SeriesRef[];
          expect(listed).toEqual(inputs.slice(0, listed.length));
          expect(metadata[METADATA_KEYS.inputCount]).toBe(String(inputs.length));
          expect(metadata[METADATA_KEYS.configHash]).toBe("h".repeat(64));
        },
      ),
    );
  });
});
