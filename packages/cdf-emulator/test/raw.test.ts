import type { CogniteClient } from "@cognite/sdk";
import { describe, expect, it } from "vitest";
import type { Emulator } from "../src/index.js";
import { emulatorSuite } from "./fixtures/emulatorSuite.js";
import { failure } from "./fixtures/failure.js";
import { unwrappedMissingField } from "./fixtures/knownDeviations.js";

let emulator: Emulator;
let client: CogniteClient;
let base: string;

emulatorSuite(
  {
    project: "raw-test",
    contract: { knownDeviations: [unwrappedMissingField("POST /raw/dbs/{dbName}/tables/{tableName}/rows")] },
  },
  (started) => {
    ({ emulator, client } = started);
    base = `/api/v1/projects/${emulator.project}/raw/dbs`;
  },
);

describe("databases", () => {
  it("creates, lists and deletes databases", async () => {
    await client.raw.createDatabases([{ name: "kpi_state" }, { name: "other" }]);
    expect((await client.raw.listDatabases().autoPagingToArray()).map((d) => d.name)).toEqual([
      "kpi_state",
      "other",
    ]);
    await client.raw.deleteDatabases([{ name: "other" }]);
    expect((await client.raw.listDatabases().autoPagingToArray()).map((d) => d.name)).toEqual(["kpi_state"]);
  });

  it("pages databases with cursors", async () => {
    await client.raw.createDatabases(Array.from({ length: 7 }, (_, i) => ({ name: `db${i}` })));
    const first = await client.raw.listDatabases({ limit: 3 });
    expect(first.items).toHaveLength(3);
    expect(first.nextCursor).toEqual(expect.any(String));
    expect(await client.raw.listDatabases({ limit: 3 }).autoPagingToArray()).toHaveLength(7);
  });

  it("refuses to delete a database with tables unless recursive", async () => {
    await client.raw.createTables("db", [{ name: "t" }], true);
    const error = await failure(client.raw.deleteDatabases([{ name: "db" }]));
    expect(error.status).toBe(400);
    await client.raw.deleteDatabases([{ name: "db" }], { recursive: true });
    expect(await client.raw.listDatabases().autoPagingToArray()).toEqual([]);
  });

  it("deleting an unknown database answers 404 with missing", async () => {
    const error = await failure(client.raw.deleteDatabases([{ name: "ghost" }]));
    expect(error.status).toBe(404);
    expect(error.missing).toEqual([{ name: "ghost" }]);
  });

  it("rejects a database name longer than 32 characters", async () => {
    const error = await failure(client.raw.createDatabases([{ name: "x".repeat(33) }]));
    expect(error.status).toBe(400);
  });
});

// @cognite/sdk 10.5.0 types createdTime as a Date but passes the wire's ms through unconverted;
// Number() reads either.
const plain = (items: Array<{ name: string; createdTime?: unknown }>) =>
  items.map(({ name, createdTime }) => ({ name, createdTime: Number(createdTime) }));

describe("createdTime, as Cognite's SDKs read it", () => {
  it("databases carry the virtual createdTime in create and list responses", async () => {
    const created = emulator.control.now();
    expect(plain(await client.raw.createDatabases([{ name: "made" }]))).toEqual([
      { name: "made", createdTime: created },
    ]);
    await emulator.control.advanceClock("1h");
    expect(plain(await client.raw.listDatabases().autoPagingToArray())).toEqual([
      { name: "made", createdTime: created },
    ]);
  });

  it("tables carry it too, including those made by ensureParent", async () => {
    const created = emulator.control.now();
    expect(plain(await client.raw.createTables("db", [{ name: "t" }], true))).toEqual([
      { name: "t", createdTime: created },
    ]);
    await emulator.control.advanceClock("1h");
    await client.raw.insertRows("db", "u", [{ key: "k", columns: {} }], true);
    expect(plain(await client.raw.listTables("db").autoPagingToArray())).toEqual([
      { name: "t", createdTime: created },
      { name: "u", createdTime: created + 3_600_000 },
    ]);
  });
});

describe("tables", () => {
  it("creating a table in a missing database answers 404 without ensureParent", async () => {
    const error = await failure(client.raw.createTables("nodb", [{ name: "t" }]));
    expect(error.status).toBe(404);
  });

  it("ensureParent creates the missing database", async () => {
    await client.raw.createTables("newdb", [{ name: "t" }], true);
    expect((await client.raw.listTables("newdb").autoPagingToArray()).map((t) => t.name)).toEqual(["t"]);
  });

  it("deletes tables", async () => {
    await client.raw.createTables("db", [{ name: "a" }, { name: "b" }], true);
    await client.raw.deleteTables("db", [{ name: "a" }]);
    expect((await client.raw.listTables("db").autoPagingToArray()).map((t) => t.name)).toEqual(["b"]);
  });
});

