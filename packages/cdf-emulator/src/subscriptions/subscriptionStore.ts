// Datapoint subscriptions: definitions, membership, and per-partition change logs fed by the
// datapoint store's change stream (ctx.onDatapointChange, synchronous and in ingestion order).
// A change is logged only for series that are members when it happens ("only changes after they
// joined"); a series lives in one partition (id mod partitionCount), so its changes stay in order.

import {
  CdfError,
  type DatapointChange,
  type EmulatorContext,
  type EmulatorStore,
  type TimeSeriesInfo,
} from "../context.js";
import { STATUS_GOOD, statusCategory, statusObject } from "../datapoints/statusCode.js";
import { readStateFile, writeStateFile } from "../stateFile.js";
import { deliveryDisorderOf, handedOutPosition, mergeKey } from "./deliveryDisorder.js";
import { type LogEntry, type LoggedChange, PartitionLog, type SubscribedSeries } from "./partitionLog.js";
import { decodeSubscriptionCursor, encodeSubscriptionCursor } from "./subscriptionCursor.js";
import { compileSubscriptionFilter, type SeriesPredicate } from "./subscriptionFilter.js";
import type {
  CreateSubscriptionItem,
  InstanceIdRef,
  ListSubscriptionDataRequest,
  SubscriptionUpdate,
} from "./subscriptionRequests.js";

// Limits from the API docs (Data point subscriptions, "Limitations").
export const subscriptionLimits = {
  seriesPerSubscription: 10_000,
  subscriptionsPerSeries: 10,
  subscriptionsPerProject: 1000,
  filterSubscriptionsPerProject: 100,
};

interface Member {
  externalId?: string;
  instanceId?: InstanceIdRef;
}

interface Subscription {
  /** Internal identity: a recreated subscription with the same externalId refuses old cursors. */
  internalId: number;
  externalId: string;
  name?: string;
  description?: string;
  dataSetId?: number;
  partitionCount: number;
  filter?: Record<string, unknown>;
  predicate?: SeriesPredicate;
  /** Explicit members by key (`x:<externalId>` or `i:<space>\0<externalId>`), in insertion order. */
  members: Map<string, Member>;
  /** Series seen as members (resolved), to name them in `removed` after a time series is deleted. */
  seen: Map<number, SubscribedSeries>;
  partitions: PartitionLog[];
  createdTime: number;
  lastUpdatedTime: number;
  /** Pending long polls, woken by the next change. */
  waiters: Set<() => void>;
}

interface DataListResult {
  updates: Array<Record<string, unknown>>;
  subscriptionChanges?: { added?: SubscribedSeries[]; removed?: SubscribedSeries[] };
  partitions: Array<{ index: number; nextCursor: string }>;
  hasNext: boolean;
}

const memberKeyOfExternalId = (externalId: string) => `x:${externalId}`;
const memberKeyOfInstanceId = (id: InstanceIdRef) => `i:${id.space}\u0000${id.externalId}`;

function memberKeysOf(ts: TimeSeriesInfo): string[] {
  const keys: string[] = [];
  if (ts.externalId !== undefined) keys.push(memberKeyOfExternalId(ts.externalId));
  if (ts.instanceId !== undefined) keys.push(memberKeyOfInstanceId(ts.instanceId));
  return keys;
}

function subscribedSeries(ts: TimeSeriesInfo): SubscribedSeries {
  const s: SubscribedSeries = { id: ts.id, isString: ts.isString };
  if (ts.externalId !== undefined) s.externalId = ts.externalId;
  if (ts.instanceId !== undefined)
    s.instanceId = { space: ts.instanceId.space, externalId: ts.instanceId.externalId };
  return s;
}

const timeUnitMs: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

