// `/functions/{functionId}/call` and the call read endpoints (retrieve, list, byids, response, logs).

import { CdfError, type RouteRegistry } from "../context.js";
import { parseRequestBody } from "../parseRequestBody.js";
import { decodeCursor, encodeCursor, limitOf } from "../requestBody.js";
import { resolveByIds } from "../resolveByIds.js";
import { inTimeRange } from "../timeRange.js";
import { callFunctionRequest, callIdsRequest, listCallsRequest } from "./callRequests.js";
import type { CallRecord } from "./callStore.js";
import { LIST_LIMIT } from "./functionLimits.js";
import { functionFromPath } from "./functionRoutes.js";
import type { FunctionsService } from "./functionsService.js";

const READ = [{ acl: "functionsAcl" as const, action: "READ" as const }];
// openapi.json (x-capability of POST /functions/{functionId}/call): functionsAcl:RUN, not WRITE.
const RUN = [{ acl: "functionsAcl" as const, action: "RUN" as const }];

export function callBodyOf(call: CallRecord) {
  return {
    id: call.id,
    functionId: call.functionId,
    status: call.status,
    startTime: call.startTime,
    ...(call.endTime === undefined ? {} : { endTime: call.endTime }),
    ...(call.error === undefined ? {} : { error: call.error }),
    ...(call.scheduleId === undefined ? {} : { scheduleId: call.scheduleId }),
    ...(call.scheduledTime === undefined ? {} : { scheduledTime: call.scheduledTime }),
  };
}

/** Calls newest first; the cursor is the id below which the next page continues. */
function callPage(calls: CallRecord[], cursor: string | undefined | null, limit: number) {
  const after = decodeCursor(cursor, "calls cursor");
  if (after !== undefined && !Number.isInteger(after)) {
    throw new CdfError(
      400,
      `calls cursor: cursor '${cursor}' is not one this endpoint issued; pass back a nextCursor exactly as the API returned it.`,
    );
  }
  const below = after === undefined ? Number.POSITIVE_INFINITY : (after as number);
  const sorted = calls.filter((c) => c.id < below).sort((a, b) => b.id - a.id);
  const page = sorted.slice(0, limit);
  const last = page[page.length - 1];
  return {
    items: page.map(callBodyOf),
    ...(sorted.length > limit && last ? { nextCursor: encodeCursor(last.id) } : {}),
  };
}

export function registerCallRoutes(registry: RouteRegistry, service: FunctionsService): void {
  const callFromPath = (functionIdText: string | undefined, callIdText: string | undefined): CallRecord => {
    const fn = functionFromPath(service, functionIdText);
    const call = service.calls.get(Number(callIdText));
    if (!call || call.functionId !== fn.id) {
      throw new CdfError(404, `Function call with id ${callIdText} not found for function ${fn.id}`);
    }
    return call;
  };

  registry.add({
    method: "POST",
    pattern: "/functions/:functionId/call",
    acl: RUN,
    handler(req) {
      const fn = functionFromPath(service, req.params.functionId);
      const body = parseRequestBody(callFunctionRequest, req.body, `POST /functions/${fn.id}/call`);
      const call = service.calls.call(fn, body.data, body.nonce);
      return { status: 201, body: callBodyOf(call) };
    },
  });

  registry.add({
    method: "GET",
    pattern: "/functions/:functionId/calls",
    acl: READ,
    handler(req) {
      const fn = functionFromPath(service, req.params.functionId);
      const limit = limitOf(req.query.get("limit"), "limit", LIST_LIMIT);
      const calls = [...service.calls.values()].filter((c) => c.functionId === fn.id);
      return { body: callPage(calls, req.query.get("cursor"), limit) };
    },
  });

  registry.add({
    method: "POST",
    pattern: "/functions/:functionId/calls/list",
    acl: READ,
    handler(req) {
      const fn = functionFromPath(service, req.params.functionId);
      const body = parseRequestBody(listCallsRequest, req.body, `POST /functions/${fn.id}/calls/list`);
      const f = body.filter ?? {};
      const calls = [...service.calls.values()].filter(
        (c) =>
          c.functionId === fn.id &&
          (f.scheduleId === undefined || c.scheduleId === f.scheduleId) &&
          (f.status === undefined || c.status === f.status) &&
          inTimeRange(c.startTime, f.startTime) &&
          inTimeRange(c.endTime, f.endTime),
      );
      return { body: callPage(calls, body.cursor, body.limit ?? 100) };
    },
  });

  registry.add({
    method: "POST",
    pattern: "/functions/:functionId/calls/byids",
    acl: READ,
    handler(req) {
      const fn = functionFromPath(service, req.params.functionId);
      const body = parseRequestBody(callIdsRequest, req.body, `POST /functions/${fn.id}/calls/byids`);
      const found = (id: number) => {
        const c = service.calls.get(id);
        return c && c.functionId === fn.id ? c : undefined;
      };
      const calls = resolveByIds(body.items, (i) => found(i.id), {
        ignoreUnknownIds: body.ignoreUnknownIds,
        notFound: "Function calls not found",
      });
      return { body: { items: calls.map(callBodyOf) } };
    },
  });

  registry.add({
    method: "GET",
    pattern: "/functions/:functionId/calls/:callId",
    acl: READ,
    handler(req) {
      return { body: callBodyOf(callFromPath(req.params.functionId, req.params.callId)) };
    },
  });

  registry.add({
    method: "GET",
    pattern: "/functions/:functionId/calls/:callId/response",
    acl: READ,
    handler(req) {
      const call = callFromPath(req.params.functionId, req.params.callId);
      const response = service.calls.responseOf(call.id);
      return {
        body: {
          callId: call.id,
          functionId: call.functionId,
          ...(response === undefined ? {} : { response }),
        },
      };
    },
  });

  registry.add({
    method: "GET",
    pattern: "/functions/:functionId/calls/:callId/logs",
    acl: READ,
    handler(req) {
      const call = callFromPath(req.params.functionId, req.params.callId);
      return { body: { items: service.calls.logsOf(call.id) } };
    },
  });
}