describe("rows", () => {
  it("inserting into a missing table answers 404 without ensureParent", async () => {
    const error = await failure(client.raw.insertRows("db", "t", [{ key: "k", columns: {} }]));
    expect(error.status).toBe(404);
  });

  it("ensureParent creates database and table, and the row reads back with the virtual lastUpdatedTime", async () => {
    await client.raw.insertRows(
      "kpi_state",
      "cursors",
      [{ key: "sub:0", columns: { cursor: "abc", n: 3 } }],
      true,
    );
    const row = await client.raw.retrieveRow("kpi_state", "cursors", "sub:0");
    expect(row.columns).toEqual({ cursor: "abc", n: 3 });
    expect(row.lastUpdatedTime.getTime()).toBe(emulator.control.now());
  });

  it("a row's lastUpdatedTime moves only when its contents change, as CDF's insert says", async () => {
    const at = async () => (await client.raw.retrieveRow("db", "t2", "k")).lastUpdatedTime.getTime();
    await client.raw.insertRows("db", "t2", [{ key: "k", columns: { a: 1 } }], true);
    const first = await at();
    await emulator.control.advanceClock("1s");
    await client.raw.insertRows("db", "t2", [{ key: "k", columns: { a: 1 } }]);
    expect(await at()).toBe(first);
    await client.raw.insertRows("db", "t2", [{ key: "k", columns: { a: 2 } }]);
    expect(await at()).toBe(first + 1000);
    await emulator.control.advanceClock("1s");
    await client.raw.insertRows("db", "t2", [{ key: "k", columns: { a: 1 } }]);
    expect(await at()).toBe(first + 2000);
  });

  it("an insert replaces all columns of an existing row", async () => {
    await client.raw.insertRows("db", "t", [{ key: "k", columns: { a: 1, b: 2 } }], true);
    await client.raw.insertRows("db", "t", [{ key: "k", columns: { c: 3 } }]);
    expect((await client.raw.retrieveRow("db", "t", "k")).columns).toEqual({ c: 3 });
  });

  it("a missing row answers 404", async () => {
    await client.raw.createTables("db", [{ name: "t" }], true);
    const error = await failure(client.raw.retrieveRow("db", "t", "nope"));
    expect(error.status).toBe(404);
  });

  it("row keys with slashes and spaces round-trip", async () => {
    await client.raw.insertRows("db", "t", [{ key: "kpi:a/b c", columns: { v: 1 } }], true);
    expect((await client.raw.retrieveRow("db", "t", "kpi:a/b c")).key).toBe("kpi:a/b c");
  });

  it("accepts 10,000 rows in one request and rejects 10,001", async () => {
    const rows = (n: number) => Array.from({ length: n }, (_, i) => ({ key: `k${i}`, columns: { i } }));
    await client.post(`${base}/db/tables/t/rows`, {
      data: { items: rows(10_000) },
      params: { ensureParent: true },
    });
    const error = await failure(client.post(`${base}/db/tables/t/rows`, { data: { items: rows(10_001) } }));
    expect(error.status).toBe(400);
  });

  it("a row over CDF's 5 MiB answers 400 naming it, and nothing is written", async () => {
    const filler = (bytes: number) => ({ v: "x".repeat(bytes - '{"v":""}'.length) });
    const error = await failure(
      client.raw.insertRows(
        "db",
        "t",
        [
          { key: "fits", columns: filler(5 * 1024 * 1024) },
          { key: "big", columns: filler(5 * 1024 * 1024 + 1) },
        ],
        true,
      ),
    );
    expect(error.status).toBe(400);
    expect(error.message).toContain("items[1].columns is 5242881 bytes");
    await client.raw.insertRows("db", "t", [{ key: "fits", columns: filler(5 * 1024 * 1024) }], true);
    expect((await client.raw.listRows("db", "t").autoPagingToArray()).map((r) => r.key)).toEqual(["fits"]);
  }, 30_000);

  it("a row with a field besides key and columns answers 400 naming it", async () => {
    const error = await failure(
      client.post(`${base}/db/tables/t/rows`, {
        data: { items: [{ key: "k", columns: {}, lastUpdatedTime: 1 }] },
        params: { ensureParent: true },
      }),
    );
    expect(error.status).toBe(400);
    expect(error.message).toContain("items[0]");
    expect(error.message).toContain("lastUpdatedTime");
  });

  it("lists every row exactly once across cursor pages", async () => {
    await client.raw.insertRows(
      "db",
      "t",
      Array.from({ length: 55 }, (_, i) => ({ key: `r${i}`, columns: { i } })),
      true,
    );
    const rows = await client.raw
      .listRows("db", "t", { limit: 10 })
      .autoPagingToArray({ limit: Number.POSITIVE_INFINITY });
    expect(rows).toHaveLength(55);
    expect(new Set(rows.map((r) => r.key)).size).toBe(55);
  });

  it("returns only the requested columns", async () => {
    await client.raw.insertRows("db", "t", [{ key: "k", columns: { a: 1, b: 2, c: 3 } }], true);
    const [row] = await client.raw.listRows("db", "t", { columns: ["a", "c"] }).autoPagingToArray();
    expect(row?.columns).toEqual({ a: 1, c: 3 });
  });

  it("onlyRowKeys returns rows with no columns", async () => {
    await client.raw.insertRows("db", "t", [{ key: "k", columns: { a: 1 } }], true);
    const [row] = await client.raw.listRows("db", "t", { onlyRowKeys: true }).autoPagingToArray();
    expect(row).toMatchObject({ key: "k", columns: {} });
  });

  it("minLastUpdatedTime is exclusive: rows written at that time are left out", async () => {
    await client.raw.insertRows("db", "t", [{ key: "old", columns: {} }], true);
    const written = emulator.control.now();
    await emulator.control.advanceClock(1000);
    await client.raw.insertRows("db", "t", [{ key: "new", columns: {} }]);
    const rows = await client.raw
      .listRows("db", "t", { minLastUpdatedTime: new Date(written) })
      .autoPagingToArray();
    expect(rows.map((r) => r.key)).toEqual(["new"]);
  });

  it("deletes rows by key", async () => {
    await client.raw.insertRows(
      "db",
      "t",
      [
        { key: "a", columns: {} },
        { key: "b", columns: {} },
      ],
      true,
    );
    await client.raw.deleteRows("db", "t", [{ key: "a" }]);
    expect((await client.raw.listRows("db", "t").autoPagingToArray()).map((r) => r.key)).toEqual(["b"]);
  });
});
