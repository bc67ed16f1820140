// The control API: what tests, benchmarks and the demo use to drive the emulator, in process
// (`EmulatorControl`) and over HTTP below `/_emulator/` (no token needed: it is not CDF).
// The virtual clock, faults (per path and per function), reset, stats, restricted clients,
// data-model time series (which CDF creates through data modeling, out of scope here), save.

import type { AuthService, ClientDefinition } from "./auth.js";
import { clockTimeProblem } from "./checkEmulatorOptions.js";
import type { VirtualClock } from "./clock.js";
import { CdfError, type EmulatorContext, type EmulatorRequest, type RouteRegistry } from "./context.js";
import {
  clientBody,
  clockBody,
  controlTimeSeriesBody,
  faultBody,
  functionFaultBody,
  subscriptionFaultBody,
} from "./controlRequests.js";
import { parseRequestBody } from "./parseRequestBody.js";
import type { PathFault, PathFaultSpec, PathFaults } from "./pathFaults.js";
import type { SaveReport } from "./SaveError.js";
import type { RequestStats } from "./server.js";
import {
  type TimeSeries,
  type TimeSeriesCreate,
  type TimeSeriesStore,
  timeSeriesCreateOf,
} from "./timeseries/index.js";

export interface FunctionFaultSpec {
  /** externalId (or id as a string) of the function. */
  function: string;
  failDeploy?: boolean;
  skipTickProbability?: number;
  crashAfterDatapointWrites?: number;
  /** Share (0-1) of ticks whose calls start `lateTickMs` later on the virtual clock. */
  lateTickProbability?: number;
  /** How late (ms, 1 to one day); as long as the schedule's interval, the late call runs alongside the next tick's. */
  lateTickMs?: number;
  /** Share (0-1) of ticks that start two calls at once. */
  duplicateTickProbability?: number;
}

export interface SubscriptionFaultSpec {
  /** externalId of the subscription, or `*` for every subscription (its own settings win). */
  subscription: string;
  /** Chance (0-1) that data/list hands out a partition cursor that lags, so changes come again. */
  redeliverProbability?: number;
  /** Interleave partitions in an arbitrary order instead of ingestion order (each partition keeps its own). */
  reorderPartitions?: boolean;
}

export interface EmulatorStats {
  /** `METHOD pattern` -> status -> count (e.g. `{"POST /timeseries/data/list": {"200": 12}}`). */
  requests: RequestStats;
  datapointsInserted: number;
  datapointsReturned: number;
  /** The last save to the data dir (absent before the first, and without a data dir). */
  lastSave?: SaveReport;
}

export interface EmulatorControl {
  readonly clock: VirtualClock;
  /** Virtual now, ms since the epoch. */
  now(): number;
  /** Jump to a time (ms or ISO 8601); moving forward fires every due wake-up in order. */
  setClock(time: number | string, options?: { wait?: boolean }): Promise<number>;
  /** Move forward by ms or a duration like "10m" / "1h" / "2d". */
  advanceClock(by: number | string, options?: { wait?: boolean }): Promise<number>;
  addFault(fault: PathFaultSpec): PathFault;
  listFaults(): PathFault[];
  addFunctionFault(fault: FunctionFaultSpec): void;
  /** Make a subscription's data/list deliver changes again and out of order across partitions. */
  addSubscriptionFault(fault: SubscriptionFaultSpec): void;
  clearFaults(): void;
  /** Clear every store, stats and faults; clients, tokens and the clock stay. */
  reset(): Promise<void>;
  stats(): EmulatorStats;
  addClient(client: ClientDefinition): void;
  /** A bearer token for a client (default: the emulator's own client), for `oidcTokenProvider`. */
  token(clientId?: string): string;
  /** Create time series directly, including data-model ones addressed by `instanceId`. */
  createTimeSeries(items: Array<TimeSeriesCreate>): TimeSeries[];
  /**
   * Persist every store to the data dir now (no-op without one). Rejects with a `SaveError` naming
   * each resource that could not be written; the others are written all the same.
   */
  save(): Promise<void>;
}

export interface ControlDeps {
  ctx: EmulatorContext;
  auth: AuthService;
  pathFaults: PathFaults;
  timeSeries: TimeSeriesStore;
  /** Creates series; data-model ones (instanceId) as CogniteTimeSeries nodes (models/createTimeSeriesNodes.ts). */
  createTimeSeries?(items: TimeSeriesCreate[]): TimeSeries[];
  defaultClientId: string;
  resetStores(): Promise<void>;
  requestStats(): RequestStats;
  resetRequestStats(): void;
  save(): Promise<void>;
  lastSave(): SaveReport | undefined;
}

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$/;
const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

export function parseDuration(value: number | string, what: string): number {
  if (typeof value === "number" && Number.isFinite(value)) return value;
  const match = typeof value === "string" ? DURATION.exec(value.trim()) : null;
  if (!match)
    throw new CdfError(
      400,
      `${what} must be ms or a duration like '90s', '10m', '1h', '2d' (got ${JSON.stringify(value)}).`,
    );
  return Number(match[1]) * (UNIT_MS[match[2] as string] as number);
}

export function parseTime(value: number | string, what: string): number {
  if (typeof value === "number" && Number.isFinite(value)) return value;
  const ms = typeof value === "string" ? Date.parse(value) : Number.NaN;
  if (!Number.isFinite(ms))
    throw new CdfError(
      400,
      `${what} must be ms since the epoch or an ISO 8601 time (got ${JSON.stringify(value)}).`,
    );
  return ms;
}

function rejectOutsideCdfTimes(target: number, what: string): void {
  const problem = clockTimeProblem(target);
  if (problem !== undefined) throw new CdfError(400, `${what} ${problem}`);
}

