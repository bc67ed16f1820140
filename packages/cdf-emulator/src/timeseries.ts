// Time series metadata: `/timeseries` create, list, byids, update, delete, aggregate (count),
// with the shapes of openapi.json (`GetTimeSeriesMetadataDTO`, `PostTimeSeriesMetadataDTO`,
// `TimeSeriesPatch`) and CDF's answers: 409 + `duplicated` for an existing externalId, 422 +
// `duplicated` for a repeated one in the request, 400 + `missing` for unknown references.
// Data-model time series (CogniteTimeSeries, addressed by `instanceId`) cannot be created through
// this API in CDF either; the control API creates them so DM-addressed datapoint calls can be tested.

import {
  CdfError,
  type EmulatorContext,
  type EmulatorRequest,
  type EmulatorStore,
  type RouteRegistry,
  type TimeSeriesInfo,
} from "./context.js";
import {
  decodeCursor,
  encodeCursor,
  type IdentifierRef,
  identifierOf,
  itemsOf,
  limitOf,
  objectBody,
  objectItem,
  optionalBoolean,
  queryBoolean,
  rejectDuplicateRefs,
} from "./requestBody.js";
import { resolveByIds } from "./resolveByIds.js";
import { readStateFile, writeStateFile } from "./stateFile.js";

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

const READ = [{ acl: "timeSeriesAcl", action: "READ" }] as const;
const WRITE = [{ acl: "timeSeriesAcl", action: "WRITE" }] as const;
// CDF ids are opaque int64s; starting high keeps tests from confusing ids with counts.
const FIRST_ID = 1_000_000_000_001;

const STRING_FIELDS: Record<string, number> = {
  externalId: 255,
  name: 255,
  unit: 32,
  unitExternalId: 64,
  description: 1000,
};
const CREATE_FIELDS = new Set([
  ...Object.keys(STRING_FIELDS),
  "legacyName",
  "isString",
  "isStep",
  "metadata",
  "assetId",
  "securityCategories",
  "dataSetId",
]);

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

  update(
    changes: Array<{ ref: IdentifierRef; apply: (ts: TimeSeries) => void; externalId?: string | null }>,
  ): TimeSeries[] {
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
    const now = this.clock.now();
    return targets.map((ts, i) => {
      this.#unindex(ts);
      changes[i]?.apply(ts);
      ts.lastUpdatedTime = now;
      this.#index(ts);
      return ts;
    });
  }

  delete(refs: IdentifierRef[], ignoreUnknownIds: boolean): void {
    const targets = this.resolve(refs, ignoreUnknownIds);
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

/** The response shape (`GetTimeSeriesMetadataDTO`): adds `type`, drops metadata when not asked for. */
function toDto(ts: TimeSeries, includeMetadata = true): Record<string, unknown> {
  const { metadata, ...rest } = ts;
  const dto: Record<string, unknown> = { ...rest, type: ts.isString ? "string" : "numeric" };
  if (includeMetadata) dto.metadata = metadata ?? {};
  return dto;
}

function instanceKey(instanceId: { space: string; externalId: string }): string {
  return `${instanceId.space}\u0000${instanceId.externalId}`;
}

function withoutUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** Validate one `PostTimeSeriesMetadataDTO` (also used by the control API, which may add `instanceId`). */
export function parseTimeSeriesCreate(raw: unknown, path: string, allowInstanceId = false): TimeSeriesCreate {
  const o = objectItem(raw, path);
  for (const key of Object.keys(o)) {
    if (!CREATE_FIELDS.has(key) && !(allowInstanceId && key === "instanceId")) {
      throw new CdfError(
        400,
        key === "instanceId"
          ? `${path}.instanceId: time series with an instanceId are created through data modeling (CogniteTimeSeries), not /timeseries. In the emulator use POST /_emulator/timeseries.`
          : `${path}: unrecognized field '${key}'.`,
      );
    }
  }
  const item: TimeSeriesCreate = {};
  for (const [field, max] of Object.entries(STRING_FIELDS)) {
    const value = o[field];
    if (value === undefined || value === null) continue;
    if (typeof value !== "string" || value.length > max) {
      throw new CdfError(400, `${path}.${field} must be a string of at most ${max} characters.`);
    }
    (item as Record<string, unknown>)[field] = value;
  }
  const isString = optionalBoolean(o.isString, `${path}.isString`);
  if (isString !== undefined) item.isString = isString;
  const isStep = optionalBoolean(o.isStep, `${path}.isStep`);
  if (isStep !== undefined) item.isStep = isStep;
  if (isString && item.unitExternalId !== undefined) {
    throw new CdfError(400, `${path}.unitExternalId is only available for numeric time series.`);
  }
  if (o.metadata !== undefined && o.metadata !== null)
    item.metadata = parseMetadata(o.metadata, `${path}.metadata`);
  for (const field of ["assetId", "dataSetId"] as const) {
    if (o[field] === undefined || o[field] === null) continue;
    item[field] = positiveId(o[field], `${path}.${field}`);
  }
  if (o.securityCategories !== undefined)
    item.securityCategories = idArray(o.securityCategories, `${path}.securityCategories`);
  if (allowInstanceId && o.instanceId !== undefined) {
    const ref = identifierOf({ instanceId: o.instanceId }, path);
    if ("instanceId" in ref) item.instanceId = ref.instanceId;
  }
  return item;
}

// Metadata limits from openapi.json `TimeSeriesMetadata`: keys <= 128 bytes, <= 256 pairs, <= 10,000 bytes in total.
function parseMetadata(value: unknown, path: string): Record<string, string> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new CdfError(400, `${path} must be an object of string values.`);
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > 256)
    throw new CdfError(400, `${path} has ${entries.length} keys; at most 256 are allowed.`);
  let bytes = 0;
  for (const [k, v] of entries) {
    if (typeof v !== "string")
      throw new CdfError(400, `${path}.${k} must be a string (got ${JSON.stringify(v)}).`);
    const keyBytes = Buffer.byteLength(k);
    if (keyBytes > 128)
      throw new CdfError(
        400,
        `${path}: key '${k.slice(0, 40)}...' is ${keyBytes} bytes; at most 128 are allowed.`,
      );
    bytes += keyBytes + Buffer.byteLength(v);
  }
  if (bytes > 10_000)
    throw new CdfError(400, `${path} is ${bytes} bytes in total; at most 10000 are allowed.`);
  return Object.fromEntries(entries) as Record<string, string>;
}

