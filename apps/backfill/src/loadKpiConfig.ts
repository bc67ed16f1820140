import { readFile, stat } from "node:fs/promises";
import { KpiConfigError, type KpiDefinition, parseKpiConfig } from "@kpi-pipeline/kpi-core";
import { parse as parseYaml, YAMLParseError } from "yaml";
import { DataError } from "./dataError.js";
import { displayPath } from "./displayPath.js";
import { IoError } from "./ioError.js";

/**
 * The largest kpis.yaml read, in bytes (16 MiB): thousands of KPIs take a few hundred kB, so a
 * larger file is the wrong file (an export passed as --config), not worth reading whole.
 */
export const MAX_CONFIG_BYTES = 16 << 20;

// The YAML parser's own limit on alias expansions (100) stops an alias bomb (a few lines that
// expand to billions of nodes); it is reported as what it is rather than as a crash.

/** Reads and validates kpis.yaml. Throws DataError (exit 1) naming the file for anything wrong in it. */
export async function loadKpiConfig(path: string): Promise<KpiDefinition[]> {
  const where = displayPath(path);
  const size = (
    await stat(path).catch((error) => {
      throw IoError.from(error, "read", path);
    })
  ).size;
  if (size > MAX_CONFIG_BYTES) {
    throw new DataError(
      `${where}: ${(size / 2 ** 20).toFixed(0)} MiB is too large for KPI definitions (at most 16 MiB); is this the right file?`,
    );
  }
  const text = await readFile(path, "utf8").catch((error) => {
    throw IoError.from(error, "read", path);
  });
  let raw: unknown;
  try {
    raw = parseYaml(text, { prettyErrors: true });
  } catch (error) {
    if (error instanceof YAMLParseError) {
      const line = error.linePos?.[0];
      const at = line === undefined ? where : `${where}:${line.line}:${line.col}`;
      const reason = error.message
        .split("\n")[0]!
        .replace(/^Maximum call stack size exceeded/, "nested too deeply");
      throw new DataError(`${at}: not valid YAML: ${reason}`);
    }
    if (error instanceof ReferenceError && /alias/i.test(error.message)) {
      throw new DataError(
        `${where}: the YAML uses aliases (*name) that expand to far more than the file holds (an alias bomb?); write the values out`,
      );
    }
    throw new DataError(`${where}: not usable YAML: ${(error as Error).message}`);
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new DataError(
      `${where}: not KPI definitions; expected a YAML mapping with "kpis:" (and optional "defaults:"), is this the right file?`,
    );
  }
  try {
    return parseKpiConfig(raw, where);
  } catch (error) {
    // A reason can quote the offending value; a whole mis-pasted document is no help on a terminal.
    if (error instanceof KpiConfigError) {
      throw new DataError(
        error.message
          .split("\n")
          .map((line) => (line.length > 400 ? `${line.slice(0, 400)}...` : line))
          .join("\n"),
      );
    }
    throw error;
  }
}
