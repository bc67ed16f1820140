// Raw's routes (`/raw/dbs*`): databases, tables and rows, the pipeline's state store. Shapes from
// openapi.json; databases and tables carry `createdTime` as CDF sends it (the document leaves it
// out, Cognite's SDKs read it: @cognite/sdk's RawDB and RawDBTable have `createdTime: Date`).

import { CdfError, type EmulatorContext, type RouteRegistry } from "../context.js";
import { parseRequestBody } from "../parseRequestBody.js";
import { type CursorPosition, decodeCursor, encodeCursor, limitOf, queryBoolean } from "../requestBody.js";
import {
  createDbsBody,
  createTablesBody,
  deleteDbsBody,
  deleteRowsBody,
  deleteTablesBody,
  insertRowsBody,
  RAW_LIMITS,
} from "./rawRequests.js";
import { lowerBound, type RawRow, RawStore } from "./rawStore.js";

const READ = [{ acl: "rawAcl", action: "READ" }] as const;
const WRITE = [{ acl: "rawAcl", action: "WRITE" }] as const;
// Listing dbs and tables needs rawAcl:LIST in CDF; READ also grants it there.
const LIST = [
  { acl: "rawAcl", action: "LIST" },
  { acl: "rawAcl", action: "READ" },
] as const;

/** Raw's cursors carry the last name or key returned. */
const isKey = (p: CursorPosition): p is string => typeof p === "string";

/** One page of a name-sorted list; the cursor is the last name returned, so deletions never shift pages. */
function pageByName<T extends { name: string }>(
  sorted: T[],
  limit: number,
  cursor: string | null,
  where: string,
): { items: T[]; nextCursor?: string } {
  const after = decodeCursor(cursor, where, isKey);
  const start =
    after === undefined
      ? 0
      : lowerBound(
          sorted.map((t) => t.name),
          `${String(after)}\u0000`,
        );
  const items = sorted.slice(start, start + limit);
  const result: { items: T[]; nextCursor?: string } = { items };
  const last = items[items.length - 1];
  if (start + limit < sorted.length && last !== undefined) result.nextCursor = encodeCursor(last.name);
  return result;
}

