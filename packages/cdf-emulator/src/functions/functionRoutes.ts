// `/functions`: create, list, byids, retrieve, delete, limits, status (shapes from openapi.json).

import type { z } from "zod";
import { CdfError, type EmulatorContext, type RouteRegistry } from "../context.js";
import { parseRequestBody } from "../parseRequestBody.js";
import { limitOf } from "../requestBody.js";
import { resolveByIds } from "../resolveByIds.js";
import { inTimeRange } from "../timeRange.js";
import { FUNCTION_LIMITS, FUNCTION_RUNTIMES, LIST_LIMIT } from "./functionLimits.js";
import { createFunctionRequest, functionRefsRequest, listFunctionsRequest } from "./functionRequests.js";
import type { FunctionRecord } from "./functionStore.js";
import type { FunctionsService } from "./functionsService.js";

const READ = [{ acl: "functionsAcl" as const, action: "READ" as const }];
const WRITE = [{ acl: "functionsAcl" as const, action: "WRITE" as const }];

const RUNTIME_VERSIONS: Record<string, string> = {
  py310: "Python 3.10",
  py311: "Python 3.11",
  py312: "Python 3.12",
  py313: "Python 3.13",
};

/** The Function shape: secrets are write-only in CDF, so their values come back masked. */
export function functionBody(fn: FunctionRecord) {
  return {
    id: fn.id,
    name: fn.name,
    ...(fn.externalId === undefined ? {} : { externalId: fn.externalId }),
    ...(fn.description === undefined ? {} : { description: fn.description }),
    fileId: fn.fileId,
    ...(fn.owner === undefined ? {} : { owner: fn.owner }),
    functionPath: fn.functionPath,
    createdTime: fn.createdTime,
    status: fn.status,
    ...(fn.metadata === undefined ? {} : { metadata: fn.metadata }),
    ...(fn.secrets === undefined
      ? {}
      : { secrets: Object.fromEntries(Object.keys(fn.secrets).map((k) => [k, "***"])) }),
    ...(fn.envVars === undefined ? {} : { envVars: fn.envVars }),
    cpu: fn.cpu,
    memory: fn.memory,
    runtime: fn.runtime,
    runtimeVersion: RUNTIME_VERSIONS[fn.runtime],
    ...(fn.error === undefined ? {} : { error: fn.error }),
    ...(fn.lastCalled === undefined ? {} : { lastCalled: fn.lastCalled }),
  };
}

/** The function named by a `:functionId` path parameter, or CDF's 404. */
export function functionFromPath(service: FunctionsService, idText: string | undefined): FunctionRecord {
  const id = Number(idText);
  const fn = Number.isInteger(id) ? service.functions.get(id) : undefined;
  if (!fn) throw new CdfError(404, `Function with id ${idText} not found`);
  return fn;
}

function resolveRefs(service: FunctionsService, body: z.infer<typeof functionRefsRequest>): FunctionRecord[] {
  return resolveByIds(body.items, (ref) => service.functions.find(ref), {
    ignoreUnknownIds: body.ignoreUnknownIds,
    notFound: "Functions not found",
  });
}

export function registerFunctionCrudRoutes(
  registry: RouteRegistry,
  ctx: EmulatorContext,
  service: FunctionsService,
): void {
  registry.add({
    method: "POST",
    pattern: "/functions",
    acl: WRITE,
    async handler(req) {
      const body = parseRequestBody(createFunctionRequest, req.body, "POST /functions");
      const {
        indexUrl: _indexUrl,
        extraIndexUrls: _extra,
        ...input
      } = body.items[0] as (typeof body.items)[0];
      const fn = await service.functions.create(input);
      return { status: 201, body: { items: [functionBody(fn)] } };
    },
  });

  registry.add({
    method: "GET",
    pattern: "/functions",
    acl: READ,
    handler(req) {
      const limit = limitOf(req.query.get("limit"), "limit", LIST_LIMIT);
      return { body: { items: [...service.functions.values()].slice(0, limit).map(functionBody) } };
    },
  });

  registry.add({
    method: "POST",
    pattern: "/functions/list",
    acl: READ,
    handler(req) {
      const body = parseRequestBody(listFunctionsRequest, req.body, "POST /functions/list");
      const f = body.filter ?? {};
      const items = [...service.functions.values()].filter(
        (fn) =>
          (f.name === undefined || fn.name === f.name) &&
          (f.owner === undefined || fn.owner === f.owner) &&
          (f.fileId === undefined || fn.fileId === f.fileId) &&
          (f.status === undefined || fn.status === f.status) &&
          (f.externalIdPrefix === undefined || (fn.externalId ?? "").startsWith(f.externalIdPrefix)) &&
          inTimeRange(fn.createdTime, f.createdTime) &&
          Object.entries(f.metadata ?? {}).every(([k, v]) => fn.metadata?.[k] === v),
      );
      return { body: { items: items.slice(0, body.limit ?? 100).map(functionBody) } };
    },
  });

  registry.add({
    method: "POST",
    pattern: "/functions/byids",
    acl: READ,
    handler(req) {
      const body = parseRequestBody(functionRefsRequest, req.body, "POST /functions/byids");
      return { body: { items: resolveRefs(service, body).map(functionBody) } };
    },
  });

  registry.add({
    method: "GET",
    pattern: "/functions/:functionId",
    acl: READ,
    handler(req) {
      return { body: functionBody(functionFromPath(service, req.params.functionId)) };
    },
  });

  registry.add({
    method: "POST",
    pattern: "/functions/delete",
    acl: WRITE,
    handler(req) {
      const body = parseRequestBody(functionRefsRequest, req.body, "POST /functions/delete");
      // CDF deletes the function's schedules with it, but not its code file (README.md, section "CDF facts").
      for (const fn of resolveRefs(service, body)) service.deleteFunction(fn);
      return { body: {} };
    },
  });

  registry.add({
    method: "GET",
    pattern: "/functions/limits",
    acl: READ,
    handler() {
      return {
        body: {
          timeoutMinutes: ctx.settings.functionTimeoutMinutes,
          cpuCores: FUNCTION_LIMITS.cpuCores,
          memoryGb: FUNCTION_LIMITS.memoryGb,
          runtimes: [...FUNCTION_RUNTIMES],
          responseSizeMb: FUNCTION_LIMITS.responseSizeMb,
        },
      };
    },
  });

  // Functions are always activated in the emulator (CDF activates them once per project).
  registry.add({
    method: "GET",
    pattern: "/functions/status",
    acl: READ,
    handler: () => ({ body: { status: "activated" } }),
  });
  registry.add({
    method: "POST",
    pattern: "/functions/status",
    acl: WRITE,
    handler: () => ({ status: 202, body: { status: "activated" } }),
  });
}