function positiveId(value: unknown, path: string): number {
  if (!Number.isSafeInteger(value) || (value as number) < 1) {
    throw new CdfError(
      400,
      `${path} must be an integer between 1 and 9007199254740991 (got ${JSON.stringify(value)}).`,
    );
  }
  return value as number;
}

function idArray(value: unknown, path: string): number[] {
  if (!Array.isArray(value)) throw new CdfError(400, `${path} must be an array of integers.`);
  return value.map((v, i) => positiveId(v, `${path}[${i}]`));
}

type Filter = (ts: TimeSeries) => boolean;

function parseFilter(raw: unknown, path: string): Filter {
  if (raw === undefined || raw === null) return () => true;
  const f = objectItem(raw, path);
  const tests: Filter[] = [];
  for (const field of ["name", "unit", "unitExternalId"] as const) {
    if (f[field] !== undefined) tests.push((ts) => ts[field] === f[field]);
  }
  for (const field of ["isString", "isStep"] as const) {
    const value = optionalBoolean(f[field], `${path}.${field}`);
    if (value !== undefined) tests.push((ts) => ts[field] === value);
  }
  if (f.metadata !== undefined) {
    const wanted = parseMetadata(f.metadata, `${path}.metadata`);
    tests.push((ts) => Object.entries(wanted).every(([k, v]) => ts.metadata?.[k] === v));
  }
  if (f.externalIdPrefix !== undefined) {
    if (typeof f.externalIdPrefix !== "string")
      throw new CdfError(400, `${path}.externalIdPrefix must be a string.`);
    const prefix = f.externalIdPrefix;
    tests.push((ts) => ts.externalId?.startsWith(prefix) === true);
  }
  if (f.assetIds !== undefined) {
    const ids = new Set(idArray(f.assetIds, `${path}.assetIds`));
    tests.push((ts) => ts.assetId !== undefined && ids.has(ts.assetId));
  }
  if (f.dataSetIds !== undefined) {
    if (!Array.isArray(f.dataSetIds)) throw new CdfError(400, `${path}.dataSetIds must be an array of {id}.`);
    const ids = new Set(
      f.dataSetIds.map((d, i) => {
        const ref = identifierOf(d, `${path}.dataSetIds[${i}]`, false);
        if (!("id" in ref))
          throw new CdfError(400, `${path}.dataSetIds[${i}]: the emulator has no data sets; filter by id.`);
        return ref.id;
      }),
    );
    tests.push((ts) => ts.dataSetId !== undefined && ids.has(ts.dataSetId));
  }
  for (const field of ["createdTime", "lastUpdatedTime"] as const) {
    const range = f[field] as { min?: number; max?: number } | undefined;
    if (range === undefined) continue;
    tests.push(
      (ts) =>
        (range.min === undefined || ts[field] >= range.min) &&
        (range.max === undefined || ts[field] <= range.max),
    );
  }
  for (const key of Object.keys(f)) {
    const known = [
      "name",
      "unit",
      "unitExternalId",
      "isString",
      "isStep",
      "metadata",
      "externalIdPrefix",
      "assetIds",
      "dataSetIds",
      "createdTime",
      "lastUpdatedTime",
    ];
    if (!known.includes(key)) {
      throw new CdfError(
        400,
        `${path}.${key}: this filter is not supported by the emulator (supported: ${known.join(", ")}).`,
      );
    }
  }
  return (ts) => tests.every((t) => t(ts));
}

