// Raw: databases, tables and rows (the pipeline's state store). Shapes and limits from
// openapi.json `/raw/dbs*`: db names 1-32 chars, table names 1-64, row keys <= 1,024 chars
// (docs.cognite.com raw limits), <= 10,000 rows per insert and per list page; inserting a row
// replaces all its columns; `ensureParent=true` creates the missing db/table; list pages are
// ordered by key so a cursor (the last key) stays valid while rows are written.

import { CdfError, type EmulatorContext, type EmulatorStore, type RouteRegistry } from "./context.js";
import {
  decodeCursor,
  encodeCursor,
  itemsOf,
  limitOf,
  objectBody,
  objectItem,
  optionalBoolean,
  queryBoolean,
} from "./requestBody.js";
import { readStateFile, writeStateFile } from "./stateFile.js";

export interface RawRow {
  key: string;
  columns: Record<string, unknown>;
  lastUpdatedTime: number;
}

class RawTable {
  readonly rows = new Map<string, RawRow>();
  /** Keys in sorted order, kept sorted on insert so pages need no sort. */
  readonly keys: string[] = [];

  upsert(row: RawRow): void {
    if (!this.rows.has(row.key)) this.keys.splice(lowerBound(this.keys, row.key), 0, row.key);
    this.rows.set(row.key, row);
  }

  delete(key: string): void {
    if (!this.rows.delete(key)) return;
    const at = lowerBound(this.keys, key);
    if (this.keys[at] === key) this.keys.splice(at, 1);
  }
}

const READ = [{ acl: "rawAcl", action: "READ" }] as const;
const WRITE = [{ acl: "rawAcl", action: "WRITE" }] as const;
// Listing dbs and tables needs rawAcl:LIST in CDF; READ also grants it there.
const LIST = [
  { acl: "rawAcl", action: "LIST" },
  { acl: "rawAcl", action: "READ" },
] as const;

export class RawStore implements EmulatorStore {
  readonly dbs = new Map<string, Map<string, RawTable>>();

  reset(): void {
    this.dbs.clear();
  }

  db(name: string, ensure: boolean): Map<string, RawTable> {
    let db = this.dbs.get(name);
    if (!db) {
      if (!ensure) {
        throw new CdfError(
          404,
          `Database '${name}' not found. Create it first (POST /raw/dbs) or pass ensureParent=true.`,
          {
            missing: [{ name }],
          },
        );
      }
      db = new Map();
      this.dbs.set(name, db);
    }
    return db;
  }

  table(dbName: string, tableName: string, ensure: boolean): RawTable {
    const db = this.db(dbName, ensure);
    let table = db.get(tableName);
    if (!table) {
      if (!ensure) {
        throw new CdfError(
          404,
          `Table '${tableName}' not found in database '${dbName}'. Create it first (POST /raw/dbs/${dbName}/tables) or pass ensureParent=true.`,
          { missing: [{ name: tableName }] },
        );
      }
      table = new RawTable();
      db.set(tableName, table);
    }
    return table;
  }

  async save(dir: string): Promise<void> {
    const state = [...this.dbs].map(([db, tables]) => ({
      db,
      tables: [...tables].map(([table, t]) => ({ table, rows: [...t.rows.values()] })),
    }));
    await writeStateFile(dir, "raw.json", state);
  }

  async load(dir: string): Promise<void> {
    const state = await readStateFile<
      Array<{ db: string; tables: Array<{ table: string; rows: RawRow[] }> }>
    >(dir, "raw.json");
    if (!state) return;
    this.reset();
    for (const { db, tables } of state) {
      this.db(db, true);
      for (const { table, rows } of tables) {
        const t = this.table(db, table, true);
        for (const row of rows) t.upsert(row);
      }
    }
  }
}

function lowerBound(sorted: string[], key: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as string) < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function names(body: unknown, where: string, maxLength: number, kind: string): string[] {
  return itemsOf(body, where, { max: 1000 }).map((raw, i) => {
    const name = objectItem(raw, `items[${i}]`).name;
    if (typeof name !== "string" || name.length < 1 || name.length > maxLength) {
      throw new CdfError(
        400,
        `items[${i}].name: a ${kind} name must be a string of 1-${maxLength} characters.`,
      );
    }
    return name;
  });
}

/** One page of a name-sorted list; the cursor is the last name returned, so deletions never shift pages. */
function pageByName<T>(
  sorted: T[],
  keyOf: (t: T) => string,
  limit: number,
  cursor: string | null,
  where: string,
) {
  const after = decodeCursor(cursor ?? undefined, where);
  const start = after === undefined ? 0 : lowerBound(sorted.map(keyOf), String(after) + "\u0000");
  const items = sorted.slice(start, start + limit);
  const result: { items: T[]; nextCursor?: string } = { items };
  const last = items[items.length - 1];
  if (start + limit < sorted.length && last !== undefined) result.nextCursor = encodeCursor(keyOf(last));
  return result;
}

