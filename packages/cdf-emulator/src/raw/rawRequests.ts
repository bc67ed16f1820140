// Request bodies of `/raw/dbs*`, as openapi.json gives them (DataRawDB, DataRawDBTable,
// DataRawDBRowInsert, DataRawDBRowKey), with CDF's limits (README.md, section "CDF facts").

import { z } from "zod";

export const RAW_LIMITS = {
  dbName: 32,
  tableName: 64,
  rowKey: 1024,
  namesPerRequest: 1000,
  rowsPerRequest: 10_000,
  /** A row's columns as JSON, in UTF-8 bytes: CDF's 5 MiB. */
  rowBytes: 5 * 1024 * 1024,
};

const names = (max: number) =>
  z
    .array(z.strictObject({ name: z.string().min(1).max(max) }))
    .min(1)
    .max(RAW_LIMITS.namesPerRequest);

export const createDbsBody = z.object({ items: names(RAW_LIMITS.dbName) });
export const deleteDbsBody = z.object({ items: names(RAW_LIMITS.dbName), recursive: z.boolean().optional() });
export const createTablesBody = z.object({ items: names(RAW_LIMITS.tableName) });
export const deleteTablesBody = z.object({ items: names(RAW_LIMITS.tableName) });

export const insertRowsBody = z.object({
  items: z
    .array(
      z.strictObject({
        key: z.string().min(1).max(RAW_LIMITS.rowKey),
        columns: z.record(z.string(), z.unknown()),
      }),
    )
    .min(1)
    .max(RAW_LIMITS.rowsPerRequest),
});

export const deleteRowsBody = z.object({
  items: z
    .array(z.strictObject({ key: z.string() }))
    .min(1)
    .max(RAW_LIMITS.rowsPerRequest),
});
