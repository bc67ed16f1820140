// Data-model nodes of the view cdf_cdm:CogniteTimeSeries/v1, each backed by a time series as in
// CDF (its datapoints are addressed by the node's instanceId). Writes are all or nothing; an
// unchanged write leaves the node alone (wasModified false, same version), as CDF documents
// ("We only update the nodes if the input differs from the existing state").
//
// Every change (create, modify, delete) takes the next number of one project-wide sequence;
// /models/instances/sync reads nodes by it. A deleted node stays as a tombstone (deletedTime set)
// for 3 days, CDF's grace period for soft deletes (openapi.json SyncRequest,
// allowExpiredCursorsAndAcceptMissedDeletes), so sync can report deletions.

import { CdfError, type EmulatorStore } from "../context.js";
import { readStateFile, writeStateFile } from "../stateFile.js";
import {
  applyWrite,
  backingSeriesFields,
  type CogniteTimeSeriesProperties,
  type CogniteTimeSeriesWrite,
  sameProperties,
} from "./cogniteTimeSeriesView.js";
import type { SpaceStore } from "./spaceStore.js";

export const TOMBSTONE_RETENTION_MS = 3 * 24 * 3_600_000;

export interface InstanceRef {
  space: string;
  externalId: string;
}

export interface StoredNode extends InstanceRef {
  version: number;
  createdTime: number;
  lastUpdatedTime: number;
  /** Set on a tombstone: the node is deleted and only sync still shows it. */
  deletedTime?: number;
  /** A tombstone keeps its last properties, so sync filters still match it; answers leave them out. */
  properties: CogniteTimeSeriesProperties;
  /** Position of the node's last change in the project's change sequence. */
  seq: number;
}

export interface NodeUpsert extends InstanceRef {
  existingVersion?: number | undefined;
  /** The CogniteTimeSeries properties written (undefined: the node gets no data in the view). */
  write: CogniteTimeSeriesWrite | undefined;
}

/** What the store asks of the time series store: the series behind each node. */
export interface BackingSeries {
  upsert(instanceId: InstanceRef, fields: ReturnType<typeof backingSeriesFields>): void;
  delete(instanceId: InstanceRef): void;
}

export interface SlimNode extends InstanceRef {
  instanceType: "node";
  version: number;
  wasModified: boolean;
  createdTime: number;
  lastUpdatedTime: number;
}

const keyOf = (r: InstanceRef) => `${r.space}\u0000${r.externalId}`;

export class InstanceStore implements EmulatorStore {
  /** Live nodes and tombstones. */
  readonly #nodes = new Map<string, StoredNode>();
  #seq = 0;

  constructor(
    readonly clock: { now(): number },
    readonly spaces: SpaceStore,
    readonly series: BackingSeries,
  ) {}

  /** The last change's sequence number (0 before any). */
  get lastSeq(): number {
    return this.#seq;
  }

  /** A live node (not a tombstone). */
  get(ref: InstanceRef): StoredNode | undefined {
    const node = this.#nodes.get(keyOf(ref));
    return node && node.deletedTime === undefined ? node : undefined;
  }

