// `/functions/schedules`: create, list, retrieve, byids, delete, input_data.

import type { z } from "zod";
import { CdfError, type RouteRegistry } from "../context.js";
import { parseRequestBody } from "../parseRequestBody.js";
import { limitOf } from "../requestBody.js";
import { resolveByIds } from "../resolveByIds.js";
import { inTimeRange } from "../timeRange.js";
import { describeCronExpression } from "./cronExpression.js";
import { LIST_LIMIT } from "./functionLimits.js";
import type { FunctionsService } from "./functionsService.js";
import { createScheduleRequest, listSchedulesRequest, scheduleIdsRequest } from "./scheduleRequests.js";
import type { ScheduleRecord } from "./scheduleStore.js";

const READ = [{ acl: "functionsAcl" as const, action: "READ" as const }];
const WRITE = [{ acl: "functionsAcl" as const, action: "WRITE" as const }];

/** The FunctionSchedule shape: `data` and `nonce` are write-only (read data via input_data). */
export function scheduleBody(s: ScheduleRecord) {
  return {
    id: s.id,
    name: s.name,
    ...(s.description === undefined ? {} : { description: s.description }),
    createdTime: s.createdTime,
    cronExpression: s.cronExpression,
    when: describeCronExpression(s.cronExpression),
    functionId: s.functionId,
    ...(s.functionExternalId === undefined ? {} : { functionExternalId: s.functionExternalId }),
    sessionId: String(s.sessionId),
  };
}

export function registerScheduleRoutes(registry: RouteRegistry, service: FunctionsService): void {
  const scheduleFromPath = (idText: string | undefined): ScheduleRecord => {
    const s = service.schedules.get(Number(idText));
    if (!s) throw new CdfError(404, `Function schedule with id ${idText} not found`);
    return s;
  };
  const resolve = (body: z.infer<typeof scheduleIdsRequest>): ScheduleRecord[] =>
    resolveByIds(body.items, (i) => service.schedules.get(i.id), {
      ignoreUnknownIds: body.ignoreUnknownIds,
      notFound: "Function schedules not found",
    });

  registry.add({
    method: "POST",
    pattern: "/functions/schedules",
    acl: WRITE,
    handler(req) {
      const body = parseRequestBody(createScheduleRequest, req.body, "POST /functions/schedules");
      const item = body.items[0] as (typeof body.items)[0];
      const ref =
        item.functionId !== undefined ? { id: item.functionId } : { externalId: item.functionExternalId };
      const fn = service.functions.find(ref);
      if (!fn) {
        throw new CdfError(
          400,
          `Function ${JSON.stringify(ref)} not found: create the function before its schedule`,
        );
      }
      if (
        item.functionId !== undefined &&
        item.functionExternalId !== undefined &&
        fn.externalId !== item.functionExternalId
      ) {
        throw new CdfError(
          400,
          `functionId ${item.functionId} and functionExternalId '${item.functionExternalId}' name different functions`,
        );
      }
      const schedule = service.schedules.create({
        name: item.name,
        cronExpression: item.cronExpression,
        fn,
        nonce: item.nonce,
        ...(item.description === undefined ? {} : { description: item.description }),
        ...(item.data === undefined ? {} : { data: item.data }),
      });
      return { status: 201, body: { items: [scheduleBody(schedule)] } };
    },
  });

  registry.add({
    method: "GET",
    pattern: "/functions/schedules",
    acl: READ,
    handler(req) {
      const limit = limitOf(req.query.get("limit"), "limit", LIST_LIMIT);
      return { body: { items: [...service.schedules.values()].slice(0, limit).map(scheduleBody) } };
    },
  });

  registry.add({
    method: "POST",
    pattern: "/functions/schedules/list",
    acl: READ,
    handler(req) {
      const body = parseRequestBody(listSchedulesRequest, req.body, "POST /functions/schedules/list");
      const f = body.filter ?? {};
      const functionId = f.functionId ?? f.FunctionId;
      const functionExternalId = f.functionExternalId ?? f.FunctionExternalId;
      const items = [...service.schedules.values()].filter(
        (s) =>
          (f.name === undefined || s.name === f.name) &&
          (functionId === undefined || s.functionId === functionId) &&
          (functionExternalId === undefined || s.functionExternalId === functionExternalId) &&
          (f.cronExpression === undefined || s.cronExpression === f.cronExpression) &&
          inTimeRange(s.createdTime, f.createdTime),
      );
      return { body: { items: items.slice(0, body.limit ?? 100).map(scheduleBody) } };
    },
  });

  registry.add({
    method: "POST",
    pattern: "/functions/schedules/byids",
    acl: READ,
    handler(req) {
      const body = parseRequestBody(scheduleIdsRequest, req.body, "POST /functions/schedules/byids");
      return { body: { items: resolve(body).map(scheduleBody) } };
    },
  });

  registry.add({
    method: "GET",
    pattern: "/functions/schedules/:scheduleId",
    acl: READ,
    handler(req) {
      return { body: scheduleBody(scheduleFromPath(req.params.scheduleId)) };
    },
  });

  registry.add({
    method: "GET",
    pattern: "/functions/schedules/:scheduleId/input_data",
    acl: READ,
    handler(req) {
      const s = scheduleFromPath(req.params.scheduleId);
      return { body: { id: s.id, ...(s.data === undefined ? {} : { data: s.data }) } };
    },
  });

  registry.add({
    method: "POST",
    pattern: "/functions/schedules/delete",
    acl: WRITE,
    handler(req) {
      const body = parseRequestBody(scheduleIdsRequest, req.body, "POST /functions/schedules/delete");
      for (const s of resolve(body)) service.schedules.delete(s);
      return { body: {} };
    },
  });
}