export class SubscriptionStore implements EmulatorStore {
  readonly #byExternalId = new Map<string, Subscription>();
  /** Member key -> subscriptions listing it (explicit subscriptions). */
  readonly #byMemberKey = new Map<string, Set<Subscription>>();
  readonly #filterSubscriptions = new Set<Subscription>();
  #nextInternalId = 1;
  /** Global ingestion order across partitions, to merge partitions in the order changes happened. */
  #sequence = 0;

  constructor(readonly ctx: EmulatorContext) {}

  // ---- change stream ----

  onDatapointChange(change: DatapointChange): void {
    const ts = this.ctx.findTimeSeries({ id: change.timeSeriesId });
    if (!ts) return;
    const subscriptions = this.#subscriptionsOf(ts);
    if (subscriptions.size === 0) return;
    const series = subscribedSeries(ts);
    const logged: LoggedChange =
      change.kind === "upsert"
        ? { kind: "upsert", series, points: change.points.map((p) => ({ ...p })) }
        : change.exclusiveEnd === undefined
          ? { kind: "delete", series, inclusiveBegin: change.inclusiveBegin }
          : {
              kind: "delete",
              series,
              inclusiveBegin: change.inclusiveBegin,
              exclusiveEnd: change.exclusiveEnd,
            };
    for (const sub of subscriptions) {
      sub.seen.set(ts.id, series);
      this.#append(sub, logged);
    }
  }

  onTimeSeriesDeleted(id: number): void {
    for (const sub of this.#byExternalId.values()) {
      const series = sub.seen.get(id);
      if (!series) continue;
      sub.seen.delete(id);
      this.#append(sub, { kind: "removed", series });
    }
  }

  #subscriptionsOf(ts: TimeSeriesInfo): Set<Subscription> {
    const result = new Set<Subscription>();
    for (const key of memberKeysOf(ts)) for (const sub of this.#byMemberKey.get(key) ?? []) result.add(sub);
    for (const sub of this.#filterSubscriptions) if (sub.predicate!(ts)) result.add(sub);
    return result;
  }

  #append(sub: Subscription, change: LoggedChange): void {
    const now = this.ctx.clock.now();
    const log = sub.partitions[change.series.id % sub.partitionCount]!;
    log.expire(now);
    log.append(change, ++this.#sequence, now);
    for (const wake of sub.waiters) wake();
    sub.waiters.clear();
  }

  // ---- definitions ----

  #get(externalId: string): Subscription {
    const sub = this.#byExternalId.get(externalId);
    if (!sub)
      throw new CdfError(400, `Subscription '${externalId}' does not exist`, { missing: [{ externalId }] });
    return sub;
  }

  create(item: CreateSubscriptionItem): Record<string, unknown> {
    if (this.#byExternalId.has(item.externalId)) {
      throw new CdfError(409, `A subscription with externalId '${item.externalId}' already exists`, {
        duplicated: [{ externalId: item.externalId }],
      });
    }
    if (this.#byExternalId.size >= subscriptionLimits.subscriptionsPerProject) {
      throw new CdfError(
        400,
        `A project can have at most ${subscriptionLimits.subscriptionsPerProject} subscriptions`,
      );
    }
    if (item.filter !== undefined && (item.timeSeriesIds !== undefined || item.instanceIds !== undefined)) {
      throw new CdfError(
        400,
        "items[0]: a subscription has either a filter or explicit timeSeriesIds/instanceIds, not both",
      );
    }
    let predicate: SeriesPredicate | undefined;
    if (item.filter !== undefined) {
      if (this.#filterSubscriptions.size >= subscriptionLimits.filterSubscriptionsPerProject) {
        throw new CdfError(
          400,
          `A project can have at most ${subscriptionLimits.filterSubscriptionsPerProject} filter subscriptions`,
        );
      }
      predicate = compileSubscriptionFilter(item.filter, "items[0].filter");
    }
    const now = this.ctx.clock.now();
    const sub: Subscription = {
      internalId: this.#nextInternalId++,
      externalId: item.externalId,
      partitionCount: item.partitionCount,
      members: new Map(),
      seen: new Map(),
      partitions: Array.from({ length: item.partitionCount }, () => new PartitionLog()),
      createdTime: now,
      lastUpdatedTime: now,
      waiters: new Set(),
    };
    if (item.name !== undefined) sub.name = item.name;
    if (item.description !== undefined) sub.description = item.description;
    if (item.dataSetId !== undefined) sub.dataSetId = item.dataSetId;
    if (item.filter !== undefined && predicate) {
      sub.filter = item.filter;
      sub.predicate = predicate;
    }
    const additions = this.#memberRefs(item.timeSeriesIds, item.instanceIds);
    this.#checkMemberLimits(sub, additions);
    this.#byExternalId.set(sub.externalId, sub);
    if (sub.predicate) this.#filterSubscriptions.add(sub);
    for (const [key, member] of additions) this.#addMember(sub, key, member, false);
    return this.toDto(sub);
  }

