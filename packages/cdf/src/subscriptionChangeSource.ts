import {
  type ChangePage,
  type ChangeSource,
  ChangesLostError,
  type PartitionCursor,
  type SeriesChange,
  type SeriesRef,
} from "@kpi-pipeline/kpi-core";
import type { CdfConnection } from "./cdfConnection.js";
import { readSubscriptionChanges, type SeriesIdentity } from "./readSubscriptionChanges.js";
import type { RetryPolicy } from "./withRetries.js";

// kpi-core's ChangeSource on datapoint subscriptions. More than 10,000 inputs need more than one
// subscription (CDF's cap, see ensureSubscriptions), while kpi-core sees one source with numbered
// partitions: partitions are numbered through the subscriptions in order (subscription 0's
// partitions first), so each keeps its own cursor in the state store. One poll is one page of
// every subscription (CDF's at-least-once, unordered delivery is what kpi-core expects); a
// partition without a cursor starts at now, as kpi-core's port says; an expired cursor is
// kpi-core's ChangesLostError.

export interface SubscriptionChangeSourceOptions {
  /** Points per page across a subscription's partitions (CDF: 1-100,000; default 10,000). */
  pageSize?: number;
  retry?: RetryPolicy;
}

export class SubscriptionChangeSource implements ChangeSource {
  readonly partitions: number;
  readonly #cdf: CdfConnection;
  readonly #subscriptions: ReadonlyArray<{ externalId: string; partitionCount: number; first: number }>;
  readonly #options: SubscriptionChangeSourceOptions;

  constructor(
    cdf: CdfConnection,
    subscriptions: ReadonlyArray<{ externalId: string; partitionCount: number }>,
    options: SubscriptionChangeSourceOptions = {},
  ) {
    this.#cdf = cdf;
    let first = 0;
    this.#subscriptions = subscriptions.map((s) => {
      const numbered = { externalId: s.externalId, partitionCount: s.partitionCount, first };
      first += s.partitionCount;
      return numbered;
    });
    this.partitions = first;
    this.#options = options;
  }

  async poll(cursors: readonly PartitionCursor[]): Promise<ChangePage> {
    for (const { partition } of cursors) {
      if (!Number.isInteger(partition) || partition < 0 || partition >= this.partitions) {
        throw new RangeError(
          `SubscriptionChangeSource: partition ${partition} does not exist; there are ${this.partitions}.`,
        );
      }
    }
    const changes: SeriesChange[] = [];
    const next: PartitionCursor[] = [];
    let hasNext = false;
    for (const subscription of this.#subscriptions) {
      const own = cursors.filter(
        (c) =>
          c.partition >= subscription.first && c.partition < subscription.first + subscription.partitionCount,
      );
      if (own.length === 0) continue;
      const result = await readSubscriptionChanges(
        this.#cdf,
        subscription,
        own.flatMap((c) =>
          c.cursor === undefined ? [] : [{ partition: c.partition - subscription.first, cursor: c.cursor }],
        ),
        {
          maxPages: 1,
          startWithoutCursor: "now",
          ...(this.#options.pageSize === undefined ? {} : { pageSize: this.#options.pageSize }),
          ...(this.#options.retry === undefined ? {} : { retry: this.#options.retry }),
        },
      );
      if (result.kind === "retentionLost") {
        throw new ChangesLostError(
          `Subscription ${result.subscription} no longer has the changes since the saved cursor (CDF keeps 7 days): ${result.message}`,
        );
      }
      for (const { timeSeries, changes: list } of result.series) {
        const timestamps: number[] = [];
        const deletedRanges: Array<{ start: number; end: number }> = [];
        for (const change of list) {
          if (change.kind === "upsert") for (const t of change.points.timestamps) timestamps.push(t);
          else deletedRanges.push({ start: change.from, end: change.to });
        }
        // kpi-core matches a change to an input by how the input names its series.
        for (const series of refsOf(timeSeries)) changes.push({ series, timestamps, deletedRanges });
      }
      const asked = new Set(own.map((c) => c.partition - subscription.first));
      for (const { partition, cursor } of result.cursors) {
        if (asked.has(partition)) next.push({ partition: partition + subscription.first, cursor });
      }
      hasNext ||= result.hasMore;
    }
    return { changes, cursors: next, hasNext };
  }
}

function refsOf(identity: SeriesIdentity): SeriesRef[] {
  const refs: SeriesRef[] = [];
  if (identity.instanceId !== undefined) refs.push({ instanceId: identity.instanceId });
  if (identity.externalId !== undefined) refs.push({ externalId: identity.externalId });
  return refs;
}