export function registerRawRoutes(registry: RouteRegistry, ctx: EmulatorContext): RawStore {
  const store = new RawStore();
  registry.addStore("raw", store);

  registry.add({
    method: "GET",
    pattern: "/raw/dbs",
    acl: [...LIST],
    handler: (req) => {
      const limit = limitOf(req.query.get("limit") ?? undefined, "limit", { default: 25, max: 1000 });
      const sorted = [...store.dbs.keys()].sort().map((name) => ({ name }));
      return { body: pageByName(sorted, (d) => d.name, limit, req.query.get("cursor"), "GET /raw/dbs") };
    },
  });

  registry.add({
    method: "POST",
    pattern: "/raw/dbs",
    acl: [...WRITE],
    handler: (req) => {
      const requested = names(req.body, "POST /raw/dbs", 32, "database");
      const existing = requested.filter((n) => store.dbs.has(n));
      if (existing.length > 0) {
        throw new CdfError(400, `Databases already exist: ${existing.join(", ")}.`, {
          duplicated: existing.map((name) => ({ name })),
        });
      }
      for (const name of requested) store.db(name, true);
      return { status: 201, body: { items: requested.map((name) => ({ name })) } };
    },
  });

  registry.add({
    method: "POST",
    pattern: "/raw/dbs/delete",
    acl: [...WRITE],
    handler: (req) => {
      const body = objectBody(req.body, "POST /raw/dbs/delete");
      const requested = names(body, "POST /raw/dbs/delete", 32, "database");
      const recursive = optionalBoolean(body.recursive, "recursive") ?? false;
      const missing = requested.filter((n) => !store.dbs.has(n));
      if (missing.length > 0) {
        throw new CdfError(404, `Databases not found: ${missing.join(", ")}.`, {
          missing: missing.map((name) => ({ name })),
        });
      }
      const nonEmpty = requested.filter((n) => (store.dbs.get(n)?.size ?? 0) > 0);
      if (!recursive && nonEmpty.length > 0) {
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
      const sorted = [...db.keys()].sort().map((name) => ({ name }));
      return { body: pageByName(sorted, (t) => t.name, limit, req.query.get("cursor"), "GET tables") };
    },
  });

  registry.add({
    method: "POST",
    pattern: "/raw/dbs/:db/tables",
    acl: [...WRITE],
    handler: (req) => {
      const dbName = req.params.db as string;
      const requested = names(req.body, `POST /raw/dbs/${dbName}/tables`, 64, "table");
      const ensureParent = queryBoolean(req.query.get("ensureParent"), "ensureParent") ?? false;
      const db = store.db(dbName, ensureParent);
      const existing = requested.filter((n) => db.has(n));
      if (existing.length > 0) {
        throw new CdfError(400, `Tables already exist in database '${dbName}': ${existing.join(", ")}.`, {
          duplicated: existing.map((name) => ({ name })),
        });
      }
      for (const name of requested) store.table(dbName, name, true);
      return { status: 201, body: { items: requested.map((name) => ({ name })) } };
    },
  });

  registry.add({
    method: "POST",
    pattern: "/raw/dbs/:db/tables/delete",
    acl: [...WRITE],
    handler: (req) => {
      const dbName = req.params.db as string;
      const requested = names(req.body, `POST /raw/dbs/${dbName}/tables/delete`, 64, "table");
      const db = store.db(dbName, false);
      const missing = requested.filter((n) => !db.has(n));
      if (missing.length > 0) {
        throw new CdfError(404, `Tables not found in database '${dbName}': ${missing.join(", ")}.`, {
          missing: missing.map((name) => ({ name })),
        });
      }
      for (const name of requested) db.delete(name);
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
      const rows = itemsOf(req.body, where, { max: 10_000 }).map((raw, i) => {
        const item = objectItem(raw, `items[${i}]`);
        if (typeof item.key !== "string" || item.key.length === 0 || item.key.length > 1024) {
          throw new CdfError(400, `items[${i}].key must be a string of 1-1024 characters.`);
        }
        const columns = item.columns;
        if (columns === null || typeof columns !== "object" || Array.isArray(columns)) {
          throw new CdfError(400, `items[${i}].columns must be an object.`);
        }
        return { key: item.key, columns: columns as Record<string, unknown> };
      });
      const ensureParent = queryBoolean(req.query.get("ensureParent"), "ensureParent") ?? false;
      const t = store.table(db, table, ensureParent);
      const now = ctx.clock.now();
      for (const row of rows) t.upsert({ ...row, lastUpdatedTime: now });
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
      const after = decodeCursor(q.get("cursor") ?? undefined, "GET rows");
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
      const keys = itemsOf(req.body, `POST /raw/dbs/${db}/tables/${table}/rows/delete`, { max: 10_000 }).map(
        (raw, i) => {
          const key = objectItem(raw, `items[${i}]`).key;
          if (typeof key !== "string") throw new CdfError(400, `items[${i}].key must be a string.`);
          return key;
        },
      );
      const t = store.table(db, table, false);
      for (const key of keys) t.delete(key);
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
