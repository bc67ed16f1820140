// Data-modeling spaces: the minimal `/models/spaces` CDF has, because CDF writes instances only
// into spaces that exist (and refuses to delete from one that does not). Cognite's own spaces
// (`cdf_cdm`, `cdf_cdm_units`) are global: always there, read-only, listed with includeGlobal.

import { CdfError, type EmulatorStore } from "../context.js";
import { readStateFile, writeStateFile } from "../stateFile.js";

export interface Space {
  space: string;
  name?: string;
  description?: string;
  createdTime: number;
  lastUpdatedTime: number;
  isGlobal: boolean;
}

export const GLOBAL_SPACES = ["cdf_cdm", "cdf_cdm_units"] as const;

/** Space ids CDF reserves (openapi.json SpaceCreateDefinition). */
const RESERVED = new Set(["space", "cdf", "dms", "pg3", "shared", "system", "node", "edge"]);

export class SpaceStore implements EmulatorStore {
  readonly #spaces = new Map<string, Space>();

  constructor(readonly clock: { now(): number }) {}

  get(space: string): Space | undefined {
    if ((GLOBAL_SPACES as readonly string[]).includes(space)) {
      return { space, createdTime: 0, lastUpdatedTime: 0, isGlobal: true };
    }
    return this.#spaces.get(space);
  }

  /** Create or update spaces (name and description); returns them in request order. */
  upsert(
    items: Array<{ space: string; name?: string | undefined; description?: string | undefined }>,
  ): Space[] {
    for (const [i, item] of items.entries()) {
      if (RESERVED.has(item.space) || this.get(item.space)?.isGlobal) {
        throw new CdfError(
          400,
          `items[${i}].space: '${item.space}' is reserved by CDF; choose another space id`,
        );
      }
    }
    const now = this.clock.now();
    return items.map((item) => {
      const existing = this.#spaces.get(item.space);
      const space: Space = {
        space: item.space,
        createdTime: existing?.createdTime ?? now,
        lastUpdatedTime: now,
        isGlobal: false,
      };
      if (item.name !== undefined) space.name = item.name;
      if (item.description !== undefined) space.description = item.description;
      this.#spaces.set(item.space, space);
      return space;
    });
  }

  /** Project spaces in creation order, then (with includeGlobal) the global ones. */
  list(includeGlobal: boolean): Space[] {
    const own = [...this.#spaces.values()];
    return includeGlobal ? [...own, ...GLOBAL_SPACES.map((s) => this.get(s) as Space)] : own;
  }

  delete(space: string): boolean {
    return this.#spaces.delete(space);
  }

  reset(): void {
    this.#spaces.clear();
  }

  async save(dir: string): Promise<void> {
    await writeStateFile(dir, "spaces.json", { items: [...this.#spaces.values()] });
  }

  async load(dir: string): Promise<void> {
    const state = await readStateFile<{ items: Space[] }>(dir, "spaces.json");
    if (!state) return;
    this.reset();
    for (const s of state.items) this.#spaces.set(s.space, s);
  }
}
