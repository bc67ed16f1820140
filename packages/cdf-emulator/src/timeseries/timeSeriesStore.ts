// Time series metadata: the store behind `/timeseries*`, with CDF's rules: no partial creates,
// 409 + `duplicated` for an existing externalId (or instanceId), 422 + `duplicated` for one
// repeated in a request, 400 + `missing` for unknown references (resolveByIds).

import { CdfError, type EmulatorStore, type TimeSeriesInfo } from "../context.js";
import type { IdentifierRef } from "../requestBody.js";
import { resolveByIds } from "../resolveByIds.js";
import { readStateFile, writeStateFile } from "../stateFile.js";
import type { TimeSeriesChange } from "./timeSeriesChange.js";

export interface TimeSeries {
  id: number;
  externalId?: string;
  instanceId?: { space: string; externalId: string };
  name?: string;
  isString: boolean;
  isStep: boolean;
  metadata?: Record<string, string>;
  unit?: string;
  unitExternalId?: string;
  assetId?: number;
  description?: string;
  securityCategories?: number[];
  dataSetId?: number;
  createdTime: number;
  lastUpdatedTime: number;
}

export type TimeSeriesCreate = Omit<
  TimeSeries,
  "id" | "createdTime" | "lastUpdatedTime" | "isString" | "isStep"
> & {
  isString?: boolean;
  isStep?: boolean;
};

// CDF ids are opaque int64s; starting high keeps tests from confusing ids with counts.
const FIRST_ID = 1_000_000_000_001;

export class TimeSeriesStore implements EmulatorStore {
  readonly #byId = new Map<number, TimeSeries>();
  readonly #byExternalId = new Map<string, number>();
  readonly #byInstanceId = new Map<string, number>();
  readonly #deletedListeners: Array<(id: number) => void> = [];
  #nextId = FIRST_ID;

  constructor(readonly clock: { now(): number }) {}

  onDeleted(listener: (id: number) => void): void {
    this.#deletedListeners.push(listener);
  }

