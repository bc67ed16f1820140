// The emulator's HTTP front: node:http, no framework. For every request, in CDF's order:
// injected faults (before anything, as a overloaded CDF would answer), route lookup, bearer
// token, project, ACL, JSON body, handler, then `afterApply` faults (the effect stays, the
// answer is lost). Every failure leaves as CDF's error body
// `{"error": {"code", "message", ...}}` and every response carries `x-request-id` (CDF does, and
// support asks for it).

import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { AuthService } from "./auth.js";
import {
  CdfError,
  type EmulatorContext,
  type EmulatorRequest,
  type EmulatorResponse,
  type EmulatorStore,
  type HttpMethod,
  type RawRoute,
  type Route,
  type RouteRegistry,
} from "./context.js";
import { type FaultDecision, PathFaults } from "./pathFaults.js";
import { readRequestBody } from "./readRequestBody.js";
import { Router } from "./router.js";
import type { ContractHook } from "./testing/contractRecorder.js";

const PROJECT_PREFIX = "/api/v1/projects/";
const METHODS: HttpMethod[] = ["GET", "POST", "PUT", "DELETE", "PATCH"];

/** Requests per `METHOD pattern`, then per status code. */
export type RequestStats = Record<string, Record<string, number>>;

export class EmulatorServer implements RouteRegistry {
  readonly #projectRoutes = new Router<Route>();
  readonly #rawRoutes = new Router<RawRoute>();
  readonly #stores = new Map<string, EmulatorStore>();
  readonly #sockets = new Set<Socket>();
  #requests: RequestStats = {};
  #server: Server | undefined;

  constructor(
    readonly ctx: EmulatorContext,
    readonly auth: AuthService,
    readonly faults: PathFaults,
    /** Tests: sees every /api/v1 exchange to validate it against Cognite's OpenAPI document. */
    readonly contractHook?: ContractHook,
  ) {}

  add(route: Route): void {
    this.#projectRoutes.add(route.method, route.pattern, route);
  }

  addRaw(route: RawRoute): void {
    this.#rawRoutes.add(route.method, route.pattern, route);
  }

