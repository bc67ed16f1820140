import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";
import { parse as parseYaml, YAMLParseError } from "yaml";
import { KpiConfigError } from "../src/kpiConfigError.js";
import { parseKpiConfig } from "../src/parseKpiConfig.js";
import {
  kpiYamlDocument,
  MAX_KPI_YAML_DEPTH,
  MAX_KPI_YAML_LENGTH,
  parseKpiYaml,
} from "../src/parseKpiYaml.js";

const YAML = `defaults:
  timeZone: Europe/Oslo
kpis:
  - externalId: kpi:flow
    window: { every: 1h }
    start: "2024-01-01T00:00:00Z"
    inputs:
      flow:
        externalId: sensor:flow
        clean:
          - range: [0, 500]
          - spike: { window: 5, k: 3 }
    value: round(twa(flow), 2)
`;

function errorOf(text: string, source: string | null = "kpis.yaml"): KpiConfigError {
  try {
    parseKpiYaml(text, source ?? undefined);
  } catch (error) {
    if (error instanceof KpiConfigError) return error;
    throw error;
  }
  throw new Error("expected a KpiConfigError");
}

describe("parseKpiYaml", () => {
  it("gives the definitions parseKpiConfig gives for the same document", () => {
    const definitions = parseKpiYaml(YAML, "kpis.yaml");
    expect(definitions).toEqual(
      parseKpiConfig({
        defaults: { timeZone: "Europe/Oslo" },
        kpis: [
          {
            externalId: "kpi:flow",
            window: { every: "1h" },
            start: "2024-01-01T00:00:00Z",
            inputs: {
              flow: {
                externalId: "sensor:flow",
                clean: [{ range: [0, 500] }, { spike: { window: 5, k: 3 } }],
              },
            },
            value: "round(twa(flow), 2)",
          },
        ],
      }),
    );
    expect(definitions[0]!.key).toBe("kpi:flow");
  });

  it("names the file and the path of a definition's problem", () => {
    expect(errorOf(YAML.replace("every: 1h", "every: 90x")).message).toBe(
      'kpis.yaml: kpis[0].window.every: "90x" is not a duration; use e.g. 10m, 1h, 1d, 1w, 1mo',
    );
  });

  it("prints nothing itself: a collection used as a key is an unknown field, not a warning on stderr", () => {
    const warnings: unknown[] = [];
    const spy = vi.spyOn(process, "emitWarning").mockImplementation((w) => {
      warnings.push(w);
    });
    try {
      expect(() => parseKpiYaml("? [[a, b], [c]]\n: 1\nkpis: []\n", "k.yaml")).toThrow(
        'k.yaml: unknown field "[ [ a, b ], [ c ] ]"',
      );
    } finally {
      spy.mockRestore();
    }
    expect(warnings).toEqual([]);
  });

  it("names the line and column of invalid YAML", () => {
    const error = errorOf("kpis:\n  - externalId: a\n  window: [1h\n");
    expect(error.message).toMatch(/^kpis\.yaml:\d+:\d+: not valid YAML: /);
    expect(error.issues[0]!.line).toBeGreaterThanOrEqual(2);
    expect(errorOf("kpis: []\nkpis: []\n").message).toMatch(
      /^kpis\.yaml:2:1: not valid YAML: Map keys must be unique/,
    );
  });

  it("without a source, says line and column", () => {
    expect(errorOf("kpis: [\n", null).message).toMatch(/^line \d+:\d+: not valid YAML: /);
  });

  it("says a document that is not a mapping is not KPI definitions", () => {
    for (const text of ["", "- a\n- b\n", "just words\n", "timestamp,value\n1,2\n"]) {
      expect(errorOf(text).message).toBe(
        'kpis.yaml: not KPI definitions; expected a YAML mapping with "kpis:" (and optional "defaults:"), is this the right file?',
      );
    }
  });

  it("says an alias to no anchor is one, not an alias bomb", () => {
    expect(errorOf("kpis: *x\n").message).toBe(
      "kpis.yaml: not valid YAML: Unresolved alias (the anchor must be set before the alias): x",
    );
  });

  it("says an alias bomb is one", () => {
    const bomb = [
      'a: &a ["x","x","x","x","x","x","x","x","x"]',
      ...["b", "c", "d", "e", "f", "g", "h"].map(
        (name, i) => `${name}: &${name} [${Array(9).fill(`*${"abcdefgh"[i]}`).join(",")}]`,
      ),
      "kpis: []",
    ].join("\n");
    expect(errorOf(bomb).message).toBe(
      "kpis.yaml: the YAML uses aliases (*name) that expand to far more than the file holds (an alias bomb?); write the values out",
    );
  });

  it("refuses text longer than the limit without parsing it", () => {
    const text = `kpis: []\n#${"x".repeat(MAX_KPI_YAML_LENGTH)}\n`;
    expect(errorOf(text).message).toBe(
      "kpis.yaml: 16 Mi characters is too large for KPI definitions (at most 16 Mi); is this the right file?",
    );
  });
});

