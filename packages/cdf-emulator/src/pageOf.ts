// One page of a list endpoint (sessions, files, subscription members) and its opaque cursor.
// CDF's cursors are opaque strings (openapi.json: "not intended to be decoded"); ours carry an
// offset into the list in creation order, which is stable because these lists only grow at the end.

import { CdfError } from "./context.js";
import { decodeCursor, encodeCursor } from "./requestBody.js";

/** One page of `items` from `cursor`, with `nextCursor` when more remain. */
export function pageOf<T>(
  items: readonly T[],
  cursor: string | undefined | null,
  limit: number,
  where = "cursor",
): { items: T[]; nextCursor?: string } {
  const offset = decodeCursor(cursor, where) ?? 0;
  if (typeof offset !== "number" || !Number.isInteger(offset) || offset < 0) {
    throw new CdfError(
      400,
      `${where}: cursor '${cursor}' is not one this endpoint issued; pass back a nextCursor exactly as the API returned it.`,
    );
  }
  const page = items.slice(offset, offset + limit);
  const end = offset + page.length;
  return end < items.length ? { items: page, nextCursor: encodeCursor(end) } : { items: page };
}
