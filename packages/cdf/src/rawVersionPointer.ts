import type { PointerReading, VersionPointer } from "@kpi-pipeline/kpi-core";
import { z } from "zod";
import { type RawDocumentStore, StoredRowError } from "./rawDocumentStore.js";

// kpi-core's VersionPointer in Raw: the row the deployer writes when it makes a version live,
// `{ functionExternalId, epoch, previous }` (design.md, "State, fencing"). A run writes only while
// the pointer names it; the epoch grows with every flip, so a function redeployed under the same
// externalId is still a different version. With no pointer row nobody is active: a run then
// writes nothing, rather than guess (the deployer writes the row before the first schedule).

export const activeVersionSchema = z.object({
  functionExternalId: z.string().min(1),
  epoch: z.number().int().min(0),
  previous: z
    .object({ functionExternalId: z.string().min(1), epoch: z.number().int().min(0) })
    .nullable()
    .optional(),
});

export type ActiveVersion = z.infer<typeof activeVersionSchema>;

/** Deleting the pointer row would fence every call: what to do about one that does not parse. */
const POINTER_ADVICE =
  "It is the active-version pointer, which the deployer writes: restore it, or flip to a version again; until then no version writes.";

/** The Raw row key of the active-version pointer. */
export const ACTIVE_VERSION_KEY = "active-version";

/** The identity runKpis compares with its own (`self`): `<function externalId>@<epoch>`. */
export function versionIdentity(version: { functionExternalId: string; epoch: number }): string {
  return `${version.functionExternalId}@${version.epoch}`;
}

export class RawVersionPointer implements VersionPointer {
  readonly #store: RawDocumentStore;
  readonly #key: string;

  constructor(store: RawDocumentStore, key: string = ACTIVE_VERSION_KEY) {
    this.#store = store;
    this.#key = key;
  }

  /**
   * The active version, and as the pointer's generation the time Raw last changed the row: every
   * flip or rollback changes its contents (a rollback to `previous` names an identity seen before,
   * but the row before it named another), so each gives a new one, whoever writes it (kpi-deploy,
   * a script, the Raw explorer); a write of the same contents changes nothing, and keeps it. Two
   * changes of the row in one millisecond would share it; flips are minutes apart.
   */
  async active(): Promise<PointerReading> {
    const row = await this.#store.getRow(this.#key, activeVersionSchema, POINTER_ADVICE);
    // Ends in ")", so it never equals a versionIdentity (which ends in its epoch): every run is fenced.
    if (row === undefined) {
      return {
        version: `no active version (Raw row ${this.#store.db}/${this.#store.table}/${this.#key} is missing)`,
        generation: "",
      };
    }
    if (row.lastUpdatedTime === undefined) {
      throw new StoredRowError(
        `Raw row ${this.#store.db}/${this.#store.table}/${this.#key} came without a valid lastUpdatedTime, which CDF always sends: is CDF_BASE_URL a CDF API?`,
      );
    }
    return { version: versionIdentity(row.document), generation: String(row.lastUpdatedTime) };
  }

  /** The pointer as stored, for status displays and the deployer. */
  async read(): Promise<ActiveVersion | undefined> {
    return (await this.#store.getRow(this.#key, activeVersionSchema, POINTER_ADVICE))?.document;
  }
}
