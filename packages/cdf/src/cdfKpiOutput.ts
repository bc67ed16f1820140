import {
  CDF_MAX_TIME,
  describeSeries,
  type KpiOutput,
  type OutputRemoval,
  type OutputWrite,
  type SeriesRef,
  STATUS_BAD,
  seriesLookupKey,
} from "@kpi-pipeline/kpi-core";
import type { CdfConnection } from "./cdfConnection.js";
import { CDF_LIMITS } from "./cdfLimits.js";
import { CdfRequestError } from "./cdfRequestError.js";
import { ensureTimeSeries, type OutputSeriesSpec } from "./ensureTimeSeries.js";
import { ensureTimeSeriesNodes, type OutputNodeSpec } from "./ensureTimeSeriesNodes.js";
import { PartialWriteError } from "./partialWriteError.js";
import { columnsFromDatapoints, type SeriesColumns, UnexpectedCdfResponseError } from "./seriesColumns.js";
import { seriesItem } from "./seriesItem.js";
import { DEFAULT_RETRY_POLICY, type RetryPolicy, withRetries } from "./withRetries.js";
import { type SeriesWrite, writeDatapoints } from "./writeDatapoints.js";

// kpi-core's KpiOutput on CDF: `latest` from /timeseries/data/latest with Bad points included (a
// Bad no-value datapoint is a computed window) and unknown series ignored (a KPI never written
// has no output series yet); `write` through writeDatapoints, so a write that stops part way
// throws a PartialWriteError and runKpis treats the batch as not done (its cursor and its due
// windows stay where they were; what landed is rewritten, harmlessly, next time). Output series
// are created only when missing, not on every run: a run whose outputs exist pays no request for
// them. `latest` already learns which outputs are missing (CDF leaves unknown series out of its
// answer), so `write` creates those before its first insert: a first run's catch-up, which may
// insert 100,000 points per request, is not sent once to be refused and then again. An insert
// refused for a missing series (one deleted after `latest`, or a write with no `latest` before it)
// still creates it and writes again. `remove` deletes ranges (a recompute's datapoints of an
// earlier definition).

export interface CdfKpiOutputOptions {
  /** How to create output series by externalId that `latest` or a write finds missing. */
  outputs?: readonly OutputSeriesSpec[];
  /** How to create data-model outputs (CogniteTimeSeries nodes, by instanceId) that `latest` or a write finds missing. */
  nodeOutputs?: readonly OutputNodeSpec[];
  retry?: RetryPolicy;
  /** Points per insert request (default and maximum: CDF's 100,000). */
  maxPoints?: number;
}

/** An output series is missing and no KPI here defines it, so it cannot be created. */
export class MissingOutputSeriesError extends Error {
  override readonly name = "MissingOutputSeriesError";
}

interface LatestItem {
  externalId?: string;
  instanceId?: { space: string; externalId: string };
  datapoints?: unknown;
}

export class CdfKpiOutput implements KpiOutput {
  readonly #cdf: CdfConnection;
  readonly #specs: Map<string, OutputSeriesSpec>;
  readonly #nodeSpecs: Map<string, OutputNodeSpec>;
  readonly #retry: RetryPolicy;
  readonly #maxPoints: number | undefined;
  /** Outputs the last `latest` asking for them found absent from CDF, by seriesLookupKey. */
  readonly #missing = new Map<string, SeriesRef>();

