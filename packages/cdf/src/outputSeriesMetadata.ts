import type { SeriesRef } from "@kpi-pipeline/kpi-core";
import { CDF_LIMITS } from "./cdfLimits.js";
import { OutputSeriesSpecError } from "./outputSeriesSpecError.js";

// The metadata an output series carries so anyone can tell, from CDF alone, which KPI
// configuration wrote it and from what: the config hash and the inputs. CDF caps metadata at 256
// pairs, 128-byte keys and 10,000 bytes in all; a KPI with many inputs would pass that, so the
// input list keeps as many inputs as fit (still valid JSON) and `inputCount` says how many there are.

export const METADATA_KEYS = {
  configHash: "kpi-pipeline:configHash",
  inputs: "kpi-pipeline:inputs",
  inputCount: "kpi-pipeline:inputCount",
} as const;

const bytes = (text: string) => Buffer.byteLength(text, "utf8");

/** Metadata for an output series within CDF's limits; throws OutputSeriesSpecError if `extra` alone breaks them. */
export function outputSeriesMetadata(
  externalId: string,
  fields: { configHash: string; inputs: readonly SeriesRef[]; extra?: Readonly<Record<string, string>> },
): Record<string, string> {
  const refuse = (what: string) => {
    throw new OutputSeriesSpecError(`Output series "${externalId}": ${what}; shorten it and deploy again.`);
  };
  const metadata: Record<string, string> = {
    ...fields.extra,
    [METADATA_KEYS.configHash]: fields.configHash,
    [METADATA_KEYS.inputCount]: String(fields.inputs.length),
  };
  for (const key of Object.keys(metadata)) {
    if (bytes(key) > CDF_LIMITS.metadataKeyBytes)
      refuse(`metadata key "${key.slice(0, 40)}..." is over ${CDF_LIMITS.metadataKeyBytes} bytes`);
  }
  if (Object.keys(metadata).length + 1 > CDF_LIMITS.metadataKeys)
    refuse(`metadata has more than ${CDF_LIMITS.metadataKeys} keys`);
  const used =
    Object.entries(metadata).reduce((n, [k, v]) => n + bytes(k) + bytes(v), 0) + bytes(METADATA_KEYS.inputs);
  const room = CDF_LIMITS.metadataTotalBytes - used;
  if (room < 2) refuse(`metadata is over CDF's ${CDF_LIMITS.metadataTotalBytes} bytes`);
  // Whole inputs only, so the value stays a JSON array a program can read.
  const kept: SeriesRef[] = [];
  let size = 2; // "[]"
  for (const input of fields.inputs) {
    const entry = bytes(JSON.stringify(input)) + (kept.length > 0 ? 1 : 0);
    if (size + entry > room) break;
    kept.push(input);
    size += entry;
  }
  metadata[METADATA_KEYS.inputs] = JSON.stringify(kept);
  return metadata;
}