  #memberRefs(
    externalIds: string[] | undefined,
    instanceIds: InstanceIdRef[] | undefined,
  ): Map<string, Member> {
    const refs = new Map<string, Member>();
    for (const externalId of externalIds ?? []) refs.set(memberKeyOfExternalId(externalId), { externalId });
    for (const instanceId of instanceIds ?? []) refs.set(memberKeyOfInstanceId(instanceId), { instanceId });
    return refs;
  }

  #checkMemberLimits(
    sub: Subscription,
    additions: Map<string, Member>,
    removals: Set<string> = new Set(),
  ): void {
    const fresh = [...additions.keys()].filter((k) => !sub.members.has(k));
    const total = sub.members.size - [...removals].filter((k) => sub.members.has(k)).length + fresh.length;
    if (total > subscriptionLimits.seriesPerSubscription) {
      throw new CdfError(
        400,
        `Subscription '${sub.externalId}' would have ${total} time series; the limit is ${subscriptionLimits.seriesPerSubscription}`,
      );
    }
    for (const key of fresh) {
      const count = this.#byMemberKey.get(key)?.size ?? 0;
      if (count >= subscriptionLimits.subscriptionsPerSeries) {
        const member = additions.get(key)!;
        throw new CdfError(
          400,
          `Time series ${JSON.stringify(member)} is already in ${count} subscriptions; a time series can be in at most ${subscriptionLimits.subscriptionsPerSeries}`,
        );
      }
    }
  }

  #resolve(member: Member): TimeSeriesInfo | undefined {
    return member.externalId !== undefined
      ? this.ctx.findTimeSeries({ externalId: member.externalId })
      : this.ctx.findTimeSeries({ instanceId: member.instanceId! });
  }

  #addMember(sub: Subscription, key: string, member: Member, announce: boolean): void {
    if (sub.members.has(key)) return;
    sub.members.set(key, member);
    let subs = this.#byMemberKey.get(key);
    if (!subs) this.#byMemberKey.set(key, (subs = new Set()));
    subs.add(sub);
    const ts = this.#resolve(member);
    if (ts && !sub.seen.has(ts.id)) {
      const series = subscribedSeries(ts);
      sub.seen.set(ts.id, series);
      if (announce) this.#append(sub, { kind: "added", series });
    }
  }

  #removeMember(sub: Subscription, key: string): void {
    const member = sub.members.get(key);
    if (!member) return;
    sub.members.delete(key);
    this.#byMemberKey.get(key)?.delete(sub);
    const ts = this.#resolve(member);
    // A series named both by externalId and instanceId stays while one of the two remains.
    if (ts && !memberKeysOf(ts).some((k) => sub.members.has(k))) {
      const series = sub.seen.get(ts.id) ?? subscribedSeries(ts);
      sub.seen.delete(ts.id);
      this.#append(sub, { kind: "removed", series });
    }
  }

  update(externalId: string, update: SubscriptionUpdate): Record<string, unknown> {
    const sub = this.#get(externalId);
    const changesMembers = update.timeSeriesIds !== undefined || update.instanceIds !== undefined;
    if (changesMembers && sub.predicate) {
      throw new CdfError(
        400,
        `Subscription '${externalId}' is a filter subscription: update its filter, not its time series`,
      );
    }
    if (update.filter !== undefined && !sub.predicate) {
      throw new CdfError(
        400,
        `Subscription '${externalId}' lists its time series explicitly: it cannot get a filter`,
      );
    }
    const patches = [update.timeSeriesIds, update.instanceIds].filter((p) => p !== undefined);
    if (patches.length === 2 && "set" in patches[0]! !== "set" in patches[1]!) {
      throw new CdfError(
        400,
        "timeSeriesIds and instanceIds must both be add/remove or both be set operations",
      );
    }
    const predicate = update.filter
      ? compileSubscriptionFilter(update.filter.set, "items[0].update.filter.set")
      : undefined;

    const additions = new Map<string, Member>();
    const removals = new Set<string>();
    const tsPatch = update.timeSeriesIds;
    const idPatch = update.instanceIds;
    const isSet = (tsPatch && "set" in tsPatch) || (idPatch && "set" in idPatch);
    if (isSet) {
      const target = this.#memberRefs(
        tsPatch && "set" in tsPatch ? tsPatch.set : undefined,
        idPatch && "set" in idPatch ? idPatch.set : undefined,
      );
      // `set` on one list replaces that list only.
      for (const key of sub.members.keys()) {
        const kindSet = key.startsWith("x:") ? tsPatch && "set" in tsPatch : idPatch && "set" in idPatch;
        if (kindSet && !target.has(key)) removals.add(key);
      }
      for (const [k, m] of target) additions.set(k, m);
    } else {
      const add = this.#memberRefs(
        tsPatch && "add" in tsPatch ? tsPatch.add : undefined,
        idPatch && "add" in idPatch ? idPatch.add : undefined,
      );
      const remove = this.#memberRefs(
        tsPatch && "remove" in tsPatch ? tsPatch.remove : undefined,
        idPatch && "remove" in idPatch ? idPatch.remove : undefined,
      );
      for (const [k, m] of add) additions.set(k, m);
      for (const k of remove.keys()) removals.add(k);
    }
    this.#checkMemberLimits(sub, additions, removals);

    for (const key of removals) this.#removeMember(sub, key);
    for (const [key, member] of additions) this.#addMember(sub, key, member, true);
    if (predicate && update.filter) {
      // CDF applies a new filter eventually; here at once, for changes from now on.
      sub.filter = update.filter.set;
      sub.predicate = predicate;
    }
    if (update.name) {
      if ("set" in update.name) sub.name = update.name.set;
      else delete sub.name;
    }
    if (update.description) {
      if ("set" in update.description) sub.description = update.description.set;
      else delete sub.description;
    }
    if (update.dataSetId) {
      if ("set" in update.dataSetId) sub.dataSetId = update.dataSetId.set;
      else delete sub.dataSetId;
    }
    sub.lastUpdatedTime = this.ctx.clock.now();
    return this.toDto(sub);
  }

  delete(externalId: string, ignoreUnknownIds: boolean): void {
    const sub = this.#byExternalId.get(externalId);
    if (!sub) {
      if (ignoreUnknownIds) return;
      this.#get(externalId);
      return;
    }
    this.#byExternalId.delete(externalId);
    this.#filterSubscriptions.delete(sub);
    for (const key of sub.members.keys()) this.#byMemberKey.get(key)?.delete(sub);
    for (const wake of sub.waiters) wake();
    sub.waiters.clear();
  }

  retrieve(externalId: string, ignoreUnknownIds: boolean): Record<string, unknown>[] {
    const sub = this.#byExternalId.get(externalId);
    if (!sub) {
      if (ignoreUnknownIds) return [];
      this.#get(externalId);
    }
    return [this.toDto(sub!)];
  }

  /** Subscriptions in creation order, after the one with internal id `after`. */
  list(after: number, limit: number): { items: Record<string, unknown>[]; last?: number; more: boolean } {
    const all = [...this.#byExternalId.values()]
      .filter((s) => s.internalId > after)
      .sort((a, b) => a.internalId - b.internalId);
    const page = all.slice(0, limit);
    const result: { items: Record<string, unknown>[]; last?: number; more: boolean } = {
      items: page.map((s) => this.toDto(s)),
      more: all.length > limit,
    };
    if (page.length > 0) result.last = page[page.length - 1]!.internalId;
    return result;
  }

  /** Members as CDF lists them: one row per explicit reference (id unset when the series does not exist). */
  members(externalId: string): Array<Record<string, unknown>> {
    const sub = this.#get(externalId);
    if (sub.predicate) {
      return [...sub.seen.values()].map((s) => {
        const row: Record<string, unknown> = { id: s.id };
        if (s.externalId !== undefined) row["externalId"] = s.externalId;
        if (s.instanceId !== undefined) row["instanceId"] = s.instanceId;
        return row;
      });
    }
    return [...sub.members.values()].map((m) => {
      const row: Record<string, unknown> =
        m.externalId !== undefined ? { externalId: m.externalId } : { instanceId: m.instanceId };
      const ts = this.#resolve(m);
      if (ts) row["id"] = ts.id;
      return row;
    });
  }

  toDto(sub: Subscription): Record<string, unknown> {
    const dto: Record<string, unknown> = { externalId: sub.externalId };
    if (sub.name !== undefined) dto["name"] = sub.name;
    if (sub.description !== undefined) dto["description"] = sub.description;
    if (sub.dataSetId !== undefined) dto["dataSetId"] = sub.dataSetId;
    dto["partitionCount"] = sub.partitionCount;
    dto["timeSeriesCount"] = sub.predicate ? sub.seen.size : sub.members.size;
    if (sub.filter !== undefined) dto["filter"] = sub.filter;
    dto["createdTime"] = sub.createdTime;
    dto["lastUpdatedTime"] = sub.lastUpdatedTime;
    return dto;
  }

  // ---- data ----

  /** One read of subscription data; with pollTimeoutSeconds > 0 waits (real time) for a change when there is none. */
  async listData(request: ListSubscriptionDataRequest): Promise<DataListResult> {
    const sub = this.#get(request.externalId);
    const positions = this.#startPositions(sub, request);
    const first = this.#read(sub, request, positions);
    if (
      first.updates.length > 0 ||
      first.subscriptionChanges ||
      first.hasNext ||
      request.pollTimeoutSeconds === 0
    ) {
      return first;
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        sub.waiters.delete(done);
        resolve();
      }, request.pollTimeoutSeconds * 1000);
      timer.unref();
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      sub.waiters.add(done);
    });
    return this.#read(sub, request, positions);
  }

  #startPositions(sub: Subscription, request: ListSubscriptionDataRequest): Map<number, number> {
    const now = this.ctx.clock.now();
    const positions = new Map<number, number>();
    for (const [i, p] of request.partitions.entries()) {
      const where = `partitions[${i}]`;
      if (p.index >= sub.partitionCount) {
        throw new CdfError(
          400,
          `${where}.index: ${p.index} is not a partition of '${sub.externalId}' (it has partitions 0-${sub.partitionCount - 1})`,
        );
      }
      if (positions.has(p.index))
        throw new CdfError(400, `${where}.index: partition ${p.index} is listed twice`);
      const log = sub.partitions[p.index]!;
      log.expire(now);
      if (p.cursor !== undefined) {
        const cursor = decodeSubscriptionCursor(p.cursor, `${where}.cursor`);
        if (
          cursor.subscription !== sub.internalId ||
          cursor.partition !== p.index ||
          cursor.position > log.end
        ) {
          throw new CdfError(
            400,
            `${where}.cursor: the cursor belongs to another subscription or partition than '${sub.externalId}' partition ${p.index}`,
          );
        }
        if (cursor.position < log.start) {
          // CDF keeps 7 days of changes; what it answers for an older cursor is not documented.
          throw new CdfError(
            400,
            `${where}.cursor: the cursor is older than the subscription's retention (7 days): changes since were dropped. ` +
              'Recompute from the time series and start over with initializeCursors: "now"',
          );
        }
        positions.set(p.index, cursor.position);
      } else {
        positions.set(p.index, this.#initialPosition(log, request.initializeCursors, now));
      }
    }
    return positions;
  }

  #initialPosition(log: PartitionLog, initializeCursors: string | undefined, now: number): number {
    if (initializeCursors === undefined) return log.start;
    if (initializeCursors === "now") return log.end;
    const m = /^(\d+)([wdhm])-ago$/.exec(initializeCursors);
    if (!m) {
      throw new CdfError(
        400,
        `initializeCursors: '${initializeCursors}' is not "now" or "N[w|d|h|m]-ago" (e.g. "2d-ago")`,
      );
    }
    return log.positionAt(now - Number(m[1]) * timeUnitMs[m[2]!]!);
  }

  #read(sub: Subscription, request: ListSubscriptionDataRequest, start: Map<number, number>): DataListResult {
    // A poll that waited while the clock jumped past retention resumes at the oldest kept change.
    const positions = new Map([...start].map(([i, p]) => [i, Math.max(p, sub.partitions[i]!.start)]));
    const from = new Map(positions);
    const disorder = deliveryDisorderOf(this.ctx.faults?.bySubscription, sub.externalId);
    const taken: LogEntry[] = [];
    let count = 0;
    // Merge the partitions in global ingestion order (or, under the reorder fault, another order
    // that keeps each partition's own); a whole change (one ingestion request) is returned even
    // if it alone exceeds `limit`, as CDF documents.
    while (count < request.limit) {
      let best: { index: number; entry: LogEntry; key: number } | undefined;
      for (const [index, position] of positions) {
        const entry = sub.partitions[index]!.at(position);
        const key = entry && mergeKey(entry, sub.internalId, disorder);
        if (entry && key !== undefined && (!best || key < best.key)) best = { index, entry, key };
      }
      if (!best) break;
      taken.push(best.entry);
      positions.set(best.index, best.entry.position + 1);
      const change = best.entry.change;
      count += change.kind === "upsert" ? Math.max(1, change.points.length) : 1;
    }
    const handedOut = new Map(
      [...positions].map(([index, next]) => [
        index,
        handedOutPosition(sub.internalId, index, from.get(index)!, next, disorder),
      ]),
    );
    const result: DataListResult = {
      updates: [],
      partitions: [...handedOut].map(([index, position]) => ({
        index,
        nextCursor: encodeSubscriptionCursor({ subscription: sub.internalId, partition: index, position }),
      })),
      hasNext: [...handedOut].some(([index, position]) => position < sub.partitions[index]!.end),
    };
    const added: SubscribedSeries[] = [];
    const removed: SubscribedSeries[] = [];
    for (const { change } of taken) {
      const timeSeries = { ...change.series, type: change.series.isString ? "string" : "numeric" };
      if (change.kind === "added" || change.kind === "removed") {
        (change.kind === "added" ? added : removed).push(timeSeries);
      } else if (change.kind === "delete") {
        const range: Record<string, number> = { inclusiveBegin: change.inclusiveBegin };
        if (change.exclusiveEnd !== undefined) range["exclusiveEnd"] = change.exclusiveEnd;
        result.updates.push({ timeSeries, upserts: [], deletes: [range] });
      } else {
        const upserts = this.#visiblePoints(change.points, request);
        if (upserts.length > 0) result.updates.push({ timeSeries, upserts, deletes: [] });
      }
    }
    if (added.length > 0 || removed.length > 0) {
      result.subscriptionChanges = {};
      if (added.length > 0) result.subscriptionChanges.added = added;
      if (removed.length > 0) result.subscriptionChanges.removed = removed;
    }
    return result;
  }

  #visiblePoints(
    points: Array<{ timestamp: number; value?: number | string | null; status?: { code: number } }>,
    request: ListSubscriptionDataRequest,
  ): Array<Record<string, unknown>> {
    const out: Array<Record<string, unknown>> = [];
    for (const p of points) {
      const code = p.status?.code ?? STATUS_GOOD;
      const category = statusCategory(code);
      if (request.ignoreBadDataPoints) {
        if (category === "bad") continue;
        if (category === "uncertain" && request.treatUncertainAsBad) continue;
      }
      const point: Record<string, unknown> = { timestamp: p.timestamp };
      if (p.value !== undefined && p.value !== null) point["value"] = p.value;
      // Good status codes are always omitted (SubscriptionsListDataRequest.includeStatus).
      if (request.includeStatus && code !== STATUS_GOOD) point["status"] = statusObject(code);
      out.push(point);
    }
    return out;
  }

  // ---- EmulatorStore ----

  reset(): void {
    for (const sub of this.#byExternalId.values()) for (const wake of sub.waiters) wake();
    this.#byExternalId.clear();
    this.#byMemberKey.clear();
    this.#filterSubscriptions.clear();
    this.#nextInternalId = 1;
    this.#sequence = 0;
  }

  async save(dir: string): Promise<void> {
    const state = {
      nextInternalId: this.#nextInternalId,
      sequence: this.#sequence,
      subscriptions: [...this.#byExternalId.values()].map((s) => ({
        internalId: s.internalId,
        externalId: s.externalId,
        name: s.name,
        description: s.description,
        dataSetId: s.dataSetId,
        partitionCount: s.partitionCount,
        filter: s.filter,
        members: [...s.members.values()],
        seen: [...s.seen.values()],
        partitions: s.partitions.map((log) => ({ end: log.end, entries: log.entries() })),
        createdTime: s.createdTime,
        lastUpdatedTime: s.lastUpdatedTime,
      })),
    };
    await writeStateFile(dir, "subscriptions.json", state);
  }

  async load(dir: string): Promise<void> {
    type Saved = Omit<Subscription, "members" | "seen" | "partitions" | "predicate" | "waiters"> & {
      members: Member[];
      seen: SubscribedSeries[];
      partitions: Array<{ end: number; entries: LogEntry[] }>;
    };
    const state = await readStateFile<{ nextInternalId: number; sequence: number; subscriptions: Saved[] }>(
      dir,
      "subscriptions.json",
    );
    if (!state) return;
    this.reset();
    this.#nextInternalId = state.nextInternalId;
    this.#sequence = state.sequence;
    for (const saved of state.subscriptions) {
      const sub: Subscription = {
        ...saved,
        members: new Map(),
        seen: new Map(saved.seen.map((s) => [s.id, s])),
        partitions: saved.partitions.map((p) => PartitionLog.restore(p.entries, p.end)),
        waiters: new Set(),
      };
      if (saved.filter !== undefined) {
        sub.predicate = compileSubscriptionFilter(saved.filter);
        this.#filterSubscriptions.add(sub);
      }
      this.#byExternalId.set(sub.externalId, sub);
      for (const m of saved.members) {
        const key =
          m.externalId !== undefined
            ? memberKeyOfExternalId(m.externalId)
            : memberKeyOfInstanceId(m.instanceId!);
        sub.members.set(key, m);
        let subs = this.#byMemberKey.get(key);
        if (!subs) this.#byMemberKey.set(key, (subs = new Set()));
        subs.add(sub);
      }
    }
  }
}
