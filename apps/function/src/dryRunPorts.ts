import {
  type CdfConnection,
  CdfDatapointSource,
  CdfKpiOutput,
  DEFAULT_STATE_LOCATION,
  RawDocumentStore,
  RawStateStore,
  RawVersionPointer,
  StoredRowError,
} from "@kpi-pipeline/cdf";
import {
  type ChangeSource,
  type Clock,
  type DatapointSource,
  type KpiDatapoint,
  type KpiOutput,
  type OutputWrite,
  type RunPorts,
  type SeriesRef,
  type StateStore,
  seriesLookupKey,
  statusClass,
} from "@kpi-pipeline/kpi-core";

// A dry run (the deployer's smoke call before it flips the pointer) computes what a scheduled
// run would and writes nothing: no datapoint, no state, no cursor, no subscription change (a new
// version's inputs may differ from the live one's, and the live version owns the subscriptions).
// It reads the state and outputs as they are and compares what it would write with what is stored.

/** What a dry run would have written, per output series. */
export interface DryRunSeries {
  /** The output series, as its externalId or space/externalId. */
  series: string;
  /** Datapoints it would write. */
  points: number;
  /** Of those, at timestamps where the series has no datapoint yet. */
  new: number;
  /** Of those, where the stored datapoint has another value or status. */
  differing: number;
}

export interface DryRunDifference {
  series: string;
  timestamp: number;
  would: number | "Bad";
  stored: number | "Bad";
}

export class DryRunOutput implements KpiOutput {
  readonly #inner: KpiOutput;
  readonly #source: DatapointSource;
  readonly #existing = new Set<string>();
  readonly bySeries = new Map<string, DryRunSeries>();
  /** The first differences found, as examples (the counts are in bySeries). */
  readonly differences: DryRunDifference[] = [];
  readonly #maxDifferences: number;

  constructor(inner: KpiOutput, source: DatapointSource, maxDifferences = 20) {
    this.#inner = inner;
    this.#source = source;
    this.#maxDifferences = maxDifferences;
  }

  async latest(series: readonly SeriesRef[]): Promise<Array<number | undefined>> {
    const latest = await this.#inner.latest(series);
    series.forEach((ref, i) => {
      if (latest[i] !== undefined) this.#existing.add(seriesLookupKey(ref));
    });
    return latest;
  }

  /** Removes nothing, as it writes nothing (only a recompute removes, and a dry run is a scheduled run). */
  async remove(): Promise<void> {}

  async write(items: readonly OutputWrite[]): Promise<void> {
    const compared = items.filter(
      (item) => item.datapoints.length > 0 && this.#existing.has(seriesLookupKey(item.series)),
    );
    const stored = await this.#source.read(
      compared.map((item) => ({
        series: item.series,
        start: item.datapoints[0]!.timestamp,
        end: item.datapoints.at(-1)!.timestamp + 1,
      })),
    );
    const storedOf = new Map(compared.map((item, i) => [item, stored[i]!.points]));
    for (const item of items) {
      if (item.datapoints.length === 0) continue;
      const name = seriesName(item.series);
      const entry = this.bySeries.get(name) ?? { series: name, points: 0, new: 0, differing: 0 };
      this.bySeries.set(name, entry);
      entry.points += item.datapoints.length;
      const points = storedOf.get(item);
      if (points === undefined) {
        entry.new += item.datapoints.length;
        continue;
      }
      let j = 0;
      for (const d of item.datapoints) {
        while (j < points.length && points.timestamps[j]! < d.timestamp) j++;
        if (j >= points.length || points.timestamps[j] !== d.timestamp) {
          entry.new++;
          continue;
        }
        const was: number | "Bad" =
          statusClass(points.statuses[j]!) === "Bad" || Number.isNaN(points.values[j]!)
            ? "Bad"
            : points.values[j]!;
        const would = kpiValue(d);
        if (was === would) continue;
        entry.differing++;
        if (this.differences.length < this.#maxDifferences) {
          this.differences.push({ series: name, timestamp: d.timestamp, would, stored: was });
        }
      }
    }
  }
}

/** Loads the stored state as it is; saves nothing. */
class ReadOnlyState implements StateStore {
  readonly #inner: StateStore;
  constructor(inner: StateStore) {
    this.#inner = inner;
  }
  load(kpiKeys: readonly string[], subscription: string) {
    return this.#inner.load(kpiKeys, subscription);
  }
  async save(): Promise<void> {}
}

/**
 * No changes: reading them needs the subscription over exactly this version's inputs, which a
 * dry run must not create or change. Changes are the next scheduled run's to see.
 */
const NO_CHANGES: ChangeSource = {
  partitions: 1,
  poll: async (cursors) => ({ changes: [], cursors: [...cursors], hasNext: false }),
};

export interface DryRunPorts {
  ports: RunPorts;
  output: DryRunOutput;
}

/**
 * Ports for a dry run as `self`: the fence always names it, at the generation the pointer row has
 * when the run first asks (read once, so a pointer written meanwhile does not fence a run that
 * writes nothing), so that a finished recompute whose progress counts now shows as taken up, as
 * the live version's next run would. Every write is only compared.
 */
export function dryRunPorts(
  cdf: CdfConnection,
  self: string,
  clock: Clock,
  raw: { db: string; table: string } = DEFAULT_STATE_LOCATION,
): DryRunPorts {
  const source = new CdfDatapointSource(cdf);
  const output = new DryRunOutput(new CdfKpiOutput(cdf), source);
  const documents = new RawDocumentStore(cdf, raw);
  let generation: Promise<string> | undefined;
  const pointer = new RawVersionPointer(documents);
  return {
    output,
    ports: {
      source,
      output,
      pointer: {
        active: async () => {
          // A pointer row that is missing (no generation) or does not parse reads as no generation:
          // the dry run does not depend on the pointer, and shows changed definitions as waiting for
          // a backfill. A failed request fails the dry run, as any other read would.
          generation ??= pointer.active().then(
            (reading) => reading.generation,
            (error: unknown) => {
              if (error instanceof StoredRowError) return "";
              throw error;
            },
          );
          return { version: self, generation: await generation };
        },
      },
      changes: NO_CHANGES,
      state: new ReadOnlyState(new RawStateStore(documents)),
      clock,
    },
  };
}

function kpiValue(d: KpiDatapoint): number | "Bad" {
  return d.status === "Bad" ? "Bad" : d.value;
}

function seriesName(ref: SeriesRef): string {
  return "externalId" in ref ? ref.externalId : `${ref.instanceId.space}/${ref.instanceId.externalId}`;
}