  /** Create series after validating them all: no partial creates, as in CDF. */
  create(items: TimeSeriesCreate[]): TimeSeries[] {
    const inRequest = new Set<string>();
    const repeated: Array<{ externalId: string }> = [];
    const existing: Array<{ externalId: string }> = [];
    for (const item of items) {
      if (item.externalId === undefined) continue;
      if (inRequest.has(item.externalId)) repeated.push({ externalId: item.externalId });
      inRequest.add(item.externalId);
      if (this.#byExternalId.has(item.externalId)) existing.push({ externalId: item.externalId });
    }
    if (repeated.length > 0) {
      throw new CdfError(422, "Duplicate externalIds in the request: send each externalId once.", {
        duplicated: repeated,
      });
    }
    if (existing.length > 0) {
      throw new CdfError(
        409,
        "Time series with these externalIds already exist: leave them out of the request or update them instead.",
        {
          duplicated: existing,
        },
      );
    }
    const existingInstances = items.filter(
      (i) => i.instanceId && this.#byInstanceId.has(instanceKey(i.instanceId)),
    );
    if (existingInstances.length > 0) {
      throw new CdfError(409, "Time series with these instanceIds already exist.", {
        duplicated: existingInstances.map((i) => ({ instanceId: i.instanceId })),
      });
    }
    const now = this.clock.now();
    return items.map((item) => {
      const ts: TimeSeries = {
        ...withoutUndefined(item),
        id: this.#nextId++,
        isString: item.isString ?? false,
        isStep: item.isStep ?? false,
        createdTime: now,
        lastUpdatedTime: now,
      };
      this.#index(ts);
      return ts;
    });
  }

  find(ref: {
    id?: number;
    externalId?: string;
    instanceId?: { space: string; externalId: string };
  }): TimeSeries | undefined {
    if (ref.id !== undefined) return this.#byId.get(ref.id);
    if (ref.externalId !== undefined) {
      const id = this.#byExternalId.get(ref.externalId);
      return id === undefined ? undefined : this.#byId.get(id);
    }
    if (ref.instanceId !== undefined) {
      const id = this.#byInstanceId.get(instanceKey(ref.instanceId));
      return id === undefined ? undefined : this.#byId.get(id);
    }
    return undefined;
  }

  /** The series for each reference, or 400 with every unknown one in `missing`. */
  resolve(refs: IdentifierRef[], ignoreUnknownIds: boolean): TimeSeries[] {
    return resolveByIds(refs, (ref) => this.find(ref as Parameters<TimeSeriesStore["find"]>[0]), {
      ignoreUnknownIds,
      notFound: "Time series not found (pass ignoreUnknownIds: true to skip unknown ones).",
    });
  }

  /** All series in id order (stable for cursors: new series get larger ids). */
  all(): IterableIterator<TimeSeries> {
    return this.#byId.values();
  }

  update(changes: TimeSeriesChange[]): TimeSeries[] {
    const targets = this.resolve(
      changes.map((c) => c.ref),
      false,
    );
    const conflicts: Array<{ externalId: string }> = [];
    for (const [i, change] of changes.entries()) {
      const newExternalId = change.externalId;
      if (typeof newExternalId !== "string") continue;
      const owner = this.#byExternalId.get(newExternalId);
      if (owner !== undefined && owner !== targets[i]?.id) conflicts.push({ externalId: newExternalId });
    }
    if (conflicts.length > 0) {
      throw new CdfError(409, "Cannot set externalId: another time series already has it.", {
        duplicated: conflicts,
      });
    }
    // A dry run on copies first: a change that throws (metadata over its limits after an add)
    // must fail the request before any series is touched, as CDF applies all or nothing.
    for (const [i, ts] of targets.entries()) changes[i]?.apply(structuredClone(ts));
    const now = this.clock.now();
    return targets.map((ts, i) => {
      this.#unindex(ts);
      changes[i]?.apply(ts);
      ts.lastUpdatedTime = now;
      this.#index(ts);
      return ts;
    });
  }

  /**
   * The series behind a data-model node (models/instanceStore.ts): created with the node, its
   * fields kept in step with the node's properties. It has an id and an instanceId, no externalId.
   */
  upsertForInstance(
    instanceId: { space: string; externalId: string },
    fields: { isString: boolean; isStep: boolean; name?: string; description?: string; unit?: string },
  ): TimeSeries {
    const existing = this.find({ instanceId });
    const now = this.clock.now();
    if (!existing) {
      const [created] = this.create([{ instanceId: { ...instanceId }, ...fields }]);
      return created as TimeSeries;
    }
    for (const field of ["name", "description", "unit"] as const) {
      const value = fields[field];
      if (value === undefined) delete existing[field];
      else existing[field] = value;
    }
    existing.isStep = fields.isStep;
    existing.lastUpdatedTime = now;
    return existing;
  }

  /** Drop the series behind a deleted node (its datapoints and subscription memberships go too). */
  deleteForInstance(instanceId: { space: string; externalId: string }): void {
    const ts = this.find({ instanceId });
    if (ts) this.#remove([ts]);
  }

  delete(refs: IdentifierRef[], ignoreUnknownIds: boolean): void {
    const targets = this.resolve(refs, ignoreUnknownIds);
    const owned = targets.filter((ts) => ts.instanceId !== undefined);
    if (owned.length > 0) {
      // CDF keeps a data-model series for as long as its node exists.
      throw new CdfError(
        400,
        `Time series ${owned.map((ts) => ts.id).join(", ")} belong to data-model nodes (CogniteTimeSeries); delete the nodes with POST /models/instances/delete instead`,
      );
    }
    this.#remove(targets);
  }

  #remove(targets: TimeSeries[]): void {
    for (const ts of targets) {
      this.#unindex(ts);
      this.#byId.delete(ts.id);
      for (const listener of this.#deletedListeners) listener(ts.id);
    }
  }

  reset(): void {
    this.#byId.clear();
    this.#byExternalId.clear();
    this.#byInstanceId.clear();
    this.#nextId = FIRST_ID;
  }

  async save(dir: string): Promise<void> {
    await writeStateFile(dir, "timeseries.json", { nextId: this.#nextId, items: [...this.#byId.values()] });
  }

  async load(dir: string): Promise<void> {
    const state = await readStateFile<{ nextId: number; items: TimeSeries[] }>(dir, "timeseries.json");
    if (!state) return;
    this.reset();
    for (const ts of state.items) this.#index(ts);
    this.#nextId = state.nextId;
  }

  #index(ts: TimeSeries): void {
    this.#byId.set(ts.id, ts);
    if (ts.externalId !== undefined) this.#byExternalId.set(ts.externalId, ts.id);
    if (ts.instanceId !== undefined) this.#byInstanceId.set(instanceKey(ts.instanceId), ts.id);
  }

  #unindex(ts: TimeSeries): void {
    if (ts.externalId !== undefined) this.#byExternalId.delete(ts.externalId);
    if (ts.instanceId !== undefined) this.#byInstanceId.delete(instanceKey(ts.instanceId));
  }
}

export function timeSeriesInfo(ts: TimeSeries): TimeSeriesInfo {
  const info: TimeSeriesInfo = { id: ts.id, isString: ts.isString, isStep: ts.isStep };
  if (ts.externalId !== undefined) info.externalId = ts.externalId;
  if (ts.instanceId !== undefined) info.instanceId = ts.instanceId;
  return info;
}

function instanceKey(instanceId: { space: string; externalId: string }): string {
  return `${instanceId.space}\u0000${instanceId.externalId}`;
}

export function withoutUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
