import type { SeriesRef } from "@kpi-pipeline/kpi-core";
import type { CdfConnection } from "./cdfConnection.js";
import { CDF_LIMITS } from "./cdfLimits.js";
import { CdfRequestError } from "./cdfRequestError.js";
import { outputSeriesMetadata } from "./outputSeriesMetadata.js";
import { OutputSeriesSpecError } from "./outputSeriesSpecError.js";
import { DEFAULT_RETRY_POLICY, type RetryPolicy, withRetries } from "./withRetries.js";

// Output series are created when missing, and only then: an existing series is left as it is
// (its metadata tells which configuration created it). Creating is idempotent: a 409 naming
// series that exist already (created by an overlapping run, or by our own retry of a create
// that CDF applied before the connection dropped) just means fewer to create.

export interface OutputSeriesSpec {
  externalId: string;
  name?: string;
  description?: string;
  unit?: string;
  isStep?: boolean;
  dataSetId?: number;
  configHash: string;
  inputs: readonly SeriesRef[];
  /** More metadata pairs (CDF's limits apply to all of them together). */
  metadata?: Readonly<Record<string, string>>;
}

export interface EnsureReport {
  created: string[];
  existing: string[];
}

/** Creates the series of `specs` that do not exist yet, with their metadata. */
export async function ensureTimeSeries(
  cdf: CdfConnection,
  specs: readonly OutputSeriesSpec[],
  options: { retry?: RetryPolicy } = {},
): Promise<EnsureReport> {
  const retry = options.retry ?? DEFAULT_RETRY_POLICY;
  const items = specs.map(createItem);
  const existing = new Set<string>();
  for (let i = 0; i < items.length; i += CDF_LIMITS.createItems) {
    const ids = items.slice(i, i + CDF_LIMITS.createItems).map((it) => ({ externalId: it.externalId }));
    const found = await withRetries(
      () => cdf.call("POST /timeseries/byids", (c) => c.timeseries.retrieve(ids, { ignoreUnknownIds: true })),
      retry,
    );
    for (const series of found) if (series.externalId !== undefined) existing.add(series.externalId);
  }
  const created: string[] = [];
  let pending = items.filter((it) => !existing.has(it.externalId));
  while (pending.length > 0) {
    const batch = pending.slice(0, CDF_LIMITS.createItems);
    try {
      await withRetries(() => cdf.call("POST /timeseries", (c) => c.timeseries.create(batch)), retry);
      created.push(...batch.map((it) => it.externalId));
      pending = pending.slice(batch.length);
    } catch (error) {
      const duplicated = new Set(
        error instanceof CdfRequestError && error.status === 409
          ? error.duplicated.map((d) => (d as { externalId?: string }).externalId)
          : [],
      );
      if (duplicated.size === 0) throw error;
      for (const id of duplicated) if (id !== undefined) existing.add(id);
      // Every round removes at least one series, so this ends.
      pending = pending.filter((it) => !duplicated.has(it.externalId));
    }
  }
  return { created, existing: specs.map((s) => s.externalId).filter((id) => existing.has(id)) };
}

function createItem(spec: OutputSeriesSpec) {
  const refuse = (what: string) => {
    throw new OutputSeriesSpecError(`Output series "${spec.externalId.slice(0, 60)}": ${what}.`);
  };
  if (spec.externalId.length === 0 || spec.externalId.length > CDF_LIMITS.externalIdChars) {
    refuse(`externalId must have 1 to ${CDF_LIMITS.externalIdChars} characters`);
  }
  if (spec.unit !== undefined && spec.unit.length > CDF_LIMITS.unitChars) {
    refuse(`unit "${spec.unit.slice(0, 40)}" is over ${CDF_LIMITS.unitChars} characters`);
  }
  return {
    externalId: spec.externalId,
    name: clip(spec.name ?? spec.externalId, CDF_LIMITS.nameChars),
    ...(spec.description === undefined
      ? {}
      : { description: clip(spec.description, CDF_LIMITS.descriptionChars) }),
    ...(spec.unit === undefined ? {} : { unit: spec.unit }),
    ...(spec.dataSetId === undefined ? {} : { dataSetId: spec.dataSetId }),
    isStep: spec.isStep ?? false,
    metadata: outputSeriesMetadata(spec.externalId, {
      configHash: spec.configHash,
      inputs: spec.inputs,
      ...(spec.metadata === undefined ? {} : { extra: spec.metadata }),
    }),
  };
}

/** Names and descriptions are prose: a shortened one is better than no series. */
function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
