// `startEmulator`: builds the context every module shares, registers every module's routes on
// one server, loads persisted state (`dataDir`), listens, and returns what a client needs
// (base URL, token URL, client credentials, project) plus the in-process control handle.

import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { AuthService, type ClientDefinition, registerAuthRoutes, TOKEN_PATH } from "./auth.js";
import { checkEmulatorOptions } from "./checkEmulatorOptions.js";
import { VirtualClock } from "./clock.js";
import type { DatapointChange, EmulatorContext, EmulatorSettings, Principal } from "./context.js";
import { createControl, type EmulatorControl, parseTime, registerControlRoutes } from "./control.js";
import { registerDatapointRoutes } from "./datapoints/index.js";
import { registerFileRoutes } from "./files/index.js";
import { FUNCTION_LIMITS } from "./functions/functionLimits.js";
import { registerFunctionRoutes } from "./functions/index.js";
import { createTimeSeriesNodes } from "./models/createTimeSeriesNodes.js";
import { registerModelRoutes } from "./models/index.js";
import { PathFaults } from "./pathFaults.js";
import { registerRawRoutes } from "./raw/index.js";
import { SaveError, type SaveFailure, type SaveReport } from "./SaveError.js";
import { EmulatorServer } from "./server.js";
import { registerSessionRoutes } from "./sessions/index.js";
import { readStateFile, StateFileError, writeStateFile } from "./stateFile.js";
import { registerSubscriptionRoutes } from "./subscriptions/index.js";
import type { ContractHook } from "./testing/contractRecorder.js";
import { registerTimeSeriesRoutes, type TimeSeriesStore, timeSeriesInfo } from "./timeseries/index.js";

export interface EmulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Interface to listen on; default 127.0.0.1. */
  host?: string;
  /** Default "emulator". */
  project?: string;
  /** Start of the virtual clock: ms or ISO 8601 (default 2024-01-01T00:00:00Z). A persisted clock wins. */
  clock?: number | string;
  /** Persist state here: loaded on start, saved on close and on `POST /_emulator/save`. */
  dataDir?: string;
  /** Extra clients (e.g. least-privilege ones); the default client always exists. */
  clients?: ClientDefinition[];
  settings?: Partial<EmulatorSettings>;
  /** Tests: called once per /api/v1 exchange to validate it against Cognite's OpenAPI document. */
  contractHook?: ContractHook;
}

export interface Emulator {
  /** `http://127.0.0.1:PORT`: give it to `new CogniteClient({ baseUrl })`. */
  baseUrl: string;
  /** OAuth2 client-credentials token endpoint. */
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  project: string;
  control: EmulatorControl;
  /** Saves to `dataDir` (when set), then stops the server. */
  close(): Promise<void>;
}

export const DEFAULT_CLIENT_ID = "emulator-client";
export const DEFAULT_CLIENT_SECRET = "emulator-secret";

/** What `startEmulator` uses for each setting its `settings` option leaves out. */
export const DEFAULT_SETTINGS: Readonly<EmulatorSettings> = {
  functionTimeoutMinutes: 10,
  deployQueuedMs: 5_000,
  deployDeployingMs: 30_000,
  tokenLifetimeMs: 3_600_000,
  maxRunningCallsPerFunction: FUNCTION_LIMITS.runningCallsPerFunction,
  // A safety net for a handler that never returns while the virtual clock stands still.
  functionWallClockCapMs: 10 * 60_000,
};

