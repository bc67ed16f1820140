import type { EmulatorContext, RouteRegistry } from "../context.js";
import type { FileStore } from "../files/index.js";
import type { SessionStore } from "../sessions/index.js";
import { registerCallRoutes } from "./callRoutes.js";
import { registerFunctionCrudRoutes } from "./functionRoutes.js";
import { FunctionsService } from "./functionsService.js";
import { registerScheduleRoutes } from "./scheduleRoutes.js";

export type { CronExpression } from "./cronExpression.js";
export { describeCronExpression, isCronTick, nextCronTick, parseCronExpression } from "./cronExpression.js";
export { FUNCTION_LIMITS, FUNCTION_RUNTIMES } from "./functionLimits.js";
export { FunctionsService } from "./functionsService.js";
export { pythonHarnessPath } from "./pythonHarnessPath.js";

/**
 * Functions, calls and schedules, with the python runtime and the cron scheduler on the
 * virtual clock. Needs the session store (nonces, session tokens) and the file store (code zips).
 */
export function registerFunctionRoutes(
  registry: RouteRegistry,
  ctx: EmulatorContext,
  deps: { sessions: SessionStore; files: FileStore },
): FunctionsService {
  const service = new FunctionsService(ctx, deps.sessions, deps.files);
  registry.addStore("functions", service);
  registerFunctionCrudRoutes(registry, ctx, service);
  registerCallRoutes(registry, service);
  registerScheduleRoutes(registry, service);
  return service;
}
