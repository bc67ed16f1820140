// Subscription delivery as untidy as CDF may make it, within what CDF promises. The API docs
// (Data point subscriptions) say "Each partition will return data in ingestion order, but the
// order between partitions is not guaranteed" and, for data/list, "The data can be returned
// multiple times". So, when a test asks for it (control API, per subscription or for all):
// - `reorderPartitions`: one response interleaves partitions in an arbitrary order, and a page
//   cut by `limit` may carry a partition's newer changes while another's older ones wait;
// - `redeliverProbability`: a partition's nextCursor may lag behind what the response carried,
//   so the next read delivers the tail of this page again.
// Within a partition, order is kept and every read moves the cursor forward by at least one
// change, so a consumer that follows hasNext always gets to the end.
// Draws are hashes of (subscription, partition, position), not a random stream: the same reads
// give the same disorder, and a failing test can be replayed.

import type { LogEntry } from "./partitionLog.js";

export interface DeliveryDisorder {
  /** Chance (0-1) that a partition's nextCursor lags behind the changes the response carried. */
  redeliverProbability?: number;
  /** Interleave partitions in an arbitrary (reproducible) order instead of global ingestion order. */
  reorderPartitions?: boolean;
}

/** The disorder for a subscription: its own settings over those given for every subscription (`*`). */
export function deliveryDisorderOf(
  bySubscription: ReadonlyMap<string, DeliveryDisorder> | undefined,
  externalId: string,
): DeliveryDisorder {
  return { ...bySubscription?.get("*"), ...bySubscription?.get(externalId) };
}

/** The key partitions' next changes are merged by: ingestion order, or a reproducible shuffle of it. */
export function mergeKey(entry: LogEntry, subscription: number, disorder: DeliveryDisorder): number {
  return disorder.reorderPartitions ? draw(subscription, entry.sequence, 0, 1) : entry.sequence;
}

/**
 * The position to hand out as a partition's nextCursor after a read took it from `start` to
 * `next`: `next`, or, when the draw says so and at least two changes were taken, a position in
 * (start, next) so the next read returns some of them again, and still moves forward.
 */
export function handedOutPosition(
  subscription: number,
  partition: number,
  start: number,
  next: number,
  disorder: DeliveryDisorder,
): number {
  const p = disorder.redeliverProbability ?? 0;
  if (p <= 0 || next - start < 2 || draw(subscription, partition, start, 2) >= p) return next;
  return start + 1 + Math.floor(draw(subscription, partition, start, 3) * (next - start - 1));
}

/** A number in [0, 1) from four integers (a murmur-style mix). */
function draw(a: number, b: number, c: number, salt: number): number {
  let h = Math.imul(salt + 0x9e3779b9, 0x85ebca6b) >>> 0;
  for (const n of [a, b, c]) {
    h ^= Math.imul((n % 2 ** 31) + Math.floor(n / 2 ** 31), 0xcc9e2d51) >>> 0;
    h = Math.imul((h << 13) | (h >>> 19), 5) + 0xe6546b64;
    h >>>= 0;
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return (h >>> 0) / 2 ** 32;
}
