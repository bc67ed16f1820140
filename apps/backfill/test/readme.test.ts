import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseKpiConfig } from "@kpi-pipeline/kpi-core";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";

// The README's kpis.yaml examples are what users copy first: they must load exactly as written.
const readme = readFileSync(fileURLToPath(new URL("../../../README.md", import.meta.url)), "utf8");
const yamlBlocks = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)]
  .map((match) => match[1]!)
  .filter((text) => /^kpis:/m.test(text));

describe("the README's kpis.yaml examples", () => {
  it("there is at least one full example", () => {
    expect(yamlBlocks.length).toBeGreaterThan(0);
  });

  it.each(yamlBlocks.map((text, i) => [i, text]))("example %i loads without errors", (_, text) => {
    const kpis = parseKpiConfig(parseYaml(text as string), "README.md");
    expect(kpis.length).toBeGreaterThan(0);
    for (const kpi of kpis) expect(kpi.configHash).toMatch(/^[0-9a-f]{16}$/);
  });
});
