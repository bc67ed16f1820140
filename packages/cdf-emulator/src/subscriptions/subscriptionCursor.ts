// A subscription cursor names a position in one partition's log of one subscription. It carries
// the subscription's internal id so that a cursor of a deleted-and-recreated subscription (same
// externalId) or of another partition is refused instead of silently skipping data.

import { CdfError } from "../context.js";

export interface SubscriptionCursor {
  subscription: number;
  partition: number;
  position: number;
}

export function encodeSubscriptionCursor(cursor: SubscriptionCursor): string {
  return Buffer.from(JSON.stringify([1, cursor.subscription, cursor.partition, cursor.position])).toString(
    "base64url",
  );
}

export function decodeSubscriptionCursor(text: string, where: string): SubscriptionCursor {
  try {
    const value = JSON.parse(Buffer.from(text, "base64url").toString("utf8")) as unknown;
    if (
      Array.isArray(value) &&
      value.length === 4 &&
      value[0] === 1 &&
      value.every((n) => Number.isSafeInteger(n))
    ) {
      return { subscription: value[1], partition: value[2], position: value[3] };
    }
  } catch {
    // fall through to the 400 below
  }
  throw new CdfError(
    400,
    `${where}: '${text}' is not a cursor of this subscription; pass a nextCursor from a previous response unchanged, ` +
      "or omit it (with initializeCursors) to start over",
  );
}
