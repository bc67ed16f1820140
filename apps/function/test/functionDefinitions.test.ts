import { parseKpiYaml } from "@kpi-pipeline/kpi-core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { functionDefinitions } from "../src/functionDefinitions.js";
import { FunctionInputError } from "../src/functionInputError.js";
import { kpisJson } from "../src/functionZip.js";
import { KPIS_YAML } from "./functionOnEmulator.js";

// The definitions a call runs: the zip's kpis.json when the package step wrote one, which must
// mean exactly what kpis.yaml means; a kpis.json that does not is a broken zip, said as such.

const jsonOf = (yaml: string) => {
  const bytes = kpisJson(new TextEncoder().encode(yaml));
  return bytes === undefined ? undefined : new TextDecoder().decode(bytes);
};

function failure(config: Parameters<typeof functionDefinitions>[0]): string {
  try {
    functionDefinitions(config);
  } catch (error) {
    expect(error).toBeInstanceOf(FunctionInputError);
    return (error as Error).message;
  }
  throw new Error("expected the definitions to be refused");
}

/** A number as YAML writes it, -0 and the infinities included. */
const yamlNumber = (x: number) =>
  Object.is(x, -0) ? "-0" : x === Infinity ? ".inf" : x === -Infinity ? "-.inf" : String(x);

const kpiYaml = fc
  .record({
    // JSON's double-quoted strings are YAML's too: any text, lone surrogates included.
    externalId: fc.string({ minLength: 1, maxLength: 12 }),
    every: fc.constantFrom("10m", "1h", "1d", "1mo"),
    value: fc.constantFrom("mean(x)", "twa(x)", "count(x)", "percentile(x, 95)", "max(x) - min(x)"),
    // Ordered and not NaN, so that most configs load (-0 and the infinities included).
    range: fc.option(
      fc
        .tuple(fc.double({ noNaN: true }), fc.double({ noNaN: true }))
        .map(([a, b]): [number, number] => (a <= b ? [a, b] : [b, a])),
      { nil: undefined },
    ),
    timeZone: fc.option(fc.constantFrom("UTC", "Europe/Oslo", "America/St_Johns"), { nil: undefined }),
  })
  .map(
    (kpi) =>
      `  - externalId: ${JSON.stringify(kpi.externalId)}\n` +
      `    window: { every: ${kpi.every}${kpi.timeZone === undefined ? "" : `, timeZone: ${kpi.timeZone}`} }\n` +
      `    inputs: { x: { externalId: in${kpi.range === undefined ? "" : `, clean: [{ range: [${kpi.range.map(yamlNumber).join(", ")}] }]`} } }\n` +
      `    value: ${JSON.stringify(kpi.value)}\n`,
  );
const configYaml = fc
  .array(kpiYaml, { minLength: 1, maxLength: 4 })
  .map((kpis) => `defaults: { settle: 5m, start: "2024-04-01T00:00:00Z" }\nkpis:\n${kpis.join("")}`);

describe("functionDefinitions", () => {
  it("from the zip's kpis.json, when the package step wrote one, are the definitions kpis.yaml gives", () => {
    let written = 0;
    fc.assert(
      fc.property(configYaml, (yaml) => {
        const json = jsonOf(yaml);
        if (json === undefined) return;
        written++;
        expect(functionDefinitions({ text: yaml, source: "kpis.yaml", json })).toEqual(
          parseKpiYaml(yaml, "kpis.yaml"),
        );
      }),
      { numRuns: 150 },
    );
    // Most generated configs load; a property that never met a kpis.json would say nothing.
    expect(written).toBeGreaterThan(20);
  });

  it("come from kpis.json, not the YAML, when both are there", () => {
    const json = JSON.parse(jsonOf(KPIS_YAML)!) as { kpis: unknown[] };
    const definitions = functionDefinitions({
      text: KPIS_YAML,
      source: "kpis.yaml",
      json: JSON.stringify({ ...json, kpis: json.kpis.slice(1) }),
    });
    expect(definitions.map((kpi) => kpi.key)).toEqual(["kpi:flow:count:1h"]);
  });

  it("refuse a kpis.json that is not JSON, naming it and what to do", () => {
    expect(failure({ text: KPIS_YAML, source: "kpis.yaml", json: '{"kpis": [' })).toMatch(
      /^The function's zip has a kpis\.json that is not JSON \(.+\); build the zip again with `pnpm --filter @kpi-pipeline\/function package` and deploy it$/,
    );
  });

  it("refuse a kpis.json whose shape is not kpis.yaml's as a broken zip", () => {
    for (const json of ["[]", '{"kpis": 5}', '{"kpis": [{"externalId": "k"}]}', "null"]) {
      expect(failure({ text: KPIS_YAML, source: "kpis.yaml", json })).toMatch(
        /^The function's zip has a kpis\.json that does not hold kpis\.yaml's definitions \(.+\); build the zip again/,
      );
    }
  });

  it("say what is wrong in kpis.yaml when its definitions are wrong there too, as without kpis.json", () => {
    const yaml = KPIS_YAML.replace("every: 10m", "every: 10q");
    const json = JSON.stringify({ kpis: [{ externalId: "k", window: { every: "10q" } }] });
    const without = failure({ text: yaml, source: "kpis.yaml" });
    expect(without).toMatch(
      /^The function's KPI definitions are wrong; fix them and deploy again: kpis\.yaml: /,
    );
    expect(failure({ text: yaml, source: "kpis.yaml", json })).toBe(without);
  });
});