  addStore(name: string, store: EmulatorStore): void {
    if (this.#stores.has(name)) throw new Error(`store '${name}' is registered twice`);
    this.#stores.set(name, store);
  }

  stores(): ReadonlyMap<string, EmulatorStore> {
    return this.#stores;
  }

  requestStats(): RequestStats {
    return structuredClone(this.#requests);
  }

  resetStats(): void {
    this.#requests = {};
  }

  async listen(port: number, host: string): Promise<number> {
    const server = createServer((req, res) => {
      this.#handle(req, res).catch((e: unknown) => {
        // Only reached if writing the response itself failed (client went away).
        if (!res.headersSent) res.writeHead(500);
        res.end();
        if (process.env.CDF_EMULATOR_DEBUG) console.error("cdf-emulator: response failed", e);
      });
    });
    server.keepAliveTimeout = 65_000;
    server.on("connection", (socket) => {
      this.#sockets.add(socket);
      socket.on("close", () => this.#sockets.delete(socket));
    });
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => {
        server.off("error", reject);
        resolve();
      });
    });
    return (server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    this.#server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    // Keep-alive sockets of clients that are still around would hold close() forever.
    for (const socket of this.#sockets) socket.destroy();
    await closed;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = randomUUID();
    const url = new URL(req.url ?? "/", "http://emulator.invalid");
    const method = (req.method ?? "GET").toUpperCase();
    const path = url.pathname;
    let statsKey = `${method} (no route)`;
    let response: EmulatorResponse;
    let requestJson: unknown;
    let afterApply: FaultDecision["afterApply"];
    try {
      const projectPath = path.startsWith(PROJECT_PREFIX) ? projectRelative(path) : undefined;
      const raw = this.#rawRoutes.match(method, path);
      const project =
        raw.found || !projectPath ? undefined : this.#projectRoutes.match(method, projectPath.rest);
      const pattern = raw.found?.route.pattern ?? project?.found?.route.pattern;
      if (pattern !== undefined) statsKey = `${method} ${pattern}`;

      const decision = this.faults.decide(method, projectPath ? [path, projectPath.rest] : [path]);
      if (decision.latencyMs > 0) await sleep(decision.latencyMs);
      if (decision.drop) {
        this.#count(statsKey, "dropped");
        req.socket.destroy();
        return;
      }
      if (decision.status !== undefined) throw PathFaults.errorFor(decision.status);
      afterApply = decision.afterApply;
      if (!METHODS.includes(method as HttpMethod))
        throw new CdfError(405, `Method ${method} is not supported.`);

      if (raw.found) {
        const route = raw.found.route;
        const principal = route.auth ? this.auth.authenticate(req.headers.authorization) : undefined;
        if (principal) this.auth.authorize(principal, route.acl);
        const body = await readRequestBody(req);
        requestJson = body.json;
        response = await route.handler(
          this.#request(req, method as HttpMethod, path, raw.found.params, url, body, principal),
        );
      } else if (projectPath && project) {
        if (!project.found) {
          throw project.methodMismatch
            ? new CdfError(405, `${method} is not allowed on ${projectPath.rest}.`)
            : new CdfError(
                404,
                `${method} ${projectPath.rest} is not an endpoint this emulator serves (see packages/cdf-emulator/README.md for the emulated API).`,
              );
        }
        const route = project.found.route;
        const principal = this.auth.authenticate(req.headers.authorization);
        if (projectPath.project !== this.ctx.project) {
          throw new CdfError(
            403,
            `Resource not found. This may also be due to insufficient access rights. (emulator: project '${projectPath.project}' does not exist here; this emulator serves project '${this.ctx.project}')`,
          );
        }
        this.auth.authorize(principal, route.acl);
        const body = await readRequestBody(req);
        requestJson = body.json;
        response = await route.handler(
          this.#request(
            req,
            method as HttpMethod,
            projectPath.rest,
            project.found.params,
            url,
            body,
            principal,
          ),
        );
      } else {
        throw raw.methodMismatch
          ? new CdfError(405, `${method} is not allowed on ${path}.`)
          : new CdfError(
              404,
              `No such path: ${path}. CDF endpoints live below ${PROJECT_PREFIX}${this.ctx.project}/, the control API below /_emulator/.`,
            );
      }
    } catch (e) {
      response = errorResponse(e, method, path);
    }
    if (afterApply?.drop) {
      this.#count(statsKey, "dropped");
      req.socket.destroy();
      return;
    }
    if (afterApply?.status !== undefined)
      response = errorResponse(PathFaults.afterApplyErrorFor(afterApply.status), method, path);
    const status = response.status ?? 200;
    // The control API is not CDF traffic; counting it would blur request stats of benchmarks.
    if (!path.startsWith("/_emulator/")) this.#count(statsKey, String(status));
    if (this.contractHook && path.startsWith("/api/v1/")) {
      this.contractHook.onExchange(
        method,
        req.url ?? path,
        requestJson,
        status,
        response.body ?? response.raw,
      );
    }
    send(res, status, response, requestId, this.ctx.clock.now());
  }

  #request(
    req: IncomingMessage,
    method: HttpMethod,
    path: string,
    params: Record<string, string>,
    url: URL,
    body: { raw: Buffer; json: unknown },
    principal: EmulatorRequest["principal"],
  ): EmulatorRequest {
    return {
      method,
      path,
      params,
      query: url.searchParams,
      body: body.json,
      rawBody: body.raw,
      headers: req.headers,
      project: this.ctx.project,
      principal,
    };
  }

  #count(key: string, status: string): void {
    const byStatus = this.#requests[key] ?? {};
    byStatus[status] = (byStatus[status] ?? 0) + 1;
    this.#requests[key] = byStatus;
  }
}

function projectRelative(path: string): { project: string; rest: string } {
  const after = path.slice(PROJECT_PREFIX.length);
  const slash = after.indexOf("/");
  const project = decodeURIComponent(slash < 0 ? after : after.slice(0, slash));
  const rest = slash < 0 ? "/" : after.slice(slash);
  return { project, rest };
}

function errorResponse(e: unknown, method: string, path: string): EmulatorResponse {
  if (e instanceof CdfError) {
    const error: Record<string, unknown> = { code: e.status, message: e.message };
    if (e.extra.missing) error.missing = e.extra.missing;
    if (e.extra.duplicated) error.duplicated = e.extra.duplicated;
    if (e.extra.extra) Object.assign(error, e.extra.extra);
    return { status: e.status, body: { error } };
  }
  const message = e instanceof Error ? e.message : String(e);
  console.error(`cdf-emulator: ${method} ${path} failed:`, e);
  return {
    status: 500,
    body: { error: { code: 500, message: `Emulator bug while serving ${method} ${path}: ${message}` } },
  };
}

function send(
  res: ServerResponse,
  status: number,
  response: EmulatorResponse,
  requestId: string,
  now: number,
): void {
  // Node would stamp Date from the wall clock; a function in the emulator learns "now" from this
  // header (CDF's Date is its wall clock), so it must be the virtual clock's, like every other
  // time the emulator reports. HTTP dates carry whole seconds only.
  const headers: Record<string, string> = {
    "x-request-id": requestId,
    date: new Date(now).toUTCString(),
    ...response.headers,
  };
  let payload: Buffer | string | undefined;
  if (response.raw !== undefined) {
    payload = response.raw;
  } else if (response.body !== undefined) {
    payload = JSON.stringify(response.body);
    headers["content-type"] ??= "application/json";
  } else if (status !== 204) {
    payload = "{}";
    headers["content-type"] ??= "application/json";
  }
  if (payload !== undefined) headers["content-length"] = String(Buffer.byteLength(payload));
  res.writeHead(status, headers);
  res.end(payload);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
