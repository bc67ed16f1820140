// Datapoint subscriptions (`/timeseries/subscriptions/*`): routes with CDF's shapes, status
// codes and ACLs (timeSeriesSubscriptionsAcl READ/WRITE). State and semantics live in
// subscriptionStore.ts, request bodies in subscriptionRequests.ts.

import { CdfError, type EmulatorContext, type RouteRegistry } from "../context.js";
import { pageOf } from "../pageOf.js";
import { parseRequestBody } from "../parseRequestBody.js";
import { decodeCursor, encodeCursor, limitOf } from "../requestBody.js";
import {
  byIdsSubscriptionRequest,
  createSubscriptionRequest,
  deleteSubscriptionRequest,
  listSubscriptionDataRequest,
  updateSubscriptionRequest,
} from "./subscriptionRequests.js";
import { SubscriptionStore } from "./subscriptionStore.js";

const READ = [{ acl: "timeSeriesSubscriptionsAcl", action: "READ" }] as const;
const WRITE = [{ acl: "timeSeriesSubscriptionsAcl", action: "WRITE" }] as const;

export function registerSubscriptionRoutes(registry: RouteRegistry, ctx: EmulatorContext): SubscriptionStore {
  const store = new SubscriptionStore(ctx);
  registry.addStore("subscriptions", store);
  ctx.onDatapointChange((change) => store.onDatapointChange(change));
  ctx.onTimeSeriesDeleted((id) => store.onTimeSeriesDeleted(id));

  registry.add({
    method: "POST",
    pattern: "/timeseries/subscriptions",
    acl: [...WRITE],
    handler: (req) => {
      const body = parseRequestBody(createSubscriptionRequest, req.body, "Create subscriptions");
      return { status: 201, body: { items: body.items.map((item) => store.create(item)) } };
    },
  });

  registry.add({
    method: "GET",
    pattern: "/timeseries/subscriptions",
    acl: [...READ],
    handler: (req) => {
      const limit = limitOf(req.query.get("limit") ?? undefined, "limit", { default: 100, max: 100 });
      const after = decodeCursor(req.query.get("cursor") ?? undefined, "List subscriptions");
      const page = store.list(typeof after === "number" ? after : 0, limit);
      const body: Record<string, unknown> = { items: page.items };
      if (page.more && page.last !== undefined) body["nextCursor"] = encodeCursor(page.last);
      return { body };
    },
  });

  registry.add({
    method: "POST",
    pattern: "/timeseries/subscriptions/byids",
    acl: [...READ],
    handler: (req) => {
      const body = parseRequestBody(byIdsSubscriptionRequest, req.body, "Retrieve subscriptions");
      const items = body.items.flatMap((i) => store.retrieve(i.externalId, body.ignoreUnknownIds ?? false));
      return { body: { items } };
    },
  });

  registry.add({
    method: "POST",
    pattern: "/timeseries/subscriptions/update",
    acl: [...WRITE],
    handler: (req) => {
      const body = parseRequestBody(updateSubscriptionRequest, req.body, "Update subscriptions");
      return { body: { items: body.items.map((i) => store.update(i.externalId, i.update)) } };
    },
  });

  registry.add({
    method: "POST",
    pattern: "/timeseries/subscriptions/delete",
    acl: [...WRITE],
    handler: (req) => {
      const body = parseRequestBody(deleteSubscriptionRequest, req.body, "Delete subscriptions");
      for (const i of body.items) store.delete(i.externalId, body.ignoreUnknownIds ?? false);
      return { body: {} };
    },
  });

  registry.add({
    method: "GET",
    pattern: "/timeseries/subscriptions/members",
    acl: [...READ],
    handler: (req) => {
      const externalId = req.query.get("externalId");
      if (!externalId) {
        throw new CdfError(
          400,
          "List subscription members: the query parameter externalId (of the subscription) is required",
        );
      }
      const limit = limitOf(req.query.get("limit") ?? undefined, "limit", { default: 100, max: 100 });
      const cursor = req.query.get("cursor");
      return { body: pageOf(store.members(externalId), cursor, limit, "List subscription members") };
    },
  });

  registry.add({
    method: "POST",
    pattern: "/timeseries/subscriptions/data/list",
    acl: [...READ],
    handler: async (req) => {
      const body = parseRequestBody(listSubscriptionDataRequest, req.body, "List subscription data");
      return { body: await store.listData(body) };
    },
  });

  return store;
}
