import { randomUUID } from "node:crypto";
import { z } from "zod";
import type { RawDocumentStore } from "./rawDocumentStore.js";

// A lease in a Raw row (the deploy lock): who holds it and until when, on the caller's clock
// (a Cognite Function's virtual or real now, passed in, so the lease agrees with the schedule's
// idea of time). Raw has no compare-and-set: two callers can both read "free", both write, and
// both read back their own write if their writes and read-backs interleave. Reading back after
// writing narrows that window to milliseconds but cannot close it, so the lease is ADVISORY:
// it keeps well-behaved deployers apart, and anything that must never happen twice needs a
// fence as well (e.g. the version pointer's epoch checked before writing).

export const leaseSchema = z.object({
  holder: z.string(),
  token: z.string(),
  acquiredAt: z.number(),
  expiresAt: z.number(),
});

export type Lease = z.infer<typeof leaseSchema>;

export type LeaseAttempt = { acquired: true; lease: Lease } | { acquired: false; heldBy: Lease };

export class RawLease {
  readonly #store: RawDocumentStore;
  readonly #key: string;
  readonly #holder: string;
  #token: string | undefined;

  /** `holder` names the caller in the lease (shown to whoever finds it taken). */
  constructor(store: RawDocumentStore, key: string, holder: string) {
    this.#store = store;
    this.#key = key;
    this.#holder = holder;
  }

  /** The lease as stored, if any (expired or not). */
  current(): Promise<Lease | undefined> {
    return this.#store.get(this.#key, leaseSchema);
  }

  /** Takes the lease for `ttlMs` from `now` unless someone else holds an unexpired one. */
  acquire(now: number, ttlMs: number): Promise<LeaseAttempt> {
    return this.#acquire(now, ttlMs, 3);
  }

  async #acquire(now: number, ttlMs: number, tries: number): Promise<LeaseAttempt> {
    const held = await this.current();
    if (held !== undefined && now < held.expiresAt && held.token !== this.#token)
      return { acquired: false, heldBy: held };
    const lease: Lease = {
      holder: this.#holder,
      token: randomUUID(),
      acquiredAt: now,
      expiresAt: now + ttlMs,
    };
    await this.#store.put(this.#key, lease);
    const after = await this.current();
    if (after === undefined || after.token !== lease.token) {
      // Someone wrote after us (theirs stands), or released it meanwhile (try again, a few times).
      if (after !== undefined) return { acquired: false, heldBy: after };
      if (tries > 1) return this.#acquire(now, ttlMs, tries - 1);
      throw new Error(
        `The lease row ${this.#store.db}/${this.#store.table}/${this.#key} vanished after each write; something keeps deleting it.`,
      );
    }
    this.#token = lease.token;
    return { acquired: true, lease };
  }

  /** Extends our lease to `now + ttlMs`; false if it is no longer ours (taken over after expiry). */
  async renew(now: number, ttlMs: number): Promise<boolean> {
    const held = await this.current();
    if (held === undefined || held.token !== this.#token) return false;
    await this.#store.put(this.#key, { ...held, expiresAt: now + ttlMs });
    return true;
  }

  /** Gives the lease up if it is still ours. */
  async release(): Promise<void> {
    const held = await this.current();
    if (held !== undefined && held.token === this.#token) await this.#store.delete(this.#key);
    this.#token = undefined;
  }
}
