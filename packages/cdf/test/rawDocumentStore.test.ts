import { createTestEmulator, type TestEmulator } from "@kpi-pipeline/cdf-emulator/testing";
import fc from "fast-check";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import type { CdfConnection } from "../src/cdfConnection.js";
import { cdfSettingsFromEnvironment } from "../src/cdfSettings.js";
import { connectCdf } from "../src/connectCdf.js";
import { RawDocumentStore, StoredRowError } from "../src/rawDocumentStore.js";
import { RawLease } from "../src/rawLease.js";
import type { RetryPolicy } from "../src/withRetries.js";
import { environmentOf } from "./environmentOf.js";

const FAST_RETRY: RetryPolicy = { maxAttempts: 4, baseDelayMs: 5, maxDelayMs: 20 };
let t: TestEmulator;
let cdf: CdfConnection;

beforeAll(async () => {
  t = await createTestEmulator({ project: "raw-test" });
  cdf = await connectCdf(cdfSettingsFromEnvironment(environmentOf(t.emulator)));
});
afterEach(() => {
  t.emulator.control.clearFaults();
  t.assertContract();
});
afterAll(() => t.close());

/** Any key the store accepts: 1-40 characters, not a "." or ".." path segment. */
const readableKey = fc.string({ minLength: 1, maxLength: 40 }).filter((k) => k !== "." && k !== "..");

describe("RawDocumentStore", () => {
  it("gives back any JSON document it stored, creating db and table on the first write", async () => {
    await t.emulator.control.reset();
    const store = new RawDocumentStore(cdf, { db: "kpi-state", table: "docs" }, { retry: FAST_RETRY });
    expect(await store.get("nothing", z.unknown())).toBeUndefined();
    await fc.assert(
      fc.asyncProperty(readableKey, fc.jsonValue(), async (key, document) => {
        await store.put(key, document);
        // JSON has no -0; a stored -0 reads back as 0.
        expect(await store.get(key, z.unknown())).toEqual(JSON.parse(JSON.stringify(document)));
      }),
      { numRuns: 40 },
    );
  });

  it("refuses the keys '.' and '..', which a URL path cannot carry, before sending anything", async () => {
    const store = new RawDocumentStore(cdf, { db: "kpi-state", table: "docs" });
    for (const key of [".", ".."]) {
      await expect(store.put(key, { a: 1 })).rejects.toThrow(
        /cannot be read back by key.*choose another key/,
      );
      await expect(store.get(key, z.unknown())).rejects.toThrow(/cannot be read back by key/);
      await expect(store.delete(key)).rejects.toThrow(/cannot be read back by key/);
    }
  });

  it("deletes a document, and deleting a missing one (or from a missing table) is fine", async () => {
    await t.emulator.control.reset();
    const store = new RawDocumentStore(cdf, { db: "kpi-state", table: "docs" });
    await store.delete("k");
    await store.put("k", { a: 1 });
    await store.delete("k");
    await store.delete("k");
    expect(await store.get("k", z.unknown())).toBeUndefined();
  });

  it("names db, table, key and the field when a stored document is not what the reader expects", async () => {
    await t.emulator.control.reset();
    const store = new RawDocumentStore(cdf, { db: "kpi-state", table: "docs" });
    await store.put("cursor", { cursor: 42 });
    await expect(store.get("cursor", z.object({ cursor: z.string() }))).rejects.toThrow(
      new StoredRowError(
        "Raw row kpi-state/docs/cursor does not hold the expected document at cursor: Invalid input: expected string, received number. " +
          "Restore it (from a backup, or as the reader expects it).",
      ),
    );
  });

  it("retries a Raw write on 5xx (which the SDK does not for Raw POSTs) and on dropped connections", async () => {
    await t.emulator.control.reset();
    const store = new RawDocumentStore(cdf, { db: "kpi-state", table: "docs" }, { retry: FAST_RETRY });
    for (const fault of [{ status: 503 as const }, { drop: true }]) {
      t.emulator.control.addFault({ path: "*/tables/docs/rows*", method: "POST", count: 1, ...fault });
      const before = cdf.requestCount;
      await store.put("k", "v");
      expect(cdf.requestCount - before).toBe(2);
    }
    expect(await store.get("k", z.string())).toBe("v");
  });

  it("refuses a document over Raw's row limit without writing", async () => {
    const store = new RawDocumentStore(cdf, { db: "kpi-state", table: "docs" });
    const before = cdf.requestCount;
    await expect(store.put("big", "x".repeat(6 * 1024 * 1024))).rejects.toThrow(
      /^Raw row kpi-state\/docs\/big: the document has 6291458 bytes, over Raw's 5 MiB row limit; nothing was written\.$/,
    );
    expect(cdf.requestCount).toBe(before);
  });
});

describe("RawLease", () => {
  it("is held by one caller until it expires on the caller's clock, renewed only by its holder, released by it", async () => {
    await t.emulator.control.reset();
    const store = new RawDocumentStore(cdf, { db: "kpi-state", table: "locks" });
    const a = new RawLease(store, "deploy", "deploy-a");
    const b = new RawLease(store, "deploy", "deploy-b");
    const first = await a.acquire(1000, 500);
    expect(first).toMatchObject({
      acquired: true,
      lease: { holder: "deploy-a", acquiredAt: 1000, expiresAt: 1500 },
    });
    expect(await b.acquire(1499, 500)).toMatchObject({
      acquired: false,
      heldBy: { holder: "deploy-a", expiresAt: 1500 },
    });
    expect(await a.renew(1400, 500)).toBe(true);
    expect(await b.acquire(1600, 500)).toMatchObject({ acquired: false, heldBy: { expiresAt: 1900 } });
    // Expired: b takes it over, and a can no longer renew or release it.
    expect(await b.acquire(1900, 500)).toMatchObject({ acquired: true, lease: { holder: "deploy-b" } });
    expect(await a.renew(1950, 500)).toBe(false);
    await a.release();
    expect(await a.current()).toMatchObject({ holder: "deploy-b" });
    await b.release();
    expect(await a.current()).toBeUndefined();
    expect(await a.acquire(2000, 500)).toMatchObject({ acquired: true });
  });

  it("lets its holder acquire again while it holds it (a re-entrant deploy step)", async () => {
    await t.emulator.control.reset();
    const lease = new RawLease(
      new RawDocumentStore(cdf, { db: "kpi-state", table: "locks" }),
      "deploy",
      "me",
    );
    expect((await lease.acquire(0, 100)).acquired).toBe(true);
    expect(await lease.acquire(50, 100)).toMatchObject({ acquired: true, lease: { expiresAt: 150 } });
  });
});
