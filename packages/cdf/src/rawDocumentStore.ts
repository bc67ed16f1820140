import type { z } from "zod";
import type { CdfConnection } from "./cdfConnection.js";
import { CDF_LIMITS } from "./cdfLimits.js";
import { CdfRequestError } from "./cdfRequestError.js";
import { DEFAULT_RETRY_POLICY, type RetryPolicy, withRetries } from "./withRetries.js";

// JSON documents by key in one CDF Raw table: the pipeline's state (config hashes, run
// summaries, subscription cursors, the version pointer, the deploy lock). A document is one row
// whose single column `document` holds the value, so any JSON value round-trips. The db and table
// are created on the first write (ensureParent). Writes and deletes are idempotent and retried;
// Raw has no compare-and-set, so a read-then-write is never atomic (see RawLease).

/** Raw's row limit is 5 MiB; a document stays well under it so the row's JSON envelope fits too. */
export const MAX_DOCUMENT_BYTES = 5 * 1024 * 1024 - 1024;

/** The bytes a document takes in a row (its JSON, UTF-8). */
export function documentBytes(document: unknown): number {
  return Buffer.byteLength(JSON.stringify(document) ?? "", "utf8");
}
/**
 * Raw states no request size limit, only rows per request and bytes per row: one insert carries
 * rows up to about one row's limit, so no request is much larger than a single full row.
 */
const MAX_INSERT_BYTES = 5 * 1024 * 1024;
/** GET rows takes up to 10,000 rows per page (openapi.json, getRows `limit`). */
const LIST_PAGE_ROWS = 10_000;
const COLUMN = "document";

/** A stored document is not what the reader expects, or cannot be stored; the message names db, table and key. */
export class RawDocumentError extends Error {
  override readonly name: string = "RawDocumentError";
}

/**
 * A stored row is not what its reader expects (a hand edit, another tool's row): the message names
 * the row, the field and what to do, for the user who can fix it.
 */
export class StoredRowError extends RawDocumentError {
  override readonly name = "StoredRowError";
}

export class RawDocumentStore {
  readonly db: string;
  readonly table: string;
  readonly #cdf: CdfConnection;
  readonly #retry: RetryPolicy;

  constructor(
    cdf: CdfConnection,
    location: { db: string; table: string },
    options: { retry?: RetryPolicy } = {},
  ) {
    // CDF's limits on names: dbs 1-32 characters, tables 1-64.
    if (location.db.length < 1 || location.db.length > 32) {
      throw new RangeError(`Raw db name "${location.db}" must have 1 to 32 characters.`);
    }
    if (location.table.length < 1 || location.table.length > 64) {
      throw new RangeError(`Raw table name "${location.table}" must have 1 to 64 characters.`);
    }
    this.#cdf = cdf;
    this.db = location.db;
    this.table = location.table;
    this.#retry = options.retry ?? DEFAULT_RETRY_POLICY;
  }

  /** The document at `key`, checked against `schema`; undefined when there is none (or no table yet). */
  async get<T>(key: string, schema: z.ZodType<T>): Promise<T | undefined> {
    return (await this.getRow(key, schema))?.document;
  }