  upsert(items: NodeUpsert[], options: { replace: boolean; skipOnVersionConflict: boolean }): SlimNode[] {
    this.#checkSpaces(items, "items");
    const seen = new Set<string>();
    const duplicated: InstanceRef[] = [];
    for (const item of items) {
      if (seen.has(keyOf(item))) duplicated.push({ space: item.space, externalId: item.externalId });
      seen.add(keyOf(item));
    }
    if (duplicated.length > 0) {
      throw new CdfError(400, "Duplicate nodes in the request: name each space/externalId once.", {
        duplicated: duplicated.map((d) => ({ instanceType: "node", ...d })),
      });
    }
    // Plan every item before touching anything: CDF applies a request as one transaction.
    const plans: Array<{ item: NodeUpsert; existing?: StoredNode; properties: CogniteTimeSeriesProperties }> =
      [];
    const conflicts: InstanceRef[] = [];
    for (const [i, item] of items.entries()) {
      const existing = this.get(item);
      if (item.existingVersion !== undefined && existing && existing.version > item.existingVersion) {
        conflicts.push(item);
        continue;
      }
      if (item.write === undefined) {
        throw new CdfError(
          400,
          `items[${i}]: a node needs data in the view cdf_cdm:CogniteTimeSeries/v1 (the one view the emulator serves); give sources: [{source: {type: "view", space: "cdf_cdm", externalId: "CogniteTimeSeries", version: "v1"}, properties: {type: "numeric", ...}}]`,
        );
      }
      const result = applyWrite(existing?.properties, item.write, options.replace);
      if ("problem" in result) {
        throw new CdfError(400, `items[${i}] (${item.space}:${item.externalId}): ${result.problem}`);
      }
      plans.push(
        existing
          ? { item, existing, properties: result.properties }
          : { item, properties: result.properties },
      );
    }
    if (conflicts.length > 0 && !options.skipOnVersionConflict) {
      throw new CdfError(
        409,
        `Version conflict: ${conflicts.map((c) => `${c.space}:${c.externalId}`).join(", ")} ${conflicts.length === 1 ? "has" : "have"} a newer version than existingVersion; read the node again, or set skipOnVersionConflict to skip such items`,
      );
    }
    const now = this.clock.now();
    return plans.map(({ item, existing, properties }) => {
      if (existing && sameProperties(existing.properties, properties)) {
        return slim(existing, false);
      }
      const node: StoredNode = existing
        ? { ...existing, version: existing.version + 1, lastUpdatedTime: now, properties, seq: ++this.#seq }
        : {
            space: item.space,
            externalId: item.externalId,
            version: 1,
            createdTime: now,
            lastUpdatedTime: now,
            properties,
            seq: ++this.#seq,
          };
      this.#nodes.set(keyOf(node), node);
      this.series.upsert({ space: node.space, externalId: node.externalId }, backingSeriesFields(properties));
      return slim(node, true);
    });
  }

  /** Delete nodes (unknown ones are ignored, as in CDF); their time series and datapoints go too. */
  delete(refs: InstanceRef[]): void {
    this.#checkSpaces(refs, "items");
    const now = this.clock.now();
    for (const ref of refs) {
      const node = this.get(ref);
      if (!node) continue;
      const tombstone: StoredNode = {
        space: node.space,
        externalId: node.externalId,
        version: node.version + 1,
        createdTime: node.createdTime,
        lastUpdatedTime: now,
        deletedTime: now,
        properties: node.properties,
        seq: ++this.#seq,
      };
      this.#nodes.set(keyOf(node), tombstone);
      this.series.delete(ref);
    }
  }

  /** Nodes and tombstones changed after `seq`, in the order of their changes. */
  changedSince(seq: number): StoredNode[] {
    this.#purgeTombstones();
    return [...this.#nodes.values()].filter((n) => n.seq > seq).sort((a, b) => a.seq - b.seq);
  }

  /** A space with nodes (live ones) cannot be deleted. */
  hasNodesIn(space: string): boolean {
    for (const n of this.#nodes.values()) if (n.space === space && n.deletedTime === undefined) return true;
    return false;
  }

  #checkSpaces(refs: InstanceRef[], where: string): void {
    const missing = [...new Set(refs.map((r) => r.space))].filter((s) => this.spaces.get(s) === undefined);
    if (missing.length > 0) {
      throw new CdfError(
        400,
        `${where}: space${missing.length > 1 ? "s" : ""} ${missing.map((s) => `'${s}'`).join(", ")} ${missing.length > 1 ? "do" : "does"} not exist; create ${missing.length > 1 ? "them" : "it"} first with POST /models/spaces`,
      );
    }
    const global = refs.find((r) => this.spaces.get(r.space)?.isGlobal);
    if (global) {
      throw new CdfError(
        403,
        `Space '${global.space}' is one of Cognite's global spaces and is read-only; write your nodes to a space of your own`,
      );
    }
  }

  #purgeTombstones(): void {
    const cutoff = this.clock.now() - TOMBSTONE_RETENTION_MS;
    for (const [key, node] of this.#nodes) {
      if (node.deletedTime !== undefined && node.deletedTime < cutoff) this.#nodes.delete(key);
    }
  }

  reset(): void {
    this.#nodes.clear();
    this.#seq = 0;
  }

  async save(dir: string): Promise<void> {
    await writeStateFile(dir, "instances.json", { seq: this.#seq, nodes: [...this.#nodes.values()] });
  }

  async load(dir: string): Promise<void> {
    const state = await readStateFile<{ seq: number; nodes: StoredNode[] }>(dir, "instances.json");
    if (!state) return;
    this.reset();
    this.#seq = state.seq;
    for (const n of state.nodes) this.#nodes.set(keyOf(n), n);
  }
}

function slim(node: StoredNode, wasModified: boolean): SlimNode {
  return {
    instanceType: "node",
    space: node.space,
    externalId: node.externalId,
    version: node.version,
    wasModified,
    createdTime: node.createdTime,
    lastUpdatedTime: node.lastUpdatedTime,
  };
}
