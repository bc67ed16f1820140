// A subscription cursor names a position in one partition's log of one subscription. It carries
// the subscription's internal id so that a cursor of a deleted-and-recreated subscription (same
// externalId) or of another partition is refused instead of silently skipping data. Encoded with
// the emulator's one cursor codec (requestBody.ts) as [1, subscription, partition, position].

import { CdfError } from "../context.js";
import { type CursorPosition, decodeCursor, encodeCursor } from "../requestBody.js";

export interface SubscriptionCursor {
  subscription: number;
  partition: number;
  position: number;
}

type Position = readonly [1, number, number, number];

const isSubscriptionPosition = (p: CursorPosition): p is Position =>
  Array.isArray(p) && p.length === 4 && p[0] === 1 && p.every((n) => Number.isSafeInteger(n));

export function encodeSubscriptionCursor(cursor: SubscriptionCursor): string {
  return encodeCursor([1, cursor.subscription, cursor.partition, cursor.position]);
}

export function decodeSubscriptionCursor(text: string, where: string): SubscriptionCursor {
  try {
    const p = decodeCursor(text, where, isSubscriptionPosition);
    if (p !== undefined) return { subscription: p[1], partition: p[2], position: p[3] };
  } catch {
    // the 400 below says what to do for a subscription
  }
  throw new CdfError(
    400,
    `${where}: '${text}' is not a cursor of this subscription; pass a nextCursor from a previous response unchanged, ` +
      "or omit it (with initializeCursors) to start over",
  );
}
