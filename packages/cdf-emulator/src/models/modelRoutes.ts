// The data-modeling routes the emulator serves: spaces (upsert, list, byids, delete) and the
// nodes of cdf_cdm:CogniteTimeSeries/v1 (upsert, byids, delete, sync), with the shapes of
// openapi.json. ACLs as CDF grants them: dataModelsAcl for spaces, dataModelInstancesAcl for
// instances (openapi.json names DataModelsAcl for both; CDF checks instances against
// dataModelInstancesAcl, and either one is accepted here).

import { CdfError, type EmulatorContext, type RouteRegistry } from "../context.js";
import { pageOf } from "../pageOf.js";
import { parseRequestBody } from "../parseRequestBody.js";
import { limitOf, queryBoolean } from "../requestBody.js";
import type { TimeSeriesStore } from "../timeseries/index.js";
import { InstanceStore } from "./instanceStore.js";
import {
  instanceByIdsBody,
  instanceDeleteBody,
  instanceUpsertBody,
  spaceIdsBody,
  spaceUpsertBody,
  syncBody,
} from "./modelRequests.js";
import { nodeDto } from "./nodeDto.js";
import { SpaceStore } from "./spaceStore.js";
import { syncInstances } from "./syncInstances.js";

const SPACES_READ = [{ acl: "dataModelsAcl", action: "READ" }] as const;
const SPACES_WRITE = [{ acl: "dataModelsAcl", action: "WRITE" }] as const;
const INSTANCES_READ = [
  { acl: "dataModelInstancesAcl", action: "READ" },
  { acl: "dataModelsAcl", action: "READ" },
] as const;
const INSTANCES_WRITE = [
  { acl: "dataModelInstancesAcl", action: "WRITE" },
  { acl: "dataModelsAcl", action: "WRITE" },
] as const;

export interface Models {
  spaces: SpaceStore;
  instances: InstanceStore;
}

/** Registers `/models/spaces*` and `/models/instances*`; nodes get their series in `timeSeries`. */
export function registerModelRoutes(
  registry: RouteRegistry,
  ctx: EmulatorContext,
  timeSeries: TimeSeriesStore,
): Models {
  const spaces = new SpaceStore(ctx.clock);
  const instances = new InstanceStore(ctx.clock, spaces, {
    upsert: (instanceId, fields) => timeSeries.upsertForInstance(instanceId, fields),
    delete: (instanceId) => timeSeries.deleteForInstance(instanceId),
  });
  registry.addStore("spaces", spaces);
  registry.addStore("instances", instances);

  registry.add({
    method: "POST",
    pattern: "/models/spaces",
    acl: [...SPACES_WRITE],
    handler: (req) => {
      const { items } = parseRequestBody(spaceUpsertBody, req.body, "POST /models/spaces");
      return { body: { items: spaces.upsert(items) } };
    },
  });

  registry.add({
    method: "GET",
    pattern: "/models/spaces",
    acl: [...SPACES_READ],
    handler: (req) => {
      const limit = limitOf(req.query.get("limit") ?? undefined, "limit", { default: 10, max: 1000 });
      const includeGlobal = queryBoolean(req.query.get("includeGlobal"), "includeGlobal") ?? false;
      return {
        body: pageOf(spaces.list(includeGlobal), req.query.get("cursor"), limit, "GET /models/spaces"),
      };
    },
  });

  registry.add({
    method: "POST",
    pattern: "/models/spaces/byids",
    acl: [...SPACES_READ],
    handler: (req) => {
      const { items } = parseRequestBody(spaceIdsBody, req.body, "POST /models/spaces/byids");
      // Like instances, unknown spaces are left out of the answer rather than failing it.
      return { body: { items: items.flatMap((i) => spaces.get(i.space) ?? []) } };
    },
  });

  registry.add({
    method: "POST",
    pattern: "/models/spaces/delete",
    acl: [...SPACES_WRITE],
    handler: (req) => {
      const { items } = parseRequestBody(spaceIdsBody, req.body, "POST /models/spaces/delete");
      for (const [i, item] of items.entries()) {
        if (spaces.get(item.space)?.isGlobal) {
          throw new CdfError(
            403,
            `items[${i}].space: '${item.space}' is a global space and cannot be deleted`,
          );
        }
        if (instances.hasNodesIn(item.space)) {
          throw new CdfError(
            400,
            `items[${i}].space: space '${item.space}' still has nodes; delete them first (POST /models/instances/delete)`,
          );
        }
      }
      const deleted = items.filter((i) => spaces.delete(i.space));
      return { body: { items: deleted.map((i) => ({ space: i.space })) } };
    },
  });

  registry.add({
    method: "POST",
    pattern: "/models/instances",
    acl: [...INSTANCES_WRITE],
    handler: (req) => {
      const body = parseRequestBody(instanceUpsertBody, req.body, "POST /models/instances");
      const items = instances.upsert(
        body.items.map((item) => ({
          space: item.space,
          externalId: item.externalId,
          existingVersion: item.existingVersion,
          write: item.sources?.[0] ? (item.sources[0].properties ?? {}) : undefined,
        })),
        { replace: body.replace ?? false, skipOnVersionConflict: body.skipOnVersionConflict ?? false },
      );
      return { body: { items } };
    },
  });

  registry.add({
    method: "POST",
    pattern: "/models/instances/byids",
    acl: [...INSTANCES_READ],
    handler: (req) => {
      const body = parseRequestBody(instanceByIdsBody, req.body, "POST /models/instances/byids");
      const selected = body.sources && body.sources.length > 0 ? ["*"] : undefined;
      // CDF answers the instances it has and leaves unknown ones out (no 400, no `missing`).
      const found = body.items.flatMap((ref) => {
        const node = ref.instanceType === "node" ? instances.get(ref) : undefined;
        return node ? [nodeDto(node, selected)] : [];
      });
      return { body: { items: found } };
    },
  });

  registry.add({
    method: "POST",
    pattern: "/models/instances/delete",
    acl: [...INSTANCES_WRITE],
    handler: (req) => {
      const { items } = parseRequestBody(instanceDeleteBody, req.body, "POST /models/instances/delete");
      instances.delete(items.filter((i) => i.instanceType === "node"));
      return {
        body: {
          items: items.map((i) => ({
            instanceType: i.instanceType,
            space: i.space,
            externalId: i.externalId,
          })),
        },
      };
    },
  });

  registry.add({
    method: "POST",
    pattern: "/models/instances/sync",
    acl: [...INSTANCES_READ],
    handler: (req) => {
      const body = parseRequestBody(syncBody, req.body, "POST /models/instances/sync");
      return { body: syncInstances(instances, body, ctx.clock.now()) };
    },
  });

  return { spaces, instances };
}
