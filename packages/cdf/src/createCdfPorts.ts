import type { Clock, KpiDefinition, RunPorts, SeriesRef } from "@kpi-pipeline/kpi-core";
import { seriesLookupKey } from "@kpi-pipeline/kpi-core";
import type { CdfConnection } from "./cdfConnection.js";
import { CdfDatapointSource } from "./cdfDatapointSource.js";
import { CdfKpiOutput } from "./cdfKpiOutput.js";
import { ensureSubscriptions, type SubscriptionPlan } from "./ensureSubscriptions.js";
import type { OutputSeriesSpec } from "./ensureTimeSeries.js";
import type { OutputNodeSpec } from "./ensureTimeSeriesNodes.js";
import { RawDocumentStore } from "./rawDocumentStore.js";
import { RawStateStore } from "./rawStateStore.js";
import { ACTIVE_VERSION_KEY, RawVersionPointer } from "./rawVersionPointer.js";
import { SubscriptionChangeSource } from "./subscriptionChangeSource.js";
import type { RetryPolicy } from "./withRetries.js";

// Everything runKpis needs, on one CDF connection: the inputs' reader, the outputs, the state
// and the version pointer in Raw, and a change source on subscriptions kept over exactly the
// KPIs' inputs. Building it costs a few requests (the subscriptions are checked and updated to
// the inputs of `kpis`, so a new input is watched from this run on); output series (by externalId:
// time series; by instanceId: CogniteTimeSeries nodes) are created later, by the first write that
// finds them missing.

export interface CdfPortsOptions {
  /** The clock runKpis plans with: the wall clock in CDF, the emulator's virtual one in tests. */
  clock: Clock;
  /** Where state, cursors and the version pointer live (default kpi_state/state). */
  raw?: { db: string; table: string };
  /** The pointer's row key (default "active-version"). */
  pointerKey?: string;
  /** Subscriptions are `${prefix}-0`, `-1`, ... and cursors are kept under the prefix (default "kpi-pipeline-inputs"). */
  subscriptionPrefix?: string;
  /** Partitions of newly created subscriptions (default 1). */
  partitionCount?: number;
  /** Data set of created output series by externalId (data-model outputs belong to their space). */
  dataSetId?: number;
  retry?: RetryPolicy;
  /** Points per insert request (default CDF's 100,000); for tests. */
  maxWritePoints?: number;
  /** Points per change page (default 10,000); for tests. */
  changePageSize?: number;
  /** Read CDF's count/min/max instead of raw points where they equal kpi-core's (default true). */
  aggregatePushdown?: boolean;
}

export interface CdfPorts {
  ports: RunPorts;
  /** Pass as runKpis' `subscription`: the name the cursors are kept under. */
  subscription: string;
  subscriptions: SubscriptionPlan[];
}

export const DEFAULT_STATE_LOCATION = { db: "kpi_state", table: "state" } as const;
export const DEFAULT_SUBSCRIPTION_PREFIX = "kpi-pipeline-inputs";

export async function createCdfPorts(
  cdf: CdfConnection,
  kpis: readonly KpiDefinition[],
  options: CdfPortsOptions,
): Promise<CdfPorts> {
  const retry = options.retry === undefined ? {} : { retry: options.retry };
  const documents = new RawDocumentStore(cdf, options.raw ?? DEFAULT_STATE_LOCATION, retry);
  const prefix = options.subscriptionPrefix ?? DEFAULT_SUBSCRIPTION_PREFIX;
  const subscriptions = await ensureSubscriptions(cdf, prefix, inputsOf(kpis), {
    ...retry,
    ...(options.partitionCount === undefined ? {} : { partitionCount: options.partitionCount }),
  });
  return {
    ports: {
      source: new CdfDatapointSource(cdf, {
        ...retry,
        ...(options.aggregatePushdown === undefined ? {} : { aggregatePushdown: options.aggregatePushdown }),
      }),
      output: new CdfKpiOutput(cdf, {
        ...retry,
        outputs: kpis.flatMap((kpi) => outputSpec(kpi, options.dataSetId)),
        nodeOutputs: kpis.flatMap(outputNodeSpec),
        ...(options.maxWritePoints === undefined ? {} : { maxPoints: options.maxWritePoints }),
      }),
      pointer: new RawVersionPointer(documents, options.pointerKey ?? ACTIVE_VERSION_KEY),
      changes: new SubscriptionChangeSource(cdf, subscriptions, {
        ...retry,
        ...(options.changePageSize === undefined ? {} : { pageSize: options.changePageSize }),
      }),
      state: new RawStateStore(documents),
      clock: options.clock,
    },
    subscription: prefix,
    subscriptions,
  };
}

/** Every input series of the KPIs, once each. */
function inputsOf(kpis: readonly KpiDefinition[]): SeriesRef[] {
  const unique = new Map<string, SeriesRef>();
  for (const kpi of kpis)
    for (const input of kpi.inputs) unique.set(seriesLookupKey(input.series), input.series);
  return [...unique.values()];
}

function outputSpec(kpi: KpiDefinition, dataSetId: number | undefined): OutputSeriesSpec[] {
  if (!("externalId" in kpi.series)) return [];
  return [
    {
      externalId: kpi.series.externalId,
      ...(kpi.name === undefined ? {} : { name: kpi.name }),
      ...(kpi.description === undefined ? {} : { description: kpi.description }),
      ...(kpi.unit === undefined ? {} : { unit: kpi.unit }),
      ...(dataSetId === undefined ? {} : { dataSetId }),
      configHash: kpi.configHash,
      inputs: kpi.inputs.map((input) => input.series),
    },
  ];
}

function outputNodeSpec(kpi: KpiDefinition): OutputNodeSpec[] {
  if (!("instanceId" in kpi.series)) return [];
  return [
    {
      instanceId: kpi.series.instanceId,
      ...(kpi.name === undefined ? {} : { name: kpi.name }),
      ...(kpi.description === undefined ? {} : { description: kpi.description }),
      ...(kpi.unit === undefined ? {} : { unit: kpi.unit }),
      configHash: kpi.configHash,
      inputs: kpi.inputs.map((input) => input.series),
    },
  ];
}
