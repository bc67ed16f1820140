import { readFile, stat } from "node:fs/promises";
import {
  KpiConfigError,
  type KpiDefinition,
  MAX_KPI_YAML_LENGTH,
  parseKpiYaml,
} from "@kpi-pipeline/kpi-core";
import { DataError } from "./dataError.js";
import { displayPath } from "./displayPath.js";
import { IoError } from "./ioError.js";

/**
 * The largest kpis.yaml read, in bytes (16 MiB, kpi-core's limit on the text): checked before
 * reading, so an export passed as --config is named without being read whole.
 */
export const MAX_CONFIG_BYTES = MAX_KPI_YAML_LENGTH;

/**
 * Reads kpis.yaml and parses it as every runner does (kpi-core's parseKpiYaml). Throws DataError
 * (exit 1) naming the file, and the line or path, for anything wrong in it.
 */
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
  try {
    return parseKpiYaml(text, where);
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
