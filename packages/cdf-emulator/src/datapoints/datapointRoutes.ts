// The four /timeseries/data routes. Datapoints use timeSeriesAcl (READ to read, WRITE to insert
// and delete), as the spec's x-capability says.

import type { EmulatorContext, RouteRegistry } from "../context.js";
import { DatapointStore } from "./datapointStore.js";
import { deleteDatapoints } from "./deleteDatapoints.js";
import { insertDatapoints } from "./insertDatapoints.js";
import { latestDatapoints } from "./latestDatapoints.js";
import { listDatapoints } from "./listDatapoints.js";

const JSON_HEADERS = { "content-type": "application/json" };

/** Registers the four routes and returns the store; it drops a deleted time series' points. */
export function registerDatapointRoutes(registry: RouteRegistry, ctx: EmulatorContext): DatapointStore {
  const store = new DatapointStore();
  ctx.onTimeSeriesDeleted((id) => store.deleteSeries(id));
  registry.addStore("datapoints", store);
  const read = [{ acl: "timeSeriesAcl", action: "READ" }] as const;
  const write = [{ acl: "timeSeriesAcl", action: "WRITE" }] as const;
  registry.add({
    method: "POST",
    pattern: "/timeseries/data",
    acl: [...write],
    handler: (req) => {
      insertDatapoints(ctx, store, req.body, req.principal);
      return { body: {} };
    },
  });
  registry.add({
    method: "POST",
    pattern: "/timeseries/data/list",
    acl: [...read],
    handler: (req) => ({ raw: listDatapoints(ctx, store, req.body), headers: JSON_HEADERS }),
  });
  registry.add({
    method: "POST",
    pattern: "/timeseries/data/latest",
    acl: [...read],
    handler: (req) => ({ raw: latestDatapoints(ctx, store, req.body), headers: JSON_HEADERS }),
  });
  registry.add({
    method: "POST",
    pattern: "/timeseries/data/delete",
    acl: [...write],
    handler: (req) => {
      deleteDatapoints(ctx, store, req.body, req.principal);
      return { body: {} };
    },
  });
  return store;
}