/** `partition: "m/n"` splits a listing into n disjoint parts, as CDF's parallel retrieval does. */
function parsePartition(raw: unknown, path: string): Filter {
  if (raw === undefined || raw === null) return () => true;
  const match = typeof raw === "string" ? /^(\d+)\/(\d+)$/.exec(raw) : null;
  const m = Number(match?.[1]);
  const n = Number(match?.[2]);
  if (!match || n < 1 || n > 10 || m < 1 || m > n) {
    throw new CdfError(
      400,
      `${path} must look like 'm/n' with 1 <= m <= n <= 10 (got ${JSON.stringify(raw)}).`,
    );
  }
  return (ts) => ts.id % n === m - 1;
}

function page(
  store: TimeSeriesStore,
  filter: Filter,
  limit: number,
  cursor: unknown,
  where: string,
  includeMetadata: boolean,
): { items: Record<string, unknown>[]; nextCursor?: string } {
  const after = decodeCursor(cursor, where);
  if (after !== undefined && typeof after !== "number")
    throw new CdfError(400, `${where}: cursor is not a time series cursor.`);
  const items: TimeSeries[] = [];
  let more = false;
  for (const ts of store.all()) {
    if (after !== undefined && ts.id <= after) continue;
    if (!filter(ts)) continue;
    if (items.length === limit) {
      more = true;
      break;
    }
    items.push(ts);
  }
  const last = items[items.length - 1];
  const result: { items: Record<string, unknown>[]; nextCursor?: string } = {
    items: items.map((ts) => toDto(ts, includeMetadata)),
  };
  if (more && last) result.nextCursor = encodeCursor(last.id);
  return result;
}

