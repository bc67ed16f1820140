// What every endpoint reads the same way, with CDF's 400 answers naming the field: id /
// externalId / instanceId references and their duplicates, `limit`, boolean query values, and
// cursors. Request bodies themselves are zod schemas parsed with parseRequestBody.

import { CdfError } from "./context.js";

export type IdentifierRef =
  | { id: number }
  | { externalId: string }
  | { instanceId: { space: string; externalId: string } };

/** The `missing`/`duplicated` element CDF reports for a reference. */
function refKey(ref: IdentifierRef): string {
  if ("id" in ref) return `id:${ref.id}`;
  if ("externalId" in ref) return `externalId:${ref.externalId}`;
  return `instanceId:${ref.instanceId.space}\u0000${ref.instanceId.externalId}`;
}

/** 422 with `duplicated` when a request names the same resource twice, as CDF answers. */
export function rejectDuplicateRefs(refs: IdentifierRef[]): void {
  const seen = new Set<string>();
  const duplicated: IdentifierRef[] = [];
  for (const ref of refs) {
    const key = refKey(ref);
    if (seen.has(key)) duplicated.push(ref);
    seen.add(key);
  }
  if (duplicated.length > 0) {
    throw new CdfError(422, "Duplicate ids in the request: name each resource once.", { duplicated });
  }
}

/**
 * A `limit` from a body or query, defaulted and bounded as the endpoint documents. `max` is left
 * out where openapi.json gives none (e.g. `LimitQuery` of `GET /functions`: minimum 1 only).
 */
export function limitOf(value: unknown, path: string, limits: { default: number; max?: number }): number {
  if (value === undefined || value === null || value === "") return limits.default;
  const n = typeof value === "string" ? Number(value) : value;
  const max = limits.max ?? Number.POSITIVE_INFINITY;
  if (typeof n !== "number" || !Number.isInteger(n) || n < 1 || n > max) {
    const range = limits.max === undefined ? "of at least 1" : `between 1 and ${limits.max}`;
    throw new CdfError(400, `${path} must be an integer ${range} (got ${JSON.stringify(value)}).`);
  }
  return n;
}

export function queryBoolean(value: string | null, path: string): boolean | undefined {
  if (value === null) return undefined;
  if (value === "true") return true;
  if (value === "false") return false;
  throw new CdfError(400, `Query parameter ${path} must be 'true' or 'false' (got '${value}').`);
}

/** What a cursor carries: a key, an offset, or a tuple (e.g. a datapoint kind and timestamp). */
export type CursorPosition = string | number | ReadonlyArray<string | number>;

const isScalar = (p: CursorPosition): p is string | number => typeof p === "string" || typeof p === "number";

function isPosition(value: unknown): value is CursorPosition {
  return (
    typeof value === "string" ||
    typeof value === "number" ||
    (Array.isArray(value) && value.every((v) => typeof v === "string" || typeof v === "number"))
  );
}

/**
 * The emulator's one cursor codec. Cursors are opaque to clients (openapi.json: "not intended to
 * be decoded"); ours encode a position so that pages stay stable under inserts.
 */
export function encodeCursor(position: CursorPosition): string {
  return Buffer.from(JSON.stringify(position)).toString("base64url");
}

/**
 * The position a cursor carries, undefined when none was sent. A cursor that is not one this
 * endpoint issued (`accept` says which positions it issues; by default a key or an offset) is
 * CDF's 400.
 */
export function decodeCursor<T extends CursorPosition = string | number>(
  cursor: unknown,
  where: string,
  accept: (position: CursorPosition) => position is T = isScalar as (
    position: CursorPosition,
  ) => position is T,
): T | undefined {
  if (cursor === undefined || cursor === null || cursor === "") return undefined;
  if (typeof cursor !== "string") throw new CdfError(400, `${where}: cursor must be a string.`);
  try {
    const value = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as unknown;
    if (isPosition(value) && accept(value)) return value;
  } catch {
    // fall through to the 400 below
  }
  throw new CdfError(
    400,
    `${where}: cursor '${cursor}' is not one this endpoint issued; pass back a nextCursor exactly as the API returned it.`,
  );
}
