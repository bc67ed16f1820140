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
const MAX_DOCUMENT_BYTES = 5 * 1024 * 1024 - 1024;
const COLUMN = "document";

/** A stored document is not what the reader expects, or cannot be stored; the message names db, table and key. */
export class RawDocumentError extends Error {
  override readonly name = "RawDocumentError";
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
    this.#checkKey(key);
    let row: { columns?: Record<string, unknown> };
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
    const parsed = schema.safeParse(row.columns?.[COLUMN]);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const at = issue === undefined || issue.path.length === 0 ? "" : ` at ${issue.path.join(".")}`;
      throw new RawDocumentError(
        `Raw row ${this.#where(key)} does not hold the expected document${at}: ${issue?.message ?? "invalid"}. ` +
          "Delete the row to start that state afresh, or restore it.",
      );
    }
    return parsed.data;
  }

  /** Stores `document` at `key` (replacing what was there). */
  async put(key: string, document: unknown): Promise<void> {
    this.#checkKey(key);
    const size = Buffer.byteLength(JSON.stringify(document) ?? "", "utf8");
    if (document === undefined || size > MAX_DOCUMENT_BYTES) {
      throw new RawDocumentError(
        `Raw row ${this.#where(key)}: ${document === undefined ? "no document given" : `the document has ${size} bytes, over Raw's 5 MiB row limit`}; nothing was written.`,
      );
    }
    // The SDK types Raw columns as strings; Raw itself stores any JSON value.
    const rows = [{ key, columns: { [COLUMN]: document } as unknown as Record<string, string> }];
    await withRetries(
      () =>
        this.#cdf.call(`POST Raw row ${this.#where(key)}`, (c) =>
          c.raw.insertRows(this.db, this.table, rows, true),
        ),
      this.#retry,
    );
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