function named<T extends { createdTime: number }>(entries: Iterable<[string, T]>) {
  return [...entries]
    .map(([name, { createdTime }]) => ({ name, createdTime }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export function registerRawRoutes(registry: RouteRegistry, ctx: EmulatorContext): RawStore {
  const store = new RawStore(ctx.clock);
  registry.addStore("raw", store);

  registry.add({
    method: "GET",
    pattern: "/raw/dbs",
    acl: [...LIST],
    handler: (req) => {
      const limit = limitOf(req.query.get("limit") ?? undefined, "limit", { default: 25, max: 1000 });
      return { body: pageByName(named(store.dbs), limit, req.query.get("cursor"), "GET /raw/dbs") };
    },
  });

  registry.add({
    method: "POST",
    pattern: "/raw/dbs",
    acl: [...WRITE],
    handler: (req) => {
      const { items } = parseRequestBody(createDbsBody, req.body, "POST /raw/dbs");
      const existing = items.map((i) => i.name).filter((n) => store.dbs.has(n));
      if (existing.length > 0) {
        throw new CdfError(400, `Databases already exist: ${existing.join(", ")}.`, {
          duplicated: existing.map((name) => ({ name })),
        });
      }
      const created = items.map(({ name }) => ({ name, createdTime: store.db(name, true).createdTime }));
      return { status: 201, body: { items: created } };
    },
  });

  registry.add({
    method: "POST",
    pattern: "/raw/dbs/delete",
    acl: [...WRITE],
    handler: (req) => {
      const body = parseRequestBody(deleteDbsBody, req.body, "POST /raw/dbs/delete");
      const requested = body.items.map((i) => i.name);
      const missing = requested.filter((n) => !store.dbs.has(n));
      if (missing.length > 0) {
        throw new CdfError(404, `Databases not found: ${missing.join(", ")}.`, {
          missing: missing.map((name) => ({ name })),
        });
      }
      const nonEmpty = requested.filter((n) => (store.dbs.get(n)?.tables.size ?? 0) > 0);
      if (!body.recursive && nonEmpty.length > 0) {
        throw new CdfError(
          400,
          `Databases are not empty: ${nonEmpty.join(", ")}. Delete their tables first or pass recursive: true.`,
        );
      }
      for (const name of requested) store.dbs.delete(name);
      return { body: {} };
    },
  });

  registry.add({
    method: "GET",
    pattern: "/raw/dbs/:db/tables",
    acl: [...LIST],
    handler: (req) => {
      const db = store.db(req.params.db as string, false);
      const limit = limitOf(req.query.get("limit") ?? undefined, "limit", { default: 25, max: 1000 });
      return { body: pageByName(named(db.tables), limit, req.query.get("cursor"), "GET tables") };
    },
  });

  registry.add({
    method: "POST",
    pattern: "/raw/dbs/:db/tables",
    acl: [...WRITE],
    handler: (req) => {
      const dbName = req.params.db as string;
      const { items } = parseRequestBody(createTablesBody, req.body, `POST /raw/dbs/${dbName}/tables`);
      const ensureParent = queryBoolean(req.query.get("ensureParent"), "ensureParent") ?? false;
      const db = store.db(dbName, ensureParent);
      const existing = items.map((i) => i.name).filter((n) => db.tables.has(n));
      if (existing.length > 0) {
        throw new CdfError(400, `Tables already exist in database '${dbName}': ${existing.join(", ")}.`, {
          duplicated: existing.map((name) => ({ name })),
        });
      }
      const created = items.map(({ name }) => ({
        name,
        createdTime: store.table(dbName, name, true).createdTime,
      }));
      return { status: 201, body: { items: created } };
    },
  });

  registry.add({
    method: "POST",
    pattern: "/raw/dbs/:db/tables/delete",
    acl: [...WRITE],
    handler: (req) => {
      const dbName = req.params.db as string;
      const body = parseRequestBody(deleteTablesBody, req.body, `POST /raw/dbs/${dbName}/tables/delete`);
      const requested = body.items.map((i) => i.name);
      const db = store.db(dbName, false);
      const missing = requested.filter((n) => !db.tables.has(n));
      if (missing.length > 0) {
        throw new CdfError(404, `Tables not found in database '${dbName}': ${missing.join(", ")}.`, {
          missing: missing.map((name) => ({ name })),
        });
      }
      for (const name of requested) db.tables.delete(name);
      return { body: {} };
    },
  });

  registry.add({
    method: "POST",
    pattern: "/raw/dbs/:db/tables/:table/rows",
    acl: [...WRITE],
    handler: (req) => {
      const { db, table } = req.params as { db: string; table: string };
      const where = `POST /raw/dbs/${db}/tables/${table}/rows`;
      const { items } = parseRequestBody(insertRowsBody, req.body, where);
      for (const [i, row] of items.entries()) {
        const bytes = Buffer.byteLength(JSON.stringify(row.columns));
        if (bytes > RAW_LIMITS.rowBytes) {
          throw new CdfError(
            400,
            `Invalid request body for ${where}: items[${i}].columns is ${bytes} bytes as JSON; CDF stores at most ${RAW_LIMITS.rowBytes} bytes (5 MiB) per row. Split the data over several rows.`,
          );
        }
      }
      const ensureParent = queryBoolean(req.query.get("ensureParent"), "ensureParent") ?? false;
      const t = store.table(db, table, ensureParent);
      const now = ctx.clock.now();
      for (const row of items) {
        // CDF moves a row's lastUpdatedTime only when its contents change ("an identical JSON
        // string should always be counted as the same contents"; openapi.json, insertRows).
        const before = t.rows.get(row.key);
        const same = before !== undefined && JSON.stringify(before.columns) === JSON.stringify(row.columns);
        t.upsert({
          key: row.key,
          columns: row.columns,
          lastUpdatedTime: same ? before.lastUpdatedTime : now,
        });
      }
      return { body: {} };
    },
  });

  registry.add({
    method: "GET",
    pattern: "/raw/dbs/:db/tables/:table/rows",
    acl: [...READ],
    handler: (req) => {
      const { db, table } = req.params as { db: string; table: string };
      const t = store.table(db, table, false);
      const q = req.query;
      const limit = limitOf(q.get("limit") ?? undefined, "limit", { default: 25, max: 10_000 });
      // minLastUpdatedTime is exclusive, maxLastUpdatedTime inclusive (openapi.json).
      const min = timeQuery(q.get("minLastUpdatedTime"), "minLastUpdatedTime");
      const max = timeQuery(q.get("maxLastUpdatedTime"), "maxLastUpdatedTime");
      const columnsParam = q.get("columns");
      const wanted =
        columnsParam === null || columnsParam === ""
          ? undefined
          : columnsParam.split(",").filter((c) => c !== "");
      const after = decodeCursor(q.get("cursor"), "GET rows", isKey);
      let i = after === undefined ? 0 : lowerBound(t.keys, `${String(after)}\u0000`);
      const items: RawRow[] = [];
      let lastKey: string | undefined;
      for (; i < t.keys.length && items.length < limit; i++) {
        const row = t.rows.get(t.keys[i] as string) as RawRow;
        lastKey = row.key;
        if (min !== undefined && row.lastUpdatedTime <= min) continue;
        if (max !== undefined && row.lastUpdatedTime > max) continue;
        items.push(wanted ? { ...row, columns: pick(row.columns, wanted) } : row);
      }
      const result: { items: RawRow[]; nextCursor?: string } = { items };
      if (i < t.keys.length && lastKey !== undefined) result.nextCursor = encodeCursor(lastKey);
      return { body: result };
    },
  });

  registry.add({
    method: "GET",
    pattern: "/raw/dbs/:db/tables/:table/rows/:key",
    acl: [...READ],
    handler: (req) => {
      const { db, table, key } = req.params as { db: string; table: string; key: string };
      const row = store.table(db, table, false).rows.get(key);
      if (!row) throw new CdfError(404, `Row '${key}' not found in ${db}/${table}.`);
      return { body: row };
    },
  });

  registry.add({
    method: "POST",
    pattern: "/raw/dbs/:db/tables/:table/rows/delete",
    acl: [...WRITE],
    handler: (req) => {
      const { db, table } = req.params as { db: string; table: string };
      const where = `POST /raw/dbs/${db}/tables/${table}/rows/delete`;
      const { items } = parseRequestBody(deleteRowsBody, req.body, where);
      const t = store.table(db, table, false);
      for (const { key } of items) t.delete(key);
      return { body: {} };
    },
  });

  return store;
}

function timeQuery(value: string | null, name: string): number | undefined {
  if (value === null) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new CdfError(400, `Query parameter ${name} must be ms since the epoch (got '${value}').`);
  return n;
}

function pick(columns: Record<string, unknown>, wanted: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const c of wanted) if (c in columns) out[c] = columns[c];
  return out;
}
