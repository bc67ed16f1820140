import { type SeriesRef, seriesLookupKey } from "@kpi-pipeline/kpi-core";
import type { CdfConnection } from "./cdfConnection.js";
import { CDF_LIMITS } from "./cdfLimits.js";
import { CdfRequestError } from "./cdfRequestError.js";
import { DEFAULT_RETRY_POLICY, type RetryPolicy, withRetries } from "./withRetries.js";

// Datapoint subscriptions over a set of series: `${prefix}-0`, `${prefix}-1`, ... each with at
// most 10,000 members (CDF's cap per subscription). A series stays in the subscription it is
// already in, so adding inputs never moves a series and never loses its change stream; new
// series fill the first subscription with room, and a new subscription is created past the last.
// Series no longer wanted stay: during a rollout the old and the new version run side by side on
// these subscriptions (the fenced one too sets them up at its start), and a series one removed
// that the other still reads would lose its changes until re-added, for good (a change is
// delivered only while the series is a member). Only a series found in two subscriptions is
// removed from the later one. Members change at most 100 per update call (CDF's cap).
// The partition count is fixed when CDF creates a subscription: an existing one keeps its own.

export interface SubscriptionPlan {
  externalId: string;
  partitionCount: number;
  members: SeriesRef[];
}

export interface EnsureSubscriptionsOptions {
  /** Partitions of newly created subscriptions (1-100, default 1). */
  partitionCount?: number;
  /** Members per subscription (default and maximum: CDF's 10,000); for tests. */
  maxMembers?: number;
  retry?: RetryPolicy;
}

interface Member {
  externalId?: string;
  instanceId?: { space: string; externalId: string };
}

interface Subscription {
  externalId: string;
  partitionCount: number;
}

/** Makes subscriptions `${prefix}-N` cover `series` (and keep what they had); returns them with their members. */
export async function ensureSubscriptions(
  cdf: CdfConnection,
  prefix: string,
  series: readonly SeriesRef[],
  options: EnsureSubscriptionsOptions = {},
): Promise<SubscriptionPlan[]> {
  const retry = options.retry ?? DEFAULT_RETRY_POLICY;
  const partitionCount = options.partitionCount ?? 1;
  const maxMembers = Math.min(
    options.maxMembers ?? CDF_LIMITS.subscriptionSeries,
    CDF_LIMITS.subscriptionSeries,
  );
  if (
    !Number.isInteger(partitionCount) ||
    partitionCount < 1 ||
    partitionCount > CDF_LIMITS.subscriptionPartitions
  ) {
    throw new RangeError(
      `ensureSubscriptions: partitionCount must be an integer from 1 to 100 (got ${partitionCount}).`,
    );
  }
  const wanted = new Map(series.map((ref) => [seriesLookupKey(ref), ref]));
  const plans: SubscriptionPlan[] = [];
  const placed = new Set<string>();

  // Existing subscriptions, in order, until the first that does not exist. The next one is asked
  // for while this one's members are listed (one round trip less per call: usually there is one
  // subscription, and the question whether a second exists waited for its members); its answer
  // is awaited in the same place as before, so a failure is still reported in the same order.
  let retrieving = retrieve(cdf, `${prefix}-0`, retry);
  for (let n = 0; ; n++) {
    const externalId = `${prefix}-${n}`;
    const found = await retrieving;
    if (found === undefined) break;
    retrieving = retrieve(cdf, `${prefix}-${n + 1}`, retry);
    // Handled when awaited; until then a failure must not be an unhandled rejection.
    retrieving.catch(() => {});
    const members = await listMembers(cdf, externalId, retry);
    const keep: SeriesRef[] = [];
    const remove: SeriesRef[] = [];
    for (const member of members) {
      const ref = refOf(member);
      if (ref === undefined) continue;
      const key = seriesLookupKey(ref);
      if (placed.has(key)) remove.push(ref);
      else {
        keep.push(ref);
        placed.add(key);
      }
    }
    await update(cdf, externalId, "remove", remove, retry);
    plans.push({ externalId, partitionCount: found.partitionCount, members: keep });
  }

  const unplaced = [...wanted.entries()].filter(([key]) => !placed.has(key)).map(([, ref]) => ref);
  let next = 0;
  for (const plan of plans) {
    const room = maxMembers - plan.members.length;
    if (room <= 0 || next >= unplaced.length) continue;
    const added = unplaced.slice(next, next + room);
    await update(cdf, plan.externalId, "add", added, retry);
    plan.members.push(...added);
    next += added.length;
  }
  while (next < unplaced.length) {
    const externalId = `${prefix}-${plans.length}`;
    const added = unplaced.slice(next, next + maxMembers);
    await create(cdf, externalId, partitionCount, added.slice(0, CDF_LIMITS.subscriptionUpdateItems), retry);
    await update(cdf, externalId, "add", added.slice(CDF_LIMITS.subscriptionUpdateItems), retry);
    plans.push({ externalId, partitionCount, members: added });
    next += added.length;
  }
  return plans;
}

