// One page of a list endpoint (sessions, files) and its opaque cursor. CDF's cursors
// are opaque strings (openapi.json: "not intended to be decoded"); ours carry an offset into
// the list in creation order, which is stable because these lists only grow at the end.

import { CdfError } from "./context.js";

function encodeListCursor(offset: number): string {
  return Buffer.from(JSON.stringify({ o: offset }), "utf8").toString("base64url");
}

function decodeListCursor(cursor: string | undefined | null): number {
  if (cursor === undefined || cursor === null || cursor === "") return 0;
  try {
    const parsed = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as { o?: unknown };
    if (typeof parsed.o === "number" && Number.isInteger(parsed.o) && parsed.o >= 0) return parsed.o;
  } catch {
    // fall through to the error below
  }
  throw new CdfError(
    400,
    `Invalid cursor '${cursor}': pass back a nextCursor exactly as the API returned it`,
  );
}

/** One page of `items` from `cursor`, with `nextCursor` when more remain. */
export function pageOf<T>(
  items: readonly T[],
  cursor: string | undefined | null,
  limit: number,
): { items: T[]; nextCursor?: string } {
  const start = decodeListCursor(cursor);
  const page = items.slice(start, start + limit);
  const end = start + page.length;
  return end < items.length ? { items: page, nextCursor: encodeListCursor(end) } : { items: page };
}
