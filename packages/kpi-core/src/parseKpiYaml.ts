// kpis.yaml from text, the same way for every runner (the backfill's file, the function's CDF
// file, the deployer's check): YAML that is hostile (an alias bomb, nesting thousands deep, the
// wrong file) ends in one KpiConfigError naming the place, never a crash.

import { Composer, type CST, type Document, LineCounter, Parser, YAMLParseError } from "yaml";
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
  return parseKpiConfig(kpiYamlDocument(text, source), source);
}

/**
 * The value kpis.yaml holds, checked as YAML (size, nesting, alias bombs, syntax, a mapping at
 * the top) but not yet as KPI definitions: parseKpiConfig of it is parseKpiYaml of the text.
 * Throws KpiConfigError like parseKpiYaml.
 */
export function kpiYamlDocument(text: string, source?: string): Record<string, unknown> {
  const fail = (issue: Omit<KpiConfigIssue, "path">): never => {
    throw new KpiConfigError([{ path: "", ...issue }], source);
  };
  if (text.length > MAX_KPI_YAML_LENGTH) {
    fail({
      message: `${(text.length / 2 ** 20).toFixed(0)} Mi characters is too large for KPI definitions (at most 16 Mi); is this the right file?`,
    });
  }
  const lines = new LineCounter();
  // One pass of the parser serves both the depth check and the values: parsing is most of the
  // time a call spends on its definitions, and the parser itself keeps no stack per level.
  const tokens = Array.from(new Parser(lines.addNewLine).parse(text));
  const tooDeep = firstTooDeep(tokens);
  if (tooDeep !== undefined) {
    const { line, col } = lines.linePos(tooDeep);
    fail({
      line,
      column: col,
      message: `not valid YAML: nested too deeply (more than ${MAX_KPI_YAML_DEPTH} levels of lists and mappings)`,
    });
  }
  let raw: unknown;
  try {
    const document = oneDocument(tokens, text.length);
    const [error] = document.errors;
    if (error !== undefined) throw error;
    raw = document.toJS({ maxAliasCount: 100 });
  } catch (error) {
    if (error instanceof YAMLParseError) {
      const offset = error.pos[0];
      const position = offset >= 0 ? lines.linePos(offset) : undefined;
      fail({
        message: `not valid YAML: ${error.message.split("\n")[0]!}`,
        ...(position === undefined ? {} : { line: position.line, column: position.col }),
      });
    }
    if (error instanceof ReferenceError && /excessive alias count/i.test(error.message)) {
      fail({
        message:
          "the YAML uses aliases (*name) that expand to far more than the file holds (an alias bomb?); write the values out",
      });
    }
    // An alias to no anchor (or one set after it) is found only when the values are built.
    if (error instanceof ReferenceError && /alias/i.test(error.message)) {
      fail({ message: `not valid YAML: ${error.message}` });
    }
    fail({ message: `not usable YAML: ${(error as Error).message}` });
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    fail({
      message:
        'not KPI definitions; expected a YAML mapping with "kpis:" (and optional "defaults:"), is this the right file?',
    });
  }
  return raw as Record<string, unknown>;
}

/**
 * The first document, as the library's parse() composes it: a second document is an error (at
 * its start) after any of the first's own.
 */
function oneDocument(tokens: readonly CST.Token[], length: number): Document.Parsed {
  // logLevel "error": the library would print warnings (a collection used as a key) to stderr itself.
  const composer = new Composer({ logLevel: "error" });
  let first: Document.Parsed | undefined;
  for (const document of composer.compose(tokens, true, length)) {
    if (first === undefined) {
      first = document;
      continue;
    }
    first.errors.push(
      new YAMLParseError(
        [document.range[0], document.range[1]],
        "MULTIPLE_DOCS",
        'more than one YAML document (a second "---"); KPI definitions are one document',
      ),
    );
    break;
  }
  // compose(..., forceDoc) yields a document even for empty text.
  return first!;
}

/** The offset where the YAML first nests deeper than the limit, walking the tokens without recursion. */
function firstTooDeep(tokens: readonly CST.Token[]): number | undefined {
  const pending: Array<[CST.Token | null | undefined, number]> = tokens.map((token) => [token, 0]);
  for (let item = pending.pop(); item !== undefined; item = pending.pop()) {
    const [token, depth] = item;
    if (token === null || token === undefined) continue;
    if (token.type === "document") {
      pending.push([token.value, depth]);
    } else if (token.type === "block-map" || token.type === "block-seq" || token.type === "flow-collection") {
      if (depth + 1 > MAX_KPI_YAML_DEPTH) return token.offset;
      for (const entry of token.items as CST.CollectionItem[]) {
        pending.push([entry.key, depth + 1], [entry.value, depth + 1]);
      }
    }
  }
  return undefined;
}