function refOf(member: Member): SeriesRef | undefined {
  if (member.instanceId !== undefined) return { instanceId: member.instanceId };
  if (member.externalId !== undefined) return { externalId: member.externalId };
  return undefined;
}

/** CDF takes externalIds in `timeSeriesIds` and data-model ids in `instanceIds`. */
function split(refs: readonly SeriesRef[]) {
  const timeSeriesIds: string[] = [];
  const instanceIds: Array<{ space: string; externalId: string }> = [];
  for (const ref of refs) {
    if ("externalId" in ref) timeSeriesIds.push(ref.externalId);
    else instanceIds.push(ref.instanceId);
  }
  return { timeSeriesIds, instanceIds };
}

async function retrieve(
  cdf: CdfConnection,
  externalId: string,
  retry: RetryPolicy,
): Promise<Subscription | undefined> {
  const response = await withRetries(
    () =>
      cdf.post<{ items?: Subscription[] }>("/timeseries/subscriptions/byids", {
        items: [{ externalId }],
        ignoreUnknownIds: true,
      }),
    retry,
  );
  return response.items?.[0];
}

async function listMembers(cdf: CdfConnection, externalId: string, retry: RetryPolicy): Promise<Member[]> {
  const members: Member[] = [];
  let cursor: string | undefined;
  do {
    const params: Record<string, string | number> = { externalId, limit: 100 };
    if (cursor !== undefined) params["cursor"] = cursor;
    const page = await withRetries(
      () => cdf.get<{ items?: Member[]; nextCursor?: string }>("/timeseries/subscriptions/members", params),
      retry,
    );
    members.push(...(page.items ?? []));
    cursor = page.nextCursor;
  } while (cursor !== undefined && cursor !== "");
  return members;
}

async function create(
  cdf: CdfConnection,
  externalId: string,
  partitionCount: number,
  members: readonly SeriesRef[],
  retry: RetryPolicy,
): Promise<void> {
  const { timeSeriesIds, instanceIds } = split(members);
  try {
    await withRetries(
      () =>
        cdf.post("/timeseries/subscriptions", {
          items: [
            {
              externalId,
              name: `kpi-pipeline inputs (${externalId})`,
              partitionCount,
              ...(timeSeriesIds.length > 0 ? { timeSeriesIds } : {}),
              ...(instanceIds.length > 0 ? { instanceIds } : {}),
            },
          ],
        }),
      retry,
    );
  } catch (error) {
    // Our own retry of a create CDF applied, or an overlapping run: the members are then
    // added by the update that follows (adding a member twice is harmless).
    if (!(error instanceof CdfRequestError && error.status === 409)) throw error;
    await update(cdf, externalId, "add", members, retry);
  }
}

async function update(
  cdf: CdfConnection,
  externalId: string,
  action: "add" | "remove",
  refs: readonly SeriesRef[],
  retry: RetryPolicy,
): Promise<void> {
  for (let i = 0; i < refs.length; i += CDF_LIMITS.subscriptionUpdateItems) {
    const { timeSeriesIds, instanceIds } = split(refs.slice(i, i + CDF_LIMITS.subscriptionUpdateItems));
    await withRetries(
      () =>
        cdf.post("/timeseries/subscriptions/update", {
          items: [
            {
              externalId,
              update: {
                ...(timeSeriesIds.length > 0 ? { timeSeriesIds: { [action]: timeSeriesIds } } : {}),
                ...(instanceIds.length > 0 ? { instanceIds: { [action]: instanceIds } } : {}),
              },
            },
          ],
        }),
      retry,
    );
  }
}
