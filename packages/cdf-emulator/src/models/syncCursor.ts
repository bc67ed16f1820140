// A sync cursor of /models/instances/sync: where in the project's change sequence a result
// expression has read to, the last change that belonged to its backfill (deletions up to there
// happened before the sync started, which skipAlreadyDeleted hides), and when it was issued (CDF's
// sync cursors expire after 3 days: openapi.json SyncRequest). Encoded with the emulator's one
// cursor codec (requestBody.ts).

import { CdfError } from "../context.js";
import { type CursorPosition, decodeCursor, encodeCursor } from "../requestBody.js";

export interface SyncCursor {
  position: number;
  backfillUntil: number;
  issuedAt: number;
}

type Encoded = readonly ["sync", number, number, number];

const isSyncPosition = (p: CursorPosition): p is Encoded =>
  Array.isArray(p) &&
  p.length === 4 &&
  p[0] === "sync" &&
  p.slice(1).every((n) => typeof n === "number" && Number.isSafeInteger(n) && n >= 0);

export function encodeSyncCursor(c: SyncCursor): string {
  return encodeCursor(["sync", c.position, c.backfillUntil, c.issuedAt]);
}

export function decodeSyncCursor(text: string, where: string): SyncCursor {
  try {
    const p = decodeCursor(text, where, isSyncPosition);
    if (p !== undefined) return { position: p[1], backfillUntil: p[2], issuedAt: p[3] };
  } catch {
    // the 400 below says what to do
  }
  throw new CdfError(
    400,
    `${where}: '${text}' is not a sync cursor; pass back a nextCursor of /models/instances/sync unchanged, or leave it out to sync from the start`,
  );
}
