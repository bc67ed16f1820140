// Per-item cursors of /timeseries/data/list. Opaque to clients (as CDF's are); inside, the
// timestamp to resume from: the next raw point, or the start of the next aggregate interval
// (which is also the alignment origin of the next page, so intervals line up across pages).
// Encoded with the emulator's one cursor codec (requestBody.ts) as ["r" | "a", timestamp].

import { type CursorPosition, decodeCursor, encodeCursor } from "../requestBody.js";

export interface DatapointCursor {
  kind: "raw" | "aggregate";
  next: number;
}

type Position = readonly ["r" | "a", number];

const isDatapointPosition = (p: CursorPosition): p is Position =>
  Array.isArray(p) && p.length === 2 && (p[0] === "r" || p[0] === "a") && Number.isSafeInteger(p[1]);

export function encodeDatapointCursor(cursor: DatapointCursor): string {
  return encodeCursor([cursor.kind === "raw" ? "r" : "a", cursor.next]);
}

/** The cursor an item sent, undefined when it sent none; 400 for one this endpoint did not issue. */
export function decodeDatapointCursor(text: unknown, where: string): DatapointCursor | undefined {
  const position = decodeCursor(text, where, isDatapointPosition);
  return position && { kind: position[0] === "r" ? "raw" : "aggregate", next: position[1] };
}