function parseUpdate(
  raw: unknown,
  path: string,
): { ref: IdentifierRef; apply: (ts: TimeSeries) => void; externalId?: string | null } {
  const item = objectItem(raw, path);
  const { update, ...refPart } = item;
  const ref = identifierOf(refPart, path);
  const u = objectItem(update, `${path}.update`);
  const steps: Array<(ts: TimeSeries) => void> = [];
  let externalId: string | null | undefined;
  for (const [field, change] of Object.entries(u)) {
    const at = `${path}.update.${field}`;
    const c = objectItem(change, at);
    if (field === "isString") {
      throw new CdfError(
        400,
        `${at}: isString cannot be changed after a time series is created; create a new time series instead.`,
      );
    }
    if (field in STRING_FIELDS) {
      const max = STRING_FIELDS[field] as number;
      const key = field as "externalId" | "name" | "unit" | "unitExternalId" | "description";
      if (c.setNull === true) {
        if (key === "externalId") externalId = null;
        steps.push((ts) => {
          delete ts[key];
        });
      } else if (typeof c.set === "string" && c.set.length <= max) {
        const value = c.set;
        if (key === "externalId") externalId = value;
        steps.push((ts) => {
          ts[key] = value;
        });
      } else {
        throw new CdfError(
          400,
          `${at} must be {"set": string of at most ${max} characters} or {"setNull": true}.`,
        );
      }
    } else if (field === "assetId" || field === "dataSetId") {
      if (c.setNull === true) {
        steps.push((ts) => {
          delete ts[field];
        });
      } else {
        const value = positiveId(c.set, `${at}.set`);
        steps.push((ts) => {
          ts[field] = value;
        });
      }
    } else if (field === "isStep") {
      if (typeof c.set !== "boolean") throw new CdfError(400, `${at} must be {"set": true|false}.`);
      const value = c.set;
      steps.push((ts) => {
        ts.isStep = value;
      });
    } else if (field === "metadata") {
      if (c.set !== undefined) {
        const value = parseMetadata(c.set, `${at}.set`);
        steps.push((ts) => {
          ts.metadata = { ...value };
        });
      } else {
        const add = c.add === undefined ? {} : parseMetadata(c.add, `${at}.add`);
        const remove = c.remove ?? [];
        if (!Array.isArray(remove) || remove.some((k) => typeof k !== "string")) {
          throw new CdfError(400, `${at}.remove must be an array of keys.`);
        }
        steps.push((ts) => {
          const next = { ...ts.metadata };
          for (const k of remove as string[]) delete next[k];
          Object.assign(next, add);
          ts.metadata = parseMetadata(next, at);
        });
      }
    } else if (field === "securityCategories") {
      if (c.set !== undefined) {
        const value = idArray(c.set, `${at}.set`);
        steps.push((ts) => {
          ts.securityCategories = value;
        });
      } else {
        const add = c.add === undefined ? [] : idArray(c.add, `${at}.add`);
        const remove = new Set(c.remove === undefined ? [] : idArray(c.remove, `${at}.remove`));
        steps.push((ts) => {
          const next = (ts.securityCategories ?? []).filter((x) => !remove.has(x));
          for (const x of add) if (!next.includes(x)) next.push(x);
          ts.securityCategories = next;
        });
      }
    } else {
      throw new CdfError(
        400,
        `${at}: '${field}' cannot be updated (updatable: ${[...Object.keys(STRING_FIELDS), "metadata", "assetId", "isStep", "securityCategories", "dataSetId"].join(", ")}).`,
      );
    }
  }
  const result: { ref: IdentifierRef; apply: (ts: TimeSeries) => void; externalId?: string | null } = {
    ref,
    apply: (ts) => {
      for (const step of steps) step(ts);
    },
  };
  if (externalId !== undefined) result.externalId = externalId;
  return result;
}

