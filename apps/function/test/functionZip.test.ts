import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { kpiYamlDocument, parseKpiYaml } from "@kpi-pipeline/kpi-core";
import { unzipSync } from "fflate";
import { describe, expect, it } from "vitest";
import { readConfig } from "../src/functionMain.js";
import { buildFunctionZip } from "../src/functionZip.js";
import { KPIS_YAML } from "./functionOnEmulator.js";

const encode = (text: string) => new TextEncoder().encode(text);
const zipOf = (config: string) =>
  unzipSync(
    buildFunctionZip({
      bundle: encode("//"),
      sourceMap: encode("{}"),
      handler: encode("#"),
      config: encode(config),
    }).zip,
  );

describe("the zip's kpis.json", () => {
  it("holds kpis.yaml's document as JSON, which the call loads instead of the YAML", async () => {
    const files = zipOf(KPIS_YAML);
    const json = new TextDecoder().decode(files["kpis.json"]!);
    expect(JSON.parse(json)).toEqual(kpiYamlDocument(KPIS_YAML));
    const manifest = JSON.parse(new TextDecoder().decode(files["manifest.json"]!)) as { files: object };
    expect(Object.keys(manifest.files)).toContain("kpis.json");
    const dir = await mkdtemp(join(tmpdir(), "kpis-json-"));
    try {
      await writeFile(join(dir, "kpis.yaml"), KPIS_YAML);
      await writeFile(join(dir, "kpis.json"), json);
      expect(await readConfig(dir)).toEqual({ text: KPIS_YAML, source: "kpis.yaml", json });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("is left out when the definitions do not load (an infinite bound, bad YAML, an unknown unit)", () => {
    const infinite = `${KPIS_YAML}  - externalId: kpi:flow:clipped\n    window: { every: 1h }\n    inputs: { flow: { externalId: in:flow, clean: [{ range: [-.inf, 500] }] } }\n    value: mean(flow)\n`;
    expect(() => parseKpiYaml(infinite)).toThrow(/range/);
    expect(zipOf(infinite)["kpis.json"]).toBeUndefined();
    expect(zipOf("kpis: [ {")["kpis.json"]).toBeUndefined();
    expect(zipOf("kpis:\n  - externalId: k\n    window: { every: 7q }\n")["kpis.json"]).toBeUndefined();
  });
});
