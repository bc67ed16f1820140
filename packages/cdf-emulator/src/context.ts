// The seams between the emulator's parts. The server (server.ts) owns HTTP, routing, auth and
// ACL checks; each CDF resource lives in its own module and registers its routes through
// `RouteRegistry`. A module reaches others only through `EmulatorContext`.

import type { VirtualClock } from "./clock.js";

export type HttpMethod = "GET" | "POST" | "PUT" | "DELETE" | "PATCH";

/** An ACL a route requires, as CDF names them (e.g. { acl: "functionsAcl", action: "WRITE" }). */
export interface AclRequirement {
  acl:
    | "timeSeriesAcl"
    | "rawAcl"
    | "functionsAcl"
    | "sessionsAcl"
    | "filesAcl"
    | "timeSeriesSubscriptionsAcl"
    | "projectsAcl"
    | "groupsAcl"
    | "dataModelsAcl"
    | "dataModelInstancesAcl";
  action: "READ" | "WRITE" | "LIST" | "CREATE" | "DELETE" | "RUN";
}

/** Who made a request: resolved by the server from the bearer token. */
export interface Principal {
  clientId: string;
  /** Set when the token came from a session (function calls). */
  sessionId?: number;
  token: string;
}

export interface EmulatorRequest {
  method: HttpMethod;
  /** Path below `/api/v1/projects/{project}` (e.g. `/timeseries/data/list`), or the full path for raw routes. */
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  /** Parsed JSON body (undefined when there is none or it is not JSON). */
  body: unknown;
  rawBody: Buffer;
  headers: Record<string, string | string[] | undefined>;
  project: string;
  /** Undefined only on routes registered with `auth: false`. */
  principal: Principal | undefined;
}

export interface EmulatorResponse {
  status?: number;
  /** Serialized as JSON unless `raw` is set. */
  body?: unknown;
  raw?: Buffer | string;
  headers?: Record<string, string>;
}

export interface Route {
  method: HttpMethod;
  /** Express-style pattern relative to the project root, e.g. `/functions/:id/calls/:callId`. */
  pattern: string;
  /** ACLs the caller must hold (any one of them suffices). Omit for routes any valid token may call. */
  acl?: AclRequirement[];
  handler: (req: EmulatorRequest) => EmulatorResponse | Promise<EmulatorResponse>;
}

/**
 * A route outside `/api/v1/projects/{project}` (token endpoint, upload URLs, control API).
 * `auth: true` makes the server resolve the bearer token first (e.g. `/api/v1/token/inspect`).
 */
export interface RawRoute {
  method: HttpMethod;
  /** Absolute path pattern, e.g. `/_emulator/upload/:fileId`. */
  pattern: string;
  auth: boolean;
  /** ACLs checked when `auth` is true (any one suffices). */
  acl?: AclRequirement[];
  handler: (req: EmulatorRequest) => EmulatorResponse | Promise<EmulatorResponse>;
}

/** State a module keeps: cleared by `POST /_emulator/reset`, persisted with `--data-dir`. */
export interface EmulatorStore {
  reset(): void;
  /** Write this store's state below `dir` (its own files, e.g. `dir/datapoints/`). */
  save?(dir: string): Promise<void>;
  /** Read what `save` wrote (absent files mean empty). */
  load?(dir: string): Promise<void>;
  /** Release what the store holds outside memory (child processes, timers) when the emulator closes. */
  close?(): Promise<void>;
}

export interface RouteRegistry {
  add(route: Route): void;
  addRaw(route: RawRoute): void;
  addStore(name: string, store: EmulatorStore): void;
}

/** CDF's error body: `{"error": {"code", "message", "missing"?, "duplicated"?}}`. Throw it from a handler. */
export class CdfError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: { missing?: unknown[]; duplicated?: unknown[]; extra?: Record<string, unknown> } = {},
  ) {
    super(message);
  }
}

/** A datapoint change, as the subscription feed needs it (ingestion order). */
export type DatapointChange =
  | {
      kind: "upsert";
      timeSeriesId: number;
      points: Array<{ timestamp: number; value?: number | string | null; status?: { code: number } }>;
    }
  | { kind: "delete"; timeSeriesId: number; inclusiveBegin: number; exclusiveEnd?: number };

export interface TimeSeriesInfo {
  id: number;
  externalId?: string;
  instanceId?: { space: string; externalId: string };
  isString: boolean;
  isStep: boolean;
}

export interface EmulatorContext {
  project: string;
  clock: VirtualClock;
  /** Public base URL of the server (`http://127.0.0.1:PORT`), known once listening. */
  baseUrl(): string;
  /** Issue a bearer token for a client or a session (function calls use session tokens). */
  issueToken(principal: { clientId: string; sessionId?: number }): { accessToken: string; expiresAt: number };
  /** True when `clientId` is a registered client and `clientSecret` is its secret (sessions check this). */
  verifyClientCredentials(clientId: string, clientSecret: string): boolean;
  /** Resolve time series by id / externalId / instanceId (undefined when unknown). */
  findTimeSeries(ref: {
    id?: number;
    externalId?: string;
    instanceId?: { space: string; externalId: string };
  }): TimeSeriesInfo | undefined;
  /** Datapoint changes, in ingestion order, for subscriptions and fault injection. */
  onDatapointChange(listener: (change: DatapointChange, principal: Principal | undefined) => void): void;
  /** The datapoint store reports every insert/delete here; listeners run synchronously, in order. */
  emitDatapointChange(change: DatapointChange, principal: Principal | undefined): void;
  /** Time series deletions (the datapoint store drops the series' points, subscriptions their members). */
  onTimeSeriesDeleted(listener: (id: number) => void): void;
  /** Per-function faults (the function runtime and scheduler) and subscription delivery faults. */
  faults: FunctionFaults;
  settings: EmulatorSettings;
  /** Counters for `GET /_emulator/stats` (the server adds requests per endpoint and status). */
  stats: { datapointsInserted: number; datapointsReturned: number };
}

export interface FunctionFaults {
  /** externalId or id (as string) of a function -> fault settings. */
  byFunction: Map<
    string,
    {
      failDeploy?: boolean;
      skipTickProbability?: number;
      crashAfterDatapointWrites?: number;
      /** Share of ticks whose calls start `lateTickMs` after the tick (with the tick's scheduled_time). */
      lateTickProbability?: number;
      lateTickMs?: number;
      /** Share of ticks that start two calls at once. */
      duplicateTickProbability?: number;
    }
  >;
  /** Subscription externalId, or `*` for every subscription -> delivery disorder of data/list. */
  bySubscription: Map<string, { redeliverProbability?: number; reorderPartitions?: boolean }>;
}

export interface EmulatorSettings {
  /** GET /functions/limits timeoutMinutes (CDF: 9 on Google, 10 on Azure/AWS). */
  functionTimeoutMinutes: number;
  /** Virtual-clock delays of Queued -> Deploying -> Ready. */
  deployQueuedMs: number;
  deployDeployingMs: number;
  /** Lifetime of access tokens on the virtual clock. */
  tokenLifetimeMs: number;
  /** Running calls a function may have before a new call gets a 429 (CDF: 100; README.md, section "CDF facts"). */
  maxRunningCallsPerFunction: number;
  /** Real time after which a call's process is killed, whatever the virtual clock says. */
  functionWallClockCapMs: number;
}
