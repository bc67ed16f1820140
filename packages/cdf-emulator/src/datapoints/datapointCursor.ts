// Per-item cursors of /timeseries/data/list. Opaque to clients (as CDF's are); inside, the
// timestamp to resume from: the next raw point, or the start of the next aggregate interval
// (which is also the alignment origin of the next page, so intervals line up across pages).

import { CdfError } from "../context.js";

export interface DatapointCursor {
  kind: "raw" | "aggregate";
  next: number;
}

export function encodeCursor(cursor: DatapointCursor): string {
  return Buffer.from(`v1:${cursor.kind === "raw" ? "r" : "a"}:${cursor.next}`).toString("base64url");
}

export function decodeCursor(text: unknown, where: string): DatapointCursor {
  const m =
    typeof text === "string" ? /^v1:([ra]):(-?\d+)$/.exec(Buffer.from(text, "base64url").toString()) : null;
  if (!m) {
    throw new CdfError(
      400,
      `${where}: invalid cursor ${JSON.stringify(text)}; pass a nextCursor from a previous response`,
    );
  }
  return { kind: m[1] === "r" ? "raw" : "aggregate", next: Number(m[2]) };
}