  constructor(cdf: CdfConnection, options: CdfKpiOutputOptions = {}) {
    this.#cdf = cdf;
    this.#specs = new Map((options.outputs ?? []).map((s) => [s.externalId, s]));
    this.#nodeSpecs = new Map(
      (options.nodeOutputs ?? []).map((s) => [seriesLookupKey({ instanceId: s.instanceId }), s]),
    );
    this.#retry = options.retry ?? DEFAULT_RETRY_POLICY;
    this.#maxPoints = options.maxPoints;
  }

  async latest(series: readonly SeriesRef[]): Promise<Array<number | undefined>> {
    const found = new Map<string, number>();
    for (let from = 0; from < series.length; from += CDF_LIMITS.listItems) {
      const batch = series.slice(from, from + CDF_LIMITS.listItems);
      const body = {
        items: batch.map((ref) => ({
          ...seriesItem(ref),
          // Not "now": window timestamps are window starts, and whose now (CDF's, the caller's
          // virtual clock) should not decide what counts as written.
          before: CDF_MAX_TIME + 1,
          includeStatus: true,
          ignoreBadDataPoints: false,
          treatUncertainAsBad: false,
        })),
        ignoreUnknownIds: true,
      };
      const response = await withRetries(
        () => this.#cdf.post<{ items?: LatestItem[] }>("/timeseries/data/latest", body),
        this.#retry,
      );
      if (!Array.isArray(response.items)) {
        throw new UnexpectedCdfResponseError("POST /timeseries/data/latest: CDF sent no items array.");
      }
      const answered = new Set<string>();
      for (const item of response.items) {
        // A series with both ids answers to either.
        const keys = [
          ...(item.instanceId !== undefined ? [seriesLookupKey({ instanceId: item.instanceId })] : []),
          ...(item.externalId !== undefined ? [item.externalId] : []),
        ];
        const points = columnsFromDatapoints(item.datapoints ?? [], "POST /timeseries/data/latest");
        for (const key of keys) {
          answered.add(key);
          if (points.length > 0) found.set(key, points.timestamps[points.length - 1]!);
        }
      }
      // With ignoreUnknownIds CDF answers for every series that exists, with an empty datapoints
      // list when it has none, and leaves out the ones it does not know.
      for (const ref of batch) {
        const key = seriesLookupKey(ref);
        if (answered.has(key)) this.#missing.delete(key);
        else this.#missing.set(key, ref);
      }
    }
    return series.map((ref) => found.get(seriesLookupKey(ref)));
  }

  async write(items: readonly OutputWrite[]): Promise<void> {
    const writes: SeriesWrite[] = items
      .filter((item) => item.datapoints.length > 0)
      .map((item) => ({ series: item.series, points: columnsOf(item) }));
    if (writes.length === 0) return;
    // Only those a KPI here defines: one without a spec may have been created by someone else since
    // latest; if not, the refused insert below says so.
    const known = writes
      .map((w) => w.series)
      .filter((ref) => this.#missing.has(seriesLookupKey(ref)) && this.#hasSpec(ref));
    if (known.length > 0) await this.#create(known);
    try {
      await this.#write(writes);
    } catch (error) {
      const missing = missingOutputs(error, writes);
      if (missing.length === 0) throw error;
      await this.#create(missing);
      // Whatever landed before the refusal is written again: an insert overwrites by timestamp.
      await this.#write(writes);
    }
  }

  /**
   * Through the SDK's datapoints.delete (10,000 items a request, sent at once); a range is one
   * item. Deleting is idempotent, so a failed request is sent again as a write would be.
   */
  async remove(items: readonly OutputRemoval[]): Promise<void> {
    const requests = items.flatMap(({ series, ranges }) =>
      ranges.map((r) => ({ ...seriesItem(series), inclusiveBegin: r.start, exclusiveEnd: r.end })),
    );
    if (requests.length === 0) return;
    await withRetries(
      () => this.#cdf.call("POST /timeseries/data/delete", (c) => c.datapoints.delete(requests)),
      this.#retry,
    );
  }

  #write(writes: readonly SeriesWrite[]) {
    return writeDatapoints(this.#cdf, writes, {
      retry: this.#retry,
      ...(this.#maxPoints === undefined ? {} : { maxPoints: this.#maxPoints }),
    });
  }

  /** Creates `missing` (every one or none: an output no KPI defines fails before any request). */
  #hasSpec(ref: SeriesRef): boolean {
    return "externalId" in ref ? this.#specs.has(ref.externalId) : this.#nodeSpecs.has(seriesLookupKey(ref));
  }

  async #create(missing: readonly SeriesRef[]): Promise<void> {
    const specs: OutputSeriesSpec[] = [];
    const nodeSpecs: OutputNodeSpec[] = [];
    const keys = new Set<string>();
    for (const ref of missing) {
      const key = seriesLookupKey(ref);
      if (keys.has(key)) continue;
      keys.add(key);
      const spec = "externalId" in ref ? this.#specs.get(ref.externalId) : undefined;
      const nodeSpec = "instanceId" in ref ? this.#nodeSpecs.get(key) : undefined;
      if (spec !== undefined) specs.push(spec);
      else if (nodeSpec !== undefined) nodeSpecs.push(nodeSpec);
      else {
        throw new MissingOutputSeriesError(
          `Output time series ${describeSeries(ref)} does not exist in CDF project ${this.#cdf.project} ` +
            "and no KPI defines it here; create it before the run.",
        );
      }
    }
    if (specs.length > 0) await ensureTimeSeries(this.#cdf, specs, { retry: this.#retry });
    if (nodeSpecs.length > 0) await ensureTimeSeriesNodes(this.#cdf, nodeSpecs, { retry: this.#retry });
    for (const key of keys) this.#missing.delete(key);
  }
}

/** The outputs a write was refused for because CDF does not know them. */
function missingOutputs(error: unknown, writes: readonly SeriesWrite[]): SeriesRef[] {
  const cause = error instanceof PartialWriteError ? error.cause : error;
  if (!(cause instanceof CdfRequestError) || cause.status !== 400 || cause.missing.length === 0) return [];
  const missing = new Set(
    cause.missing.map((m) => {
      const item = m as { externalId?: string; instanceId?: { space: string; externalId: string } };
      return item.instanceId !== undefined
        ? seriesLookupKey({ instanceId: item.instanceId })
        : seriesLookupKey({ externalId: String(item.externalId) });
    }),
  );
  return writes.map((w) => w.series).filter((ref) => missing.has(seriesLookupKey(ref)));
}

function columnsOf(item: OutputWrite): SeriesColumns {
  const n = item.datapoints.length;
  const timestamps = new Float64Array(n);
  const values = new Float64Array(n);
  const statuses = new Uint32Array(n);
  item.datapoints.forEach((d, i) => {
    timestamps[i] = d.timestamp;
    if (d.status === "Good") values[i] = d.value;
    else {
      values[i] = Number.NaN;
      statuses[i] = STATUS_BAD;
    }
  });
  return { length: n, timestamps, values, statuses };
}
