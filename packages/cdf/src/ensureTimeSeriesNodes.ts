import type { SeriesRef } from "@kpi-pipeline/kpi-core";
import type { CdfConnection } from "./cdfConnection.js";
import { outputSeriesMetadata } from "./outputSeriesMetadata.js";
import { OutputSeriesSpecError } from "./outputSeriesSpecError.js";
import { DEFAULT_RETRY_POLICY, type RetryPolicy, withRetries } from "./withRetries.js";

// Data-model output series: CogniteTimeSeries nodes (cdf_cdm:CogniteTimeSeries/v1), which CDF
// backs with a time series addressed by the node's instanceId. Created when missing and only
// then, like ensureTimeSeries: every item is an insert (existingVersion 0) in a request that
// skips conflicts, so a node that exists (made by an overlapping run, by our own retry of a
// create CDF applied before the connection dropped, or by its owner) is left as it is.
//
// The view has no metadata, so the KPI's description travels in its own properties: name,
// description, sourceUnit (the unit as text; `unit` is a relation to a unit node, which a free-text
// unit cannot name), and the metadata an externalId output carries (config hash, inputs) as the
// JSON object in `sourceContext`, with `sourceId` "kpi-pipeline" saying who wrote it.

export const COGNITE_TIME_SERIES_VIEW = {
  type: "view",
  space: "cdf_cdm",
  externalId: "CogniteTimeSeries",
  version: "v1",
} as const;

/** Who wrote a node, in its `sourceId`. */
export const KPI_PIPELINE_SOURCE_ID = "kpi-pipeline";

/** Nodes per POST /models/instances (openapi.json InstanceBulk: 1-1000 items). */
const APPLY_ITEMS = 1000;
/** Spaces per POST /models/spaces/byids (openapi.json: 1-100 items). */
const SPACE_ITEMS = 100;
/** CogniteInstanceId: a space of 1-43 characters, an externalId of 1-255. */
const SPACE_CHARS = 43;
const NODE_EXTERNAL_ID_CHARS = 255;

export interface OutputNodeSpec {
  instanceId: { space: string; externalId: string };
  name?: string;
  description?: string;
  unit?: string;
  isStep?: boolean;
  configHash: string;
  inputs: readonly SeriesRef[];
  /** More metadata pairs, kept in `sourceContext` with the rest. */
  metadata?: Readonly<Record<string, string>>;
}

export interface EnsureNodesReport {
  /** `space/externalId` of nodes this call created. */
  created: string[];
  existing: string[];
}

/** A space named by an output does not exist; kpi-pipeline does not create spaces (their access is their owner's choice). */
export class MissingSpaceError extends Error {
  override readonly name = "MissingSpaceError";
}

/** Creates the CogniteTimeSeries nodes of `specs` that do not exist yet. */
export async function ensureTimeSeriesNodes(
  cdf: CdfConnection,
  specs: readonly OutputNodeSpec[],
  options: { retry?: RetryPolicy } = {},
): Promise<EnsureNodesReport> {
  const retry = options.retry ?? DEFAULT_RETRY_POLICY;
  const items = specs.map(nodeItem);
  const spaces = [...new Set(specs.map((s) => s.instanceId.space))];
  const found = new Set<string>();
  for (let i = 0; i < spaces.length; i += SPACE_ITEMS) {
    const ask = { items: spaces.slice(i, i + SPACE_ITEMS).map((space) => ({ space })) };
    const answer = await withRetries(
      () => cdf.post<{ items?: Array<{ space?: string }> }>("/models/spaces/byids", ask),
      retry,
    );
    for (const s of answer.items ?? []) if (typeof s.space === "string") found.add(s.space);
  }
  const missing = spaces.filter((s) => !found.has(s));
  if (missing.length > 0) {
    throw new MissingSpaceError(
      `Data-model output series need the space${missing.length > 1 ? "s" : ""} ${missing.map((s) => `"${s}"`).join(", ")}, ` +
        `which CDF project ${cdf.project} does not have; create ${missing.length > 1 ? "them" : "it"} (POST /models/spaces) ` +
        "or name an existing space in kpis.yaml.",
    );
  }
  const created = new Set<string>();
  for (let i = 0; i < items.length; i += APPLY_ITEMS) {
    const body = { items: items.slice(i, i + APPLY_ITEMS), skipOnVersionConflict: true };
    const answer = await withRetries(
      () =>
        cdf.post<{ items?: Array<{ space?: string; externalId?: string; wasModified?: boolean }> }>(
          "/models/instances",
          body,
        ),
      retry,
    );
    // Skipped items (the node exists) are left out of the answer.
    for (const item of answer.items ?? []) {
      if (item.wasModified !== false) created.add(`${item.space}/${item.externalId}`);
    }
  }
  const keys = specs.map((s) => `${s.instanceId.space}/${s.instanceId.externalId}`);
  return { created: keys.filter((k) => created.has(k)), existing: keys.filter((k) => !created.has(k)) };
}

function nodeItem(spec: OutputNodeSpec) {
  const { space, externalId } = spec.instanceId;
  const refuse = (what: string) => {
    throw new OutputSeriesSpecError(
      `Output series ${space.slice(0, 43)}/${externalId.slice(0, 60)}: ${what}.`,
    );
  };
  if (space.length < 1 || space.length > SPACE_CHARS)
    refuse(`space must have 1 to ${SPACE_CHARS} characters`);
  if (externalId.length < 1 || externalId.length > NODE_EXTERNAL_ID_CHARS) {
    refuse(`externalId must have 1 to ${NODE_EXTERNAL_ID_CHARS} characters`);
  }
  const context = outputSeriesMetadata(`${space}/${externalId}`, {
    configHash: spec.configHash,
    inputs: spec.inputs,
    ...(spec.metadata === undefined ? {} : { extra: spec.metadata }),
  });
  return {
    instanceType: "node",
    space,
    externalId,
    existingVersion: 0,
    sources: [
      {
        source: COGNITE_TIME_SERIES_VIEW,
        properties: {
          type: "numeric",
          isStep: spec.isStep ?? false,
          name: spec.name ?? externalId,
          ...(spec.description === undefined ? {} : { description: spec.description }),
          ...(spec.unit === undefined ? {} : { sourceUnit: spec.unit }),
          sourceId: KPI_PIPELINE_SOURCE_ID,
          sourceContext: JSON.stringify(context),
        },
      },
    ],
  };
}