/** Registers `/timeseries*` (not `/timeseries/data*` nor subscriptions) and returns the store behind them. */
export function registerTimeSeriesRoutes(registry: RouteRegistry, ctx: EmulatorContext): TimeSeriesStore {
  const store = new TimeSeriesStore(ctx.clock);
  registry.addStore("timeseries", store);

  registry.add({
    method: "POST",
    pattern: "/timeseries",
    acl: [...WRITE],
    handler: (req) => {
      const items = itemsOf(req.body, "POST /timeseries", { max: 1000 }).map((raw, i) =>
        parseTimeSeriesCreate(raw, `items[${i}]`),
      );
      return { status: 201, body: { items: store.create(items).map((ts) => toDto(ts)) } };
    },
  });

  registry.add({
    method: "GET",
    pattern: "/timeseries",
    acl: [...READ],
    handler: (req) => {
      const q = req.query;
      const limit = limitOf(q.get("limit") ?? undefined, "limit", { default: 100, max: 1000 });
      const includeMetadata = queryBoolean(q.get("includeMetadata"), "includeMetadata") ?? true;
      const filters: Filter[] = [parsePartition(q.get("partition") ?? undefined, "partition")];
      const prefix = q.get("externalIdPrefix");
      if (prefix !== null) filters.push((ts) => ts.externalId?.startsWith(prefix) === true);
      const assetIds = q.get("assetIds");
      if (assetIds !== null) {
        const ids = new Set(idArray(parseJsonQuery(assetIds, "assetIds"), "assetIds"));
        filters.push((ts) => ts.assetId !== undefined && ids.has(ts.assetId));
      }
      const filter: Filter = (ts) => filters.every((f) => f(ts));
      return {
        body: page(store, filter, limit, q.get("cursor") ?? undefined, "GET /timeseries", includeMetadata),
      };
    },
  });

  registry.add({
    method: "POST",
    pattern: "/timeseries/list",
    acl: [...READ],
    handler: (req) => {
      const body = req.body === undefined ? {} : objectBody(req.body, "POST /timeseries/list");
      const limit = limitOf(body.limit, "limit", { default: 100, max: 1000 });
      const filter = parseFilter(body.filter, "filter");
      const partition = parsePartition(body.partition, "partition");
      return {
        body: page(
          store,
          (ts) => partition(ts) && filter(ts),
          limit,
          body.cursor,
          "POST /timeseries/list",
          true,
        ),
      };
    },
  });

  registry.add({
    method: "POST",
    pattern: "/timeseries/aggregate",
    acl: [...READ],
    handler: (req) => {
      const body = req.body === undefined ? {} : objectBody(req.body, "POST /timeseries/aggregate");
      if (body.aggregate !== undefined && body.aggregate !== "count") {
        throw new CdfError(
          400,
          `aggregate '${String(body.aggregate)}' is not supported by the emulator (only 'count').`,
        );
      }
      const filter = parseFilter(body.filter, "filter");
      let count = 0;
      for (const ts of store.all()) if (filter(ts)) count++;
      return { body: { items: [{ count }] } };
    },
  });

  registry.add({
    method: "POST",
    pattern: "/timeseries/byids",
    acl: [...READ],
    handler: (req) => {
      const body = objectBody(req.body, "POST /timeseries/byids");
      const refs = itemsOf(body, "POST /timeseries/byids", { max: 1000 }).map((raw, i) =>
        identifierOf(raw, `items[${i}]`),
      );
      rejectDuplicateRefs(refs);
      const ignore = optionalBoolean(body.ignoreUnknownIds, "ignoreUnknownIds") ?? false;
      return { body: { items: store.resolve(refs, ignore).map((ts) => toDto(ts)) } };
    },
  });

  registry.add({
    method: "POST",
    pattern: "/timeseries/update",
    acl: [...WRITE],
    handler: (req) => {
      const changes = itemsOf(req.body, "POST /timeseries/update", { max: 1000 }).map((raw, i) =>
        parseUpdate(raw, `items[${i}]`),
      );
      rejectDuplicateRefs(changes.map((c) => c.ref));
      return { body: { items: store.update(changes).map((ts) => toDto(ts)) } };
    },
  });

  registry.add({
    method: "POST",
    pattern: "/timeseries/delete",
    acl: [...WRITE],
    handler: (req: EmulatorRequest) => {
      const body = objectBody(req.body, "POST /timeseries/delete");
      const refs = itemsOf(body, "POST /timeseries/delete", { max: 1000 }).map((raw, i) =>
        identifierOf(raw, `items[${i}]`, false),
      );
      rejectDuplicateRefs(refs);
      store.delete(refs, optionalBoolean(body.ignoreUnknownIds, "ignoreUnknownIds") ?? false);
      return { body: {} };
    },
  });

  return store;
}

function parseJsonQuery(value: string, name: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    throw new CdfError(400, `Query parameter ${name} must be a JSON array, e.g. [1,2,3].`);
  }
}