  /**
   * The document at `key` with the time Raw last changed its row (epoch ms; Raw moves it when an
   * insert changes the row's contents), undefined when the answer had no valid one; undefined when
   * there is no row (or no table yet).
   */
  async getRow<T>(
    key: string,
    schema: z.ZodType<T>,
    advice?: string,
  ): Promise<{ document: T; lastUpdatedTime: number | undefined } | undefined> {
    this.#checkKey(key);
    let row: { columns?: Record<string, unknown>; lastUpdatedTime?: Date | number };
    try {
      row = await withRetries(
        () =>
          this.#cdf.call(`GET Raw row ${this.#where(key)}`, (c) =>
            c.raw.retrieveRow(this.db, this.table, key),
          ),
        this.#retry,
      );
    } catch (error) {
      if (error instanceof CdfRequestError && error.status === 404) return undefined;
      throw error;
    }
    const document = this.check(key, row.columns?.[COLUMN], schema, advice);
    const updated = row.lastUpdatedTime;
    const lastUpdatedTime = updated instanceof Date ? updated.getTime() : updated;
    return {
      document,
      lastUpdatedTime:
        typeof lastUpdatedTime === "number" && Number.isFinite(lastUpdatedTime) ? lastUpdatedTime : undefined,
    };
  }

  /**
   * The documents of every row whose key `accept` takes, in one GET rows per 10,000 rows of the
   * table (not one request per key); empty when the table does not exist yet. Unchecked: pass
   * each through `check` with the schema its key calls for.
   */
  async getAll(accept: (key: string) => boolean): Promise<Map<string, unknown>> {
    const documents = new Map<string, unknown>();
    let cursor: string | undefined;
    do {
      let page: { items: Array<{ key: string; columns?: Record<string, unknown> }>; nextCursor?: string };
      try {
        const query = { limit: LIST_PAGE_ROWS, ...(cursor === undefined ? {} : { cursor }) };
        page = await withRetries(
          () =>
            this.#cdf.call(`GET Raw rows ${this.db}/${this.table}`, async (c) => {
              const { items, nextCursor } = await c.raw.listRows(this.db, this.table, query);
              return { items, ...(nextCursor === undefined ? {} : { nextCursor }) };
            }),
          this.#retry,
        );
      } catch (error) {
        if (error instanceof CdfRequestError && error.status === 404) return documents;
        throw error;
      }
      for (const row of page.items) if (accept(row.key)) documents.set(row.key, row.columns?.[COLUMN]);
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    return documents;
  }

  /** `document`, read from the row at `key`, checked against `schema`; a RawDocumentError naming the row and field if it fails. */
  check<T>(
    key: string,
    document: unknown,
    schema: z.ZodType<T>,
    advice = "Restore it (from a backup, or as the reader expects it).",
  ): T {
    const parsed = schema.safeParse(document);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const at = issue === undefined || issue.path.length === 0 ? "" : ` at ${issue.path.join(".")}`;
      throw new StoredRowError(
        `Raw row ${this.#where(key)} does not hold the expected document${at}: ${issue?.message ?? "invalid"}. ` +
          advice,
      );
    }
    return parsed.data;
  }

  /** Stores `document` at `key` (replacing what was there). */
  async put(key: string, document: unknown): Promise<void> {
    await this.putAll([[key, document]]);
  }

  /**
   * Stores every document at its key, in as few inserts as Raw allows (10,000 rows per request,
   * about 5 MiB per request here). Every key and size is checked before anything is sent. Each
   * insert is retried; when one fails for good, the earlier ones have landed and later ones not.
   */
  async putAll(entries: ReadonlyArray<readonly [string, unknown]>): Promise<void> {
    type Row = { key: string; columns: Record<string, unknown> };
    const chunks: Row[][] = [];
    let chunk: Row[] = [];
    let bytes = 0;
    for (const [key, document] of entries) {
      this.#checkKey(key);
      const size = documentBytes(document);
      if (document === undefined || size > MAX_DOCUMENT_BYTES) {
        throw new RawDocumentError(
          `Raw row ${this.#where(key)}: ${document === undefined ? "no document given" : `the document has ${size} bytes, over Raw's 5 MiB row limit`}; nothing was written.`,
        );
      }
      if (chunk.length > 0 && (chunk.length >= CDF_LIMITS.rawInsertRows || bytes + size > MAX_INSERT_BYTES)) {
        chunks.push(chunk);
        chunk = [];
        bytes = 0;
      }
      chunk.push({ key, columns: { [COLUMN]: document } });
      bytes += size;
    }
    if (chunk.length > 0) chunks.push(chunk);
    for (const rows of chunks) {
      const what =
        rows.length === 1
          ? `row ${this.#where(rows[0]!.key)}`
          : `${rows.length} rows in ${this.db}/${this.table}`;
      // Not the SDK's insertRows: it splits at 5,000 rows and sends the parts in parallel.
      const path = `/api/v1/projects/${encodeURIComponent(this.#cdf.project)}/raw/dbs/${encodeURIComponent(this.db)}/tables/${encodeURIComponent(this.table)}/rows`;
      const body = JSON.stringify({ items: rows });
      await withRetries(
        () =>
          this.#cdf.call(`POST Raw ${what}`, (c) =>
            c.post(path, {
              params: { ensureParent: true },
              data: body,
              headers: { "Content-Type": "application/json" },
            }),
          ),
        this.#retry,
      );
    }
  }

  /** Deletes the document at `key`; a missing one (or table) is not an error. */
  async delete(key: string): Promise<void> {
    this.#checkKey(key);
    try {
      await withRetries(
        () =>
          this.#cdf.call(`DELETE Raw row ${this.#where(key)}`, (c) =>
            c.raw.deleteRows(this.db, this.table, [{ key }]),
          ),
        this.#retry,
      );
    } catch (error) {
      if (error instanceof CdfRequestError && error.status === 404) return;
      throw error;
    }
  }

  /** Deletes the documents at `keys`, 10,000 rows per request; missing ones are not an error. */
  async deleteAll(keys: readonly string[]): Promise<void> {
    for (const key of keys) this.#checkKey(key);
    for (let i = 0; i < keys.length; i += CDF_LIMITS.rawInsertRows) {
      const rows = keys.slice(i, i + CDF_LIMITS.rawInsertRows).map((key) => ({ key }));
      try {
        await withRetries(
          () =>
            this.#cdf.call(`DELETE ${rows.length} Raw rows in ${this.db}/${this.table}`, (c) =>
              c.raw.deleteRows(this.db, this.table, rows),
            ),
          this.#retry,
        );
      } catch (error) {
        if (error instanceof CdfRequestError && error.status === 404) return;
        throw error;
      }
    }
  }

  #checkKey(key: string): void {
    if (key.length < 1 || key.length > CDF_LIMITS.rawKeyChars) {
      throw new RangeError(
        `Raw row key in ${this.db}/${this.table} must have 1 to ${CDF_LIMITS.rawKeyChars} characters.`,
      );
    }
    // The key is a URL path segment (GET .../rows/{key}); URL parsing removes "." and ".." segments
    // however they are escaped, so such a request would reach another route (list rows, or the table).
    if (key === "." || key === "..") {
      throw new RangeError(
        `Raw row key ${JSON.stringify(key)} in ${this.db}/${this.table} cannot be read back by key (URLs drop "." and ".." path segments); choose another key.`,
      );
    }
  }

  #where(key: string): string {
    return `${this.db}/${this.table}/${key}`;
  }
}