export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const project = options.project ?? "emulator";
  const dataDir = options.dataDir;
  const startClock = options.clock === undefined ? undefined : parseTime(options.clock, "clock");
  await checkEmulatorOptions({
    project,
    ...(options.port === undefined ? {} : { port: options.port }),
    ...(dataDir === undefined ? {} : { dataDir }),
    ...(startClock === undefined ? {} : { clock: startClock }),
  });
  const savedClock = dataDir ? await readClock(dataDir) : undefined;
  // Start at the persisted time directly: moving the clock there would fire every tick in between.
  const clock = new VirtualClock(savedClock ?? startClock);

  let baseUrl = "";
  let timeSeries: TimeSeriesStore | undefined;
  const changeListeners: Array<(change: DatapointChange, principal: Principal | undefined) => void> = [];
  const deletedListeners: Array<(id: number) => void> = [];
  const settings: EmulatorSettings = { ...DEFAULT_SETTINGS, ...options.settings };
  const ctxRef: { auth?: AuthService } = {};
  const ctx: EmulatorContext = {
    project,
    clock,
    baseUrl: () => baseUrl,
    issueToken: (principal) => (ctxRef.auth as AuthService).issueToken(principal),
    verifyClientCredentials: (clientId, clientSecret) =>
      (ctxRef.auth as AuthService).verifyClientCredentials(clientId, clientSecret),
    findTimeSeries: (ref) => {
      const ts = timeSeries?.find(ref);
      return ts ? timeSeriesInfo(ts) : undefined;
    },
    onDatapointChange: (listener) => {
      changeListeners.push(listener);
    },
    emitDatapointChange: (change, principal) => {
      for (const listener of changeListeners) listener(change, principal);
    },
    onTimeSeriesDeleted: (listener) => {
      deletedListeners.push(listener);
    },
    faults: { byFunction: new Map(), bySubscription: new Map() },
    settings,
    stats: { datapointsInserted: 0, datapointsReturned: 0 },
  };
  const auth = new AuthService(ctx, () => `${baseUrl}${TOKEN_PATH}`);
  ctxRef.auth = auth;
  auth.addClient({ clientId: DEFAULT_CLIENT_ID, clientSecret: DEFAULT_CLIENT_SECRET });
  for (const client of options.clients ?? []) auth.addClient(client);

  const pathFaults = new PathFaults();
  const server = new EmulatorServer(ctx, auth, pathFaults, options.contractHook);
  registerAuthRoutes(server, ctx, auth);
  timeSeries = registerTimeSeriesRoutes(server, ctx);
  timeSeries.onDeleted((id) => {
    for (const listener of deletedListeners) listener(id);
  });
  const models = registerModelRoutes(server, ctx, timeSeries);
  registerRawRoutes(server, ctx);
  registerDatapointRoutes(server, ctx);
  const sessions = registerSessionRoutes(server, ctx);
  const files = registerFileRoutes(server, ctx);
  registerFunctionRoutes(server, ctx, { sessions, files });
  registerSubscriptionRoutes(server, ctx);

  let lastSave: SaveReport | undefined;
  // Every resource is attempted even when one fails, so one unsavable resource costs only itself;
  // each failure is logged and kept for /_emulator/stats, and the save as a whole fails.
  const saveOnce = async (): Promise<void> => {
    if (!dataDir) return;
    const failures: SaveFailure[] = [];
    const attempt = async (resource: string, write: () => Promise<void> | undefined) => {
      try {
        await write();
      } catch (e) {
        const reason = e instanceof Error ? e.message : String(e);
        failures.push({ resource, reason });
        console.error(`cdf-emulator: saving ${resource} to ${dataDir} failed: ${reason}`);
      }
    };
    await attempt("data dir", () => mkdir(dataDir, { recursive: true }).then(() => undefined));
    for (const [name, store] of server.stores()) await attempt(name, () => store.save?.(dataDir));
    await attempt("auth", () => auth.save(dataDir));
    await attempt("clock", () => writeClock(dataDir, clock.now()));
    lastSave = { at: new Date().toISOString(), dataDir, failures };
    if (failures.length > 0) throw new SaveError(dataDir, failures);
  };
  // Saves run one at a time: two at once would write the same files and generation directory
  // (a POST /_emulator/save racing another, or the save on exit).
  let saving: Promise<void> = Promise.resolve();
  const save = (): Promise<void> => {
    const run = saving.then(saveOnce, saveOnce);
    saving = run.catch(() => undefined);
    return run;
  };
  const control = createControl({
    ctx,
    auth,
    pathFaults,
    timeSeries,
    createTimeSeries: (items) => createTimeSeriesNodes(models, timeSeries as TimeSeriesStore, items),
    defaultClientId: DEFAULT_CLIENT_ID,
    resetStores: async () => {
      for (const store of server.stores().values()) store.reset();
    },
    requestStats: () => server.requestStats(),
    resetRequestStats: () => server.resetStats(),
    save,
    lastSave: () => lastSave,
  });
  registerControlRoutes(server, ctx, control);

  if (dataDir) {
    await auth.load(dataDir);
    for (const store of server.stores().values()) await store.load?.(dataDir);
  }

  const host = options.host ?? "127.0.0.1";
  const port = await server.listen(options.port ?? 0, host);
  const publicHost = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host;
  baseUrl = `http://${publicHost.includes(":") ? `[${publicHost}]` : publicHost}:${port}`;

  let closed = false;
  return {
    baseUrl,
    tokenUrl: `${baseUrl}${TOKEN_PATH}`,
    clientId: DEFAULT_CLIENT_ID,
    clientSecret: DEFAULT_CLIENT_SECRET,
    project,
    control,
    async close() {
      if (closed) return;
      closed = true;
      await server.close();
      for (const store of server.stores().values()) await store.close?.();
      await save();
    },
  };
}

async function readClock(dir: string): Promise<number | undefined> {
  const state = await readStateFile<{ now?: unknown }>(dir, "clock.json");
  if (state === undefined) return undefined;
  if (typeof state?.now !== "number" || !Number.isFinite(state.now)) {
    throw new StateFileError(join(dir, "clock.json"), `has no "now" in ms (got ${JSON.stringify(state)})`);
  }
  return state.now;
}

async function writeClock(dir: string, now: number): Promise<void> {
  await writeStateFile(dir, "clock.json", { now, iso: new Date(now).toISOString() });
}
