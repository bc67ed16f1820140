import type { CdfConnection } from "./cdfConnection.js";
import { CdfRequestError } from "./cdfRequestError.js";
import { columnsFromDatapoints, type SeriesColumns, UnexpectedCdfResponseError } from "./seriesColumns.js";
import { DEFAULT_RETRY_POLICY, type RetryPolicy, withRetries } from "./withRetries.js";

// What changed in a subscription's series since the given cursors: every partition is read
// (all partitions in one request, page after page while CDF says hasNext), with every status
// (ignoreBadDataPoints: false), since a correction to Bad is a change too. Each series' changes
// come back in ingestion order as upserts and deleted ranges, with the cursors to continue from;
// committing those cursors, after the changes are dealt with, is the caller's job, so a crash in
// between only replays changes (CDF delivers at least once anyway). A cursor older than CDF's
// retention (7 days) cannot be read any more: that is returned as `retentionLost`, not thrown, as
// it is an expected condition with a known remedy (recompute since the last good cursor).

export interface SeriesIdentity {
  id: number;
  externalId?: string;
  instanceId?: { space: string; externalId: string };
}

export type SeriesChange =
  | { kind: "upsert"; points: SeriesColumns }
  | { kind: "delete"; from: number; to: number };

export interface SubscriptionChanges {
  kind: "changes";
  /** Per series (in order of first appearance), its changes in ingestion order. */
  series: Array<{ timeSeries: SeriesIdentity; changes: SeriesChange[] }>;
  /** Where to continue, one per partition. */
  cursors: Array<{ partition: number; cursor: string }>;
  /** True when maxPages ran out before CDF said there was no more. */
  hasMore: boolean;
  /** Series added to or removed from the subscription since the cursors (CDF's subscriptionChanges). */
  membership: { added: SeriesIdentity[]; removed: SeriesIdentity[] };
}

export interface RetentionLost {
  kind: "retentionLost";
  subscription: string;
  /** CDF's words, for the log. */
  message: string;
}

export interface ReadChangesOptions {
  /** Points per page across partitions (CDF: 1-100,000; default 10,000). */
  pageSize?: number;
  /** Pages read before returning with hasMore (default 100). */
  maxPages?: number;
  /** Where a partition without a cursor starts: "oldest" retained change (default) or "now". */
  startWithoutCursor?: "oldest" | "now";
  retry?: RetryPolicy;
}

interface DataListResponse {
  updates?: Array<{
    timeSeries?: SeriesIdentity;
    upserts?: unknown;
    deletes?: Array<{ inclusiveBegin: number; exclusiveEnd?: number }>;
  }>;
  partitions?: Array<{ index: number; nextCursor: string }>;
  hasNext?: boolean;
  subscriptionChanges?: { added?: SeriesIdentity[]; removed?: SeriesIdentity[] };
}

/**
 * Reads the changes of subscription `externalId` from `cursors` (one per partition; a partition
 * left out starts per `startWithoutCursor`). `partitionCount` is the subscription's.
 */
export async function readSubscriptionChanges(
  cdf: CdfConnection,
  subscription: { externalId: string; partitionCount: number },
  cursors: ReadonlyArray<{ partition: number; cursor: string }>,
  options: ReadChangesOptions = {},
): Promise<SubscriptionChanges | RetentionLost> {
  const retry = options.retry ?? DEFAULT_RETRY_POLICY;
  const maxPages = options.maxPages ?? 100;
  const position = new Map<number, string | undefined>();
  for (let p = 0; p < subscription.partitionCount; p++) position.set(p, undefined);
  for (const { partition, cursor } of cursors) {
    if (!position.has(partition)) {
      throw new RangeError(
        `readSubscriptionChanges: partition ${partition} is not one of ${subscription.externalId}'s 0-${subscription.partitionCount - 1}.`,
      );
    }
    position.set(partition, cursor);
  }
  const bySeries = new Map<number, { timeSeries: SeriesIdentity; changes: SeriesChange[] }>();
  const membership = { added: [] as SeriesIdentity[], removed: [] as SeriesIdentity[] };
  let hasNext = true;
  for (let page = 0; page < maxPages && hasNext; page++) {
    const anyCursor = [...position.values()].some((c) => c !== undefined);
    const body = {
      externalId: subscription.externalId,
      partitions: [...position].map(([index, cursor]) =>
        cursor === undefined ? { index } : { index, cursor },
      ),
      limit: options.pageSize ?? 10_000,
      pollTimeoutSeconds: 0,
      includeStatus: true,
      ignoreBadDataPoints: false,
      treatUncertainAsBad: false,
      ...(options.startWithoutCursor === "now" ? { initializeCursors: "now" } : {}),
    };
    let response: DataListResponse;
    try {
      response = await withRetries(
        () => cdf.post<DataListResponse>("/timeseries/subscriptions/data/list", body),
        retry,
      );
    } catch (error) {
      // CDF does not document its answer to an expired cursor (the emulator sends a 400); a
      // 400 for a request that carries cursors is taken as one, as recomputing is always safe.
      if (anyCursor && error instanceof CdfRequestError && error.status === 400) {
        return { kind: "retentionLost", subscription: subscription.externalId, message: error.message };
      }
      throw error;
    }
    for (const update of response.updates ?? []) {
      const ts = update.timeSeries;
      if (ts === undefined || typeof ts.id !== "number") {
        throw new UnexpectedCdfResponseError(
          "POST /timeseries/subscriptions/data/list: an update without its time series.",
        );
      }
      let entry = bySeries.get(ts.id);
      if (entry === undefined) bySeries.set(ts.id, (entry = { timeSeries: ts, changes: [] }));
      // CDF sends a change's deletes before its upserts (a delete-then-insert request reads that way).
      for (const d of update.deletes ?? []) {
        entry.changes.push({
          kind: "delete",
          from: d.inclusiveBegin,
          to: d.exclusiveEnd ?? d.inclusiveBegin + 1,
        });
      }
      const points = columnsFromDatapoints(
        update.upserts ?? [],
        `subscription ${subscription.externalId} upserts`,
      );
      if (points.length > 0) entry.changes.push({ kind: "upsert", points });
    }
    membership.added.push(...(response.subscriptionChanges?.added ?? []));
    membership.removed.push(...(response.subscriptionChanges?.removed ?? []));
    for (const p of response.partitions ?? []) position.set(p.index, p.nextCursor);
    hasNext = response.hasNext === true;
  }
  const next = [...position].map(([partition, cursor]) => {
    if (cursor === undefined) {
      throw new UnexpectedCdfResponseError(
        `POST /timeseries/subscriptions/data/list: no cursor for partition ${partition}.`,
      );
    }
    return { partition, cursor };
  });
  return { kind: "changes", series: [...bySeries.values()], cursors: next, hasMore: hasNext, membership };
}
