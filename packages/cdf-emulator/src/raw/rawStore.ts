// Raw's state: databases of tables of rows, each row replaced whole on insert. Keys are kept
// sorted on insert, so a list page needs no sort and a cursor (the last key) stays valid while
// rows are written.

import { CdfError, type EmulatorStore } from "../context.js";
import { readStateFile, writeStateFile } from "../stateFile.js";

export interface RawRow {
  key: string;
  columns: Record<string, unknown>;
  lastUpdatedTime: number;
}

export class RawTable {
  readonly rows = new Map<string, RawRow>();
  /** Keys in sorted order. */
  readonly keys: string[] = [];

  constructor(readonly createdTime: number) {}

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

export class RawDb {
  readonly tables = new Map<string, RawTable>();

  constructor(readonly createdTime: number) {}
}

/** What `save` writes to raw.json; `createdTime` is absent in files saved before it existed. */
type SavedRaw = Array<{
  db: string;
  createdTime?: number;
  tables: Array<{ table: string; createdTime?: number; rows: RawRow[] }>;
}>;

export class RawStore implements EmulatorStore {
  readonly dbs = new Map<string, RawDb>();

  constructor(readonly clock: { now(): number }) {}

  reset(): void {
    this.dbs.clear();
  }

  /** The db, created when `ensure` (CDF's `ensureParent`), else CDF's 404 naming it. */
  db(name: string, ensure: boolean): RawDb {
    let db = this.dbs.get(name);
    if (!db) {
      if (!ensure) {
        throw new CdfError(
          404,
          `Database '${name}' not found. Create it first (POST /raw/dbs) or pass ensureParent=true.`,
          { missing: [{ name }] },
        );
      }
      db = new RawDb(this.clock.now());
      this.dbs.set(name, db);
    }
    return db;
  }

  table(dbName: string, tableName: string, ensure: boolean): RawTable {
    const db = this.db(dbName, ensure);
    let table = db.tables.get(tableName);
    if (!table) {
      if (!ensure) {
        throw new CdfError(
          404,
          `Table '${tableName}' not found in database '${dbName}'. Create it first (POST /raw/dbs/${dbName}/tables) or pass ensureParent=true.`,
          { missing: [{ name: tableName }] },
        );
      }
      table = new RawTable(this.clock.now());
      db.tables.set(tableName, table);
    }
    return table;
  }

  async save(dir: string): Promise<void> {
    const state: SavedRaw = [...this.dbs].map(([db, { createdTime, tables }]) => ({
      db,
      createdTime,
      tables: [...tables].map(([table, t]) => ({
        table,
        createdTime: t.createdTime,
        rows: [...t.rows.values()],
      })),
    }));
    await writeStateFile(dir, "raw.json", state);
  }

  async load(dir: string): Promise<void> {
    const state = await readStateFile<SavedRaw>(dir, "raw.json");
    if (!state) return;
    this.reset();
    const now = this.clock.now();
    for (const { db: name, createdTime, tables } of state) {
      const db = new RawDb(createdTime ?? now);
      this.dbs.set(name, db);
      for (const { table: tableName, createdTime: tableCreated, rows } of tables) {
        const table = new RawTable(tableCreated ?? now);
        db.tables.set(tableName, table);
        for (const row of rows) table.upsert(row);
      }
    }
  }
}

/** The first index whose key is >= `key` in a sorted array. */
export function lowerBound(sorted: readonly string[], key: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as string) < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
