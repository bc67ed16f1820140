// The routes of `/timeseries*` (not `/timeseries/data*` nor subscriptions), with the shapes of
// openapi.json (`GetTimeSeriesMetadataDTO`, `PostTimeSeriesMetadataDTO`, `TimeSeriesPatch`).
// Data-model time series (CogniteTimeSeries, addressed by `instanceId`) cannot be created through
// this API in CDF either; the control API creates them (controlTimeSeriesCreate).

import { CdfError, type EmulatorContext, type RouteRegistry } from "../context.js";
import { parseRequestBody } from "../parseRequestBody.js";
import {
  decodeCursor,
  encodeCursor,
  type IdentifierRef,
  limitOf,
  queryBoolean,
  rejectDuplicateRefs,
} from "../requestBody.js";
import { timeSeriesChange } from "./timeSeriesChange.js";
import { type TimeSeriesPredicate, timeSeriesFilter, timeSeriesPartition } from "./timeSeriesFilter.js";
import {
  aggregateBody,
  byIdsBody,
  type controlTimeSeriesCreate,
  createTimeSeriesBody,
  deleteBody,
  listBody,
  updateBody,
} from "./timeSeriesRequests.js";
import { type TimeSeries, type TimeSeriesCreate, TimeSeriesStore } from "./timeSeriesStore.js";

const READ = [{ acl: "timeSeriesAcl", action: "READ" }] as const;
const WRITE = [{ acl: "timeSeriesAcl", action: "WRITE" }] as const;

/** The response shape (`GetTimeSeriesMetadataDTO`): adds `type`, drops metadata when not asked for. */
function toDto(ts: TimeSeries, includeMetadata = true): Record<string, unknown> {
  const { metadata, ...rest } = ts;
  const dto: Record<string, unknown> = { ...rest, type: ts.isString ? "string" : "numeric" };
  if (includeMetadata) dto.metadata = metadata ?? {};
  return dto;
}

/** A parsed create item as the store takes it: nulls and `legacyName` (not stored) left out. */
export function timeSeriesCreateOf(
  item: import("zod").infer<typeof controlTimeSeriesCreate>,
): TimeSeriesCreate {
  const { legacyName: _, ...fields } = item;
  return Object.fromEntries(
    Object.entries(fields).filter(([, v]) => v !== undefined && v !== null),
  ) as TimeSeriesCreate;
}

function refOf(r: {
  id?: number | undefined;
  externalId?: string | undefined;
  instanceId?: unknown;
}): IdentifierRef {
  if (r.id !== undefined) return { id: r.id };
  if (r.externalId !== undefined) return { externalId: r.externalId };
  return { instanceId: r.instanceId as { space: string; externalId: string } };
}

function page(
  store: TimeSeriesStore,
  filter: TimeSeriesPredicate,
  limit: number,
  cursor: string | null | undefined,
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

/** Registers `/timeseries*` and returns the store behind them. */
export function registerTimeSeriesRoutes(registry: RouteRegistry, ctx: EmulatorContext): TimeSeriesStore {
  const store = new TimeSeriesStore(ctx.clock);
  registry.addStore("timeseries", store);

  registry.add({
    method: "POST",
    pattern: "/timeseries",
    acl: [...WRITE],
    handler: (req) => {
      const { items } = parseRequestBody(createTimeSeriesBody, req.body, "POST /timeseries");
      return {
        status: 201,
        body: { items: store.create(items.map(timeSeriesCreateOf)).map((ts) => toDto(ts)) },
      };
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
      const filters: TimeSeriesPredicate[] = [timeSeriesPartition(q.get("partition"), "partition")];
      const prefix = q.get("externalIdPrefix");
      if (prefix !== null) filters.push((ts) => ts.externalId?.startsWith(prefix) === true);
      const assetIds = q.get("assetIds");
      if (assetIds !== null) {
        const ids = new Set(assetIdsQuery(assetIds));
        filters.push((ts) => ts.assetId !== undefined && ids.has(ts.assetId));
      }
      const filter: TimeSeriesPredicate = (ts) => filters.every((f) => f(ts));
      return { body: page(store, filter, limit, q.get("cursor"), "GET /timeseries", includeMetadata) };
    },
  });

  registry.add({
    method: "POST",
    pattern: "/timeseries/list",
    acl: [...READ],
    handler: (req) => {
      const body = parseRequestBody(listBody, req.body, "POST /timeseries/list");
      const limit = limitOf(body.limit, "limit", { default: 100, max: 1000 });
      const filter = timeSeriesFilter(body.filter);
      const partition = timeSeriesPartition(body.partition, "partition");
      const matches: TimeSeriesPredicate = (ts) => partition(ts) && filter(ts);
      return { body: page(store, matches, limit, body.cursor, "POST /timeseries/list", true) };
    },
  });

  registry.add({
    method: "POST",
    pattern: "/timeseries/aggregate",
    acl: [...READ],
    handler: (req) => {
      const body = parseRequestBody(aggregateBody, req.body, "POST /timeseries/aggregate");
      const filter = timeSeriesFilter(body.filter);
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
      const body = parseRequestBody(byIdsBody, req.body, "POST /timeseries/byids");
      const refs = body.items.map(refOf);
      rejectDuplicateRefs(refs);
      return { body: { items: store.resolve(refs, body.ignoreUnknownIds ?? false).map((ts) => toDto(ts)) } };
    },
  });

  registry.add({
    method: "POST",
    pattern: "/timeseries/update",
    acl: [...WRITE],
    handler: (req) => {
      const { items } = parseRequestBody(updateBody, req.body, "POST /timeseries/update");
      const changes = items.map((item, i) => timeSeriesChange(refOf(item), item.update, `items[${i}]`));
      rejectDuplicateRefs(changes.map((c) => c.ref));
      return { body: { items: store.update(changes).map((ts) => toDto(ts)) } };
    },
  });

  registry.add({
    method: "POST",
    pattern: "/timeseries/delete",
    acl: [...WRITE],
    handler: (req) => {
      const body = parseRequestBody(deleteBody, req.body, "POST /timeseries/delete");
      const refs = body.items.map(refOf);
      rejectDuplicateRefs(refs);
      store.delete(refs, body.ignoreUnknownIds ?? false);
      return { body: {} };
    },
  });

  return store;
}

/** `assetIds` of `GET /timeseries`: a JSON array of ids in the query string. */
function assetIdsQuery(value: string): number[] {
  let ids: unknown;
  try {
    ids = JSON.parse(value);
  } catch {
    ids = undefined;
  }
  if (!Array.isArray(ids) || !ids.every((id) => Number.isSafeInteger(id) && id >= 1)) {
    throw new CdfError(
      400,
      `Query parameter assetIds must be a JSON array of ids, e.g. [1,2,3] (got '${value}').`,
    );
  }
  return ids as number[];
}