describe("nesting depth", () => {
  const flow = (depth: number) => `kpis: ${"[".repeat(depth)}${"]".repeat(depth)}\n`;
  const block = (depth: number) =>
    `kpis:\n${Array.from({ length: depth }, (_, i) => `${" ".repeat(2 * i + 2)}-`).join("\n")} x\n`;

  it("nesting past the limit is one clear error at the place, flow or block style, open or closed", () => {
    expect(errorOf(flow(5000)).message).toBe(
      `kpis.yaml:1:${7 + MAX_KPI_YAML_DEPTH - 1}: not valid YAML: nested too deeply (more than ${MAX_KPI_YAML_DEPTH} levels of lists and mappings)`,
    );
    expect(errorOf(`kpis: ${"[".repeat(100_000)}`).message).toContain("nested too deeply");
    expect(errorOf(`kpis: ${"{a: ".repeat(3000)}1${"}".repeat(3000)}`).message).toContain(
      "nested too deeply",
    );
    const deepBlock = errorOf(block(3000));
    expect(deepBlock.message).toContain("nested too deeply");
    expect(deepBlock.issues[0]!.line).toBe(MAX_KPI_YAML_DEPTH + 1);
  });

  it("deep YAML parsed again and again in one process stays an error (no abort after a stack overflow)", () => {
    // Before the depth check, the YAML library overflowed the stack here, and the second such
    // parse in one process aborted Node (out of memory in the RegExp compiler).
    for (let i = 0; i < 3; i++) expect(errorOf(flow(5000)).message).toContain("nested too deeply");
  });

  it("exactly the limit is no nesting error (the schema then judges the shape)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: MAX_KPI_YAML_DEPTH + 20 }), fc.boolean(), (depth, useFlow) => {
        // The root mapping is one level, so kpis may nest depth - 1 more.
        const text = useFlow ? flow(depth - 1) : block(depth - 1);
        let message = "";
        try {
          parseKpiYaml(text, "kpis.yaml");
        } catch (error) {
          if (!(error instanceof KpiConfigError)) throw error;
          message = error.message;
        }
        if (depth > MAX_KPI_YAML_DEPTH) expect(message).toContain("nested too deeply");
        else expect(message).not.toContain("nested too deeply");
      }),
      { numRuns: 60 },
    );
  });
});

describe("kpiYamlDocument", () => {
  // Pieces that make YAML of every kind the parser meets: block and flow collections, anchors and
  // aliases, tags, quotes, comments, several documents, indentation that is right and wrong.
  const piece = fc.constantFrom(
    "a",
    "b",
    "kpis",
    "1",
    "-2.5",
    ".inf",
    "-.inf",
    ".nan",
    "null",
    "true",
    "2024-01-01",
    ": ",
    ":",
    "- ",
    "? ",
    "[",
    "]",
    "{",
    "}",
    ", ",
    "\n",
    "\n  ",
    "\n    ",
    "&x ",
    "*x",
    "!!str ",
    "'q'",
    '"d\\n"',
    "# c",
    "---\n",
    "...\n",
    "|\n  t",
    "\t",
  );
  const yamlText = fc.array(piece, { maxLength: 30 }).map((pieces) => pieces.join(""));

  it("is what the YAML library's parse gives, or fails where it fails", () => {
    fc.assert(
      fc.property(yamlText, (text) => {
        let expected: unknown;
        let libraryError: Error | undefined;
        try {
          expected = parseYaml(text, { logLevel: "error" });
        } catch (error) {
          libraryError = error as Error;
        }
        let actual: unknown;
        let ours: KpiConfigError | undefined;
        try {
          actual = kpiYamlDocument(text, "kpis.yaml");
        } catch (error) {
          if (!(error instanceof KpiConfigError)) throw error;
          ours = error;
        }
        if (libraryError instanceof YAMLParseError) {
          expect(ours?.message).toContain("not valid YAML");
          const at = libraryError.linePos?.[0];
          if (at !== undefined)
            expect([ours!.issues[0]!.line, ours!.issues[0]!.column]).toEqual([at.line, at.col]);
        } else if (libraryError !== undefined) {
          // An alias to no anchor: the library finds it only when it builds the values.
          expect(ours?.message).toBe(`kpis.yaml: not valid YAML: ${libraryError.message}`);
        } else if (typeof expected === "object" && expected !== null && !Array.isArray(expected)) {
          expect(ours).toBeUndefined();
          expect(actual).toStrictEqual(expected);
        } else {
          expect(ours?.message).toContain("not KPI definitions");
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("parseKpiConfig of it is parseKpiYaml of the text", () => {
    expect(parseKpiConfig(kpiYamlDocument(YAML, "kpis.yaml"), "kpis.yaml")).toEqual(
      parseKpiYaml(YAML, "kpis.yaml"),
    );
    const text = YAML.replace("range: [0, 500]", "range: [-.inf, 500]");
    const document = kpiYamlDocument(text) as { kpis: Array<{ inputs: { flow: { clean: unknown[] } } }> };
    expect(document.kpis[0]!.inputs.flow.clean[0]).toStrictEqual({ range: [Number.NEGATIVE_INFINITY, 500] });
  });

  it("says where a second document starts, in words a user can act on", () => {
    expect(errorOf("kpis: []\n---\nkpis: []\n").message).toBe(
      'kpis.yaml:2:1: not valid YAML: more than one YAML document (a second "---"); KPI definitions are one document',
    );
  });

  it("names the place once: the library's own position and source excerpt stay out of the message", () => {
    expect(errorOf("kpis: []\nkpis: []\n").message).toBe(
      "kpis.yaml:2:1: not valid YAML: Map keys must be unique",
    );
  });
});
