// Reading CDF request bodies with CDF's 400 answers: `items` arrays within their limits, id /
// externalId / instanceId references, and query numbers. Each message names the field's path.

import { CdfError } from "./context.js";

export type IdentifierRef =
  | { id: number }
  | { externalId: string }
  | { instanceId: { space: string; externalId: string } };

export function objectBody(body: unknown, where: string): Record<string, unknown> {
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw new CdfError(
      400,
      `${where}: the request body must be a JSON object (send Content-Type: application/json).`,
    );
  }
  return body as Record<string, unknown>;
}

/** `body.items`, checked against CDF's per-request item limits. */
export function itemsOf(body: unknown, where: string, limits: { min?: number; max: number }): unknown[] {
  const items = objectBody(body, where).items;
  if (!Array.isArray(items)) throw new CdfError(400, `${where}: 'items' must be an array.`);
  const min = limits.min ?? 1;
  if (items.length < min || items.length > limits.max) {
    throw new CdfError(
      400,
      `${where}: 'items' must contain between ${min} and ${limits.max} elements (got ${items.length}).`,
    );
  }
  return items;
}

export function objectItem(item: unknown, path: string): Record<string, unknown> {
  if (item === null || typeof item !== "object" || Array.isArray(item)) {
    throw new CdfError(400, `${path} must be an object.`);
  }
  return item as Record<string, unknown>;
}

/** One of `{id}`, `{externalId}` or (when allowed) `{instanceId: {space, externalId}}`. */
export function identifierOf(item: unknown, path: string, allowInstanceId = true): IdentifierRef {
  const o = objectItem(item, path);
  const present = ["id", "externalId", ...(allowInstanceId ? ["instanceId"] : [])].filter(
    (k) => o[k] !== undefined,
  );
  const accepted = allowInstanceId ? "'id', 'externalId' or 'instanceId'" : "'id' or 'externalId'";
  if (present.length !== 1) {
    throw new CdfError(
      400,
      `${path} must have exactly one of ${accepted} (got ${present.length === 0 ? "none" : present.join(", ")}).`,
    );
  }
  if (o.id !== undefined) {
    if (!Number.isSafeInteger(o.id) || (o.id as number) < 1) {
      throw new CdfError(
        400,
        `${path}.id must be an integer between 1 and 9007199254740991 (got ${JSON.stringify(o.id)}).`,
      );
    }
    return { id: o.id as number };
  }
  if (o.externalId !== undefined) {
    if (typeof o.externalId !== "string" || o.externalId.length === 0 || o.externalId.length > 255) {
      throw new CdfError(400, `${path}.externalId must be a string of 1-255 characters.`);
    }
    return { externalId: o.externalId };
  }
  const instanceId = o.instanceId as Record<string, unknown> | null;
  if (
    instanceId === null ||
    typeof instanceId !== "object" ||
    typeof instanceId.space !== "string" ||
    typeof instanceId.externalId !== "string"
  ) {
    throw new CdfError(400, `${path}.instanceId must be { "space": string, "externalId": string }.`);
  }
  return { instanceId: { space: instanceId.space, externalId: instanceId.externalId } };
}

/** The `missing`/`duplicated` element CDF reports for a reference. */
export function refKey(ref: IdentifierRef): string {
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

export function optionalBoolean(value: unknown, path: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "boolean")
    throw new CdfError(400, `${path} must be a boolean (got ${JSON.stringify(value)}).`);
  return value;
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