export function createControl(deps: ControlDeps): EmulatorControl {
  const { ctx, auth, pathFaults, timeSeries } = deps;
  return {
    clock: ctx.clock,
    now: () => ctx.clock.now(),
    async setClock(time, options) {
      const target = parseTime(time, "clock set");
      rejectOutsideCdfTimes(target, "clock set:");
      await ctx.clock.set(target, options);
      return ctx.clock.now();
    },
    async advanceClock(by, options) {
      const ms = parseDuration(by, "clock advance");
      if (ms < 0) throw new CdfError(400, `clock advance must be >= 0 (got ${ms}); use set to move back.`);
      rejectOutsideCdfTimes(ctx.clock.now() + ms, `clock advance by ${ms} ms would reach`);
      await ctx.clock.advance(ms, options);
      return ctx.clock.now();
    },
    addFault: (fault) => pathFaults.add(fault),
    listFaults: () => pathFaults.list(),
    addFunctionFault(fault) {
      if (typeof fault.function !== "string" || fault.function.length === 0) {
        throw new CdfError(
          400,
          "A function fault needs `function`: the function's externalId (or id as a string).",
        );
      }
      const { function: key, ...settings } = parseRequestBody(functionFaultBody, fault, "function fault");
      const merged = { ...ctx.faults.byFunction.get(key), ...settings };
      if ((merged.lateTickProbability ?? 0) > 0 && merged.lateTickMs === undefined)
        throw new CdfError(
          400,
          "lateTickProbability needs lateTickMs: how late (ms) a late tick's calls start.",
        );
      ctx.faults.byFunction.set(key, merged);
    },
    addSubscriptionFault(fault) {
      const { subscription, ...settings } = parseRequestBody(
        subscriptionFaultBody,
        fault,
        "subscription fault",
      );
      ctx.faults.bySubscription.set(subscription, {
        ...ctx.faults.bySubscription.get(subscription),
        ...settings,
      });
    },
    clearFaults() {
      pathFaults.clear();
      ctx.faults.byFunction.clear();
      ctx.faults.bySubscription.clear();
    },
    async reset() {
      await deps.resetStores();
      pathFaults.clear();
      ctx.faults.byFunction.clear();
      ctx.faults.bySubscription.clear();
      ctx.stats.datapointsInserted = 0;
      ctx.stats.datapointsReturned = 0;
      deps.resetRequestStats();
    },
    stats: () => {
      const lastSave = deps.lastSave();
      return {
        requests: deps.requestStats(),
        datapointsInserted: ctx.stats.datapointsInserted,
        datapointsReturned: ctx.stats.datapointsReturned,
        ...(lastSave === undefined ? {} : { lastSave: structuredClone(lastSave) }),
      };
    },
    addClient: (client) => auth.addClient(client),
    token(clientId = deps.defaultClientId) {
      if (!auth.hasClient(clientId))
        throw new CdfError(400, `No client '${clientId}'; add it with addClient first.`);
      return auth.issueToken({ clientId }).accessToken;
    },
    createTimeSeries: (items) => deps.createTimeSeries?.(items) ?? timeSeries.create(items),
    save: () => deps.save(),
  };
}

/** `/_emulator/*` over HTTP, backed by the same `EmulatorControl`. */
export function registerControlRoutes(
  registry: RouteRegistry,
  ctx: EmulatorContext,
  control: EmulatorControl,
): void {
  const route = (
    method: "GET" | "POST" | "DELETE",
    pattern: string,
    handler: (req: EmulatorRequest) => unknown,
  ) =>
    registry.addRaw({
      method,
      pattern: `/_emulator${pattern}`,
      auth: false,
      handler: async (req) => ({ body: await handler(req) }),
    });

  route("GET", "/health", () => ({ status: "ok", project: ctx.project, now: control.now() }));
  route("GET", "/clock", () => ({ now: control.now() }));
  route("POST", "/clock", async (req) => {
    const body = parseRequestBody(clockBody, req.body, "POST /_emulator/clock");
    const options = body.wait === undefined ? {} : { wait: body.wait };
    return {
      now:
        "set" in body
          ? await control.setClock(body.set, options)
          : await control.advanceClock(body.advance, options),
    };
  });
  route("GET", "/faults", () => ({
    paths: control.listFaults(),
    functions: Object.fromEntries(ctx.faults.byFunction),
    subscriptions: Object.fromEntries(ctx.faults.bySubscription),
  }));
  route("POST", "/faults", (req) => {
    const body = parseRequestBody(faultBody, req.body, "POST /_emulator/faults");
    if ("subscription" in body) {
      control.addSubscriptionFault(body);
      return { subscription: body.subscription, ...ctx.faults.bySubscription.get(body.subscription) };
    }
    if ("function" in body) {
      control.addFunctionFault(body);
      return { function: body.function, ...ctx.faults.byFunction.get(body.function) };
    }
    return control.addFault(body);
  });
  route("DELETE", "/faults", () => {
    control.clearFaults();
    return {};
  });
  route("POST", "/reset", async () => {
    await control.reset();
    return {};
  });
  route("GET", "/stats", () => control.stats());
  route("POST", "/clients", (req) => {
    const body = parseRequestBody(clientBody, req.body, "POST /_emulator/clients");
    control.addClient(body as ClientDefinition);
    return { clientId: body.clientId };
  });
  route("POST", "/timeseries", (req) => {
    const { items } = parseRequestBody(controlTimeSeriesBody, req.body, "POST /_emulator/timeseries");
    return { items: control.createTimeSeries(items.map(timeSeriesCreateOf)) };
  });
  route("POST", "/save", async () => {
    await control.save();
    return {};
  });
}
