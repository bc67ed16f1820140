// kpis.yaml from text, the same way for every runner (the backfill's file, the function's CDF
// file, the deployer's check): YAML that is hostile (an alias bomb, nesting thousands deep, the
// wrong file) ends in one KpiConfigError naming the place, never a crash.

import { type CST, LineCounter, Parser, parse as parseYaml, YAMLParseError } from "yaml";
import { KpiConfigError, type KpiConfigIssue } from "./kpiConfigError.js";
import type { KpiDefinition } from "./kpiDefinition.js";
import { parseKpiConfig } from "./parseKpiConfig.js";

/**
 * The longest kpis.yaml text, in characters (16 Mi): thousands of KPIs take a few hundred kB, so
 * a longer text is the wrong file (an export passed as the config), not worth parsing.
 */
export const MAX_KPI_YAML_LENGTH = 16 << 20;

/**
 * The deepest nesting of YAML lists and mappings. A real kpis.yaml is 8 deep (kpis, a KPI,
 * inputs, an input, clean, a step, spike, its fields). Checked before the YAML is turned into
 * values: the YAML library recurses per level, and after a stack overflow in it V8 has been seen
 * to abort the whole process on the next deep parse, so nesting must never reach it.
 */
export const MAX_KPI_YAML_DEPTH = 64;

// The YAML library's own limit on alias expansions (maxAliasCount, 100) stops an alias bomb (a few
// lines that expand to billions of nodes); it is reported as what it is rather than as a crash.

/**
 * Parses kpis.yaml text and returns the normalized definitions. Throws KpiConfigError for
 * anything wrong, each issue prefixed with `source` (e.g. the file name), and with the line and
 * column for problems in the YAML itself.
 */
export function parseKpiYaml(text: string, source?: string): KpiDefinition[] {
  const fail = (issue: Omit<KpiConfigIssue, "path">): never => {
    throw new KpiConfigError([{ path: "", ...issue }], source);
  };
  if (text.length > MAX_KPI_YAML_LENGTH) {
    fail({
      message: `${(text.length / 2 ** 20).toFixed(0)} Mi characters is too large for KPI definitions (at most 16 Mi); is this the right file?`,
    });
  }
  const tooDeep = firstTooDeep(text);
  if (tooDeep !== undefined) {
    fail({
      ...tooDeep,
      message: `not valid YAML: nested too deeply (more than ${MAX_KPI_YAML_DEPTH} levels of lists and mappings)`,
    });
  }
  let raw: unknown;
  try {
    // logLevel "error": the library would print warnings (a collection used as a key) to stderr itself.
    raw = parseYaml(text, { prettyErrors: true, logLevel: "error" });
  } catch (error) {
    if (error instanceof YAMLParseError) {
      const position = error.linePos?.[0];
      fail({
        message: `not valid YAML: ${error.message.split("\n")[0]!}`,
        ...(position === undefined ? {} : { line: position.line, column: position.col }),
      });
    }
    if (error instanceof ReferenceError && /alias/i.test(error.message)) {
      fail({
        message:
          "the YAML uses aliases (*name) that expand to far more than the file holds (an alias bomb?); write the values out",
      });
    }
    fail({ message: `not usable YAML: ${(error as Error).message}` });
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    fail({
      message:
        'not KPI definitions; expected a YAML mapping with "kpis:" (and optional "defaults:"), is this the right file?',
    });
  }
  return parseKpiConfig(raw, source);
}

/** Where the YAML first nests deeper than the limit, walking the syntax tree without recursion. */
function firstTooDeep(text: string): { line: number; column: number } | undefined {
  const lines = new LineCounter();
  const pending: Array<[CST.Token | null | undefined, number]> = [];
  for (const token of new Parser(lines.addNewLine).parse(text)) pending.push([token, 0]);
  for (let item = pending.pop(); item !== undefined; item = pending.pop()) {
    const [token, depth] = item;
    if (token === null || token === undefined) continue;
    if (token.type === "document") {
      pending.push([token.value, depth]);
    } else if (token.type === "block-map" || token.type === "block-seq" || token.type === "flow-collection") {
      if (depth + 1 > MAX_KPI_YAML_DEPTH) {
        const { line, col } = lines.linePos(token.offset);
        return { line, column: col };
      }
      for (const entry of token.items as CST.CollectionItem[]) {
        pending.push([entry.key, depth + 1], [entry.value, depth + 1]);
      }
    }
  }
  return undefined;
}
