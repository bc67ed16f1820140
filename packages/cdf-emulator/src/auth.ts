// Authentication and authorization as CDF does it: an identity provider's OAuth2 token endpoint
// (client credentials, form post) issues opaque bearer tokens that expire on the virtual clock;
// every CDF request carries `Authorization: Bearer <token>`; each route names the ACL it needs
// and the caller's capabilities (set per client) must grant it. `/api/v1/token/inspect` reports
// the capabilities in CDF's shape, so least-privilege setups can be tested end to end.

import { randomBytes } from "node:crypto";
import type {
  AclRequirement,
  EmulatorContext,
  EmulatorRequest,
  EmulatorResponse,
  Principal,
  RouteRegistry,
} from "./context.js";
import { CdfError } from "./context.js";
import { readStateFile, writeStateFile } from "./stateFile.js";

/** One capability as CDF writes it: `{ timeSeriesAcl: { actions: ["READ"], scope: { all: {} } } }`. */
export type Capability = Record<string, { actions: string[]; scope: Record<string, unknown> }>;

export interface ClientDefinition {
  clientId: string;
  clientSecret: string;
  /** Defaults to every ACL the emulator knows, with every action. */
  capabilities?: Capability[];
}

interface StoredToken {
  clientId: string;
  sessionId?: number;
  expiresAt: number;
}

/** Every ACL and action the emulator checks: what the default client holds. */
export const ALL_CAPABILITIES: Capability[] = [
  { timeSeriesAcl: { actions: ["READ", "WRITE"], scope: { all: {} } } },
  { rawAcl: { actions: ["READ", "WRITE", "LIST"], scope: { all: {} } } },
  { functionsAcl: { actions: ["READ", "WRITE", "RUN"], scope: { all: {} } } },
  { sessionsAcl: { actions: ["LIST", "CREATE", "DELETE"], scope: { all: {} } } },
  { filesAcl: { actions: ["READ", "WRITE"], scope: { all: {} } } },
  { timeSeriesSubscriptionsAcl: { actions: ["READ", "WRITE"], scope: { all: {} } } },
  { projectsAcl: { actions: ["LIST", "READ"], scope: { all: {} } } },
  { groupsAcl: { actions: ["LIST", "READ", "CREATE", "UPDATE", "DELETE"], scope: { all: {} } } },
  { dataModelsAcl: { actions: ["READ", "WRITE"], scope: { all: {} } } },
  { dataModelInstancesAcl: { actions: ["READ", "WRITE"], scope: { all: {} } } },
];

export const TOKEN_PATH = "/oauth2/token";

export class AuthService {
  readonly #clients = new Map<string, { clientSecret: string; capabilities: Capability[] }>();
  readonly #tokens = new Map<string, StoredToken>();
  readonly #ctx: Pick<EmulatorContext, "clock" | "settings">;
  readonly #tokenUrl: () => string;

  constructor(ctx: Pick<EmulatorContext, "clock" | "settings">, tokenUrl: () => string) {
    this.#ctx = ctx;
    this.#tokenUrl = tokenUrl;
  }

  addClient(client: ClientDefinition): void {
    if (!client.clientId || !client.clientSecret) {
      throw new CdfError(400, "A client needs a non-empty clientId and clientSecret.");
    }
    const capabilities = client.capabilities ?? ALL_CAPABILITIES;
    for (const [i, capability] of capabilities.entries()) {
      const entries = Object.entries(capability).filter(([k]) => k !== "projectScope");
      const acl = entries[0];
      if (entries.length !== 1 || !acl || !Array.isArray(acl[1]?.actions)) {
        throw new CdfError(
          400,
          `capabilities[${i}] of client '${client.clientId}' must look like { "timeSeriesAcl": { "actions": ["READ"], "scope": { "all": {} } } }.`,
        );
      }
    }
    this.#clients.set(client.clientId, { clientSecret: client.clientSecret, capabilities });
  }

  hasClient(clientId: string): boolean {
    return this.#clients.has(clientId);
  }

  /** What the identity provider checks before it issues a token: a known client with its own secret. */
  verifyClientCredentials(clientId: string, clientSecret: string): boolean {
    return this.#clients.get(clientId)?.clientSecret === clientSecret;
  }

  issueToken(principal: { clientId: string; sessionId?: number }): {
    accessToken: string;
    expiresAt: number;
  } {
    const accessToken = `emu.${randomBytes(24).toString("base64url")}`;
    const expiresAt = this.#ctx.clock.now() + this.#ctx.settings.tokenLifetimeMs;
    const stored: StoredToken = { clientId: principal.clientId, expiresAt };
    if (principal.sessionId !== undefined) stored.sessionId = principal.sessionId;
    this.#tokens.set(accessToken, stored);
    return { accessToken, expiresAt };
  }

  /** The caller behind an `Authorization` header, or a 401 with a reason a person can act on. */
  authenticate(header: string | string[] | undefined): Principal {
    const value = Array.isArray(header) ? header[0] : header;
    if (!value) {
      throw new CdfError(
        401,
        `Unauthorized: the request has no 'Authorization: Bearer <token>' header. Get a token from ${this.#tokenUrl()} (client credentials).`,
      );
    }
    const match = /^Bearer\s+(.+)$/i.exec(value.trim());
    if (!match?.[1]) {
      throw new CdfError(401, "Unauthorized: the Authorization header must be 'Bearer <token>'.");
    }
    const token = match[1];
    const stored = this.#tokens.get(token);
    if (!stored) {
      throw new CdfError(
        401,
        `Unauthorized: the bearer token is not one this emulator issued (was it reset or restarted without --data-dir?). Get a new one from ${this.#tokenUrl()}.`,
      );
    }
    if (this.#ctx.clock.now() >= stored.expiresAt) {
      throw new CdfError(
        401,
        `Unauthorized: the bearer token expired at ${new Date(stored.expiresAt).toISOString()} (virtual clock now ${new Date(this.#ctx.clock.now()).toISOString()}). Get a new one from ${this.#tokenUrl()}.`,
      );
    }
    const principal: Principal = { clientId: stored.clientId, token };
    if (stored.sessionId !== undefined) principal.sessionId = stored.sessionId;
    return principal;
  }

  /** 403 unless the caller holds one of the required ACL actions. */
  authorize(principal: Principal, required: AclRequirement[] | undefined): void {
    if (!required || required.length === 0) return;
    const capabilities = this.capabilitiesOf(principal.clientId);
    const granted = required.some((r) =>
      capabilities.some((c) => {
        const acl = c[r.acl];
        return acl?.actions.includes(r.action) === true;
      }),
    );
    if (!granted) {
      const needed = required.map((r) => `${r.acl}:${r.action}`).join(" or ");
      throw new CdfError(
        403,
        `Resource not found. This may also be due to insufficient access rights. (emulator: client '${principal.clientId}' lacks ${needed}; grant it in the client's capabilities)`,
      );
    }
  }

  capabilitiesOf(clientId: string): Capability[] {
    return this.#clients.get(clientId)?.capabilities ?? [];
  }

  /** `POST /oauth2/token`: OAuth2 client credentials, answered as an identity provider does. */
  tokenEndpoint(req: EmulatorRequest): EmulatorResponse {
    const form = new URLSearchParams(req.rawBody.toString("utf8"));
    const basic = basicCredentials(req.headers.authorization);
    const grantType = form.get("grant_type");
    const clientId = form.get("client_id") ?? basic?.clientId;
    const clientSecret = form.get("client_secret") ?? basic?.clientSecret;
    if (grantType !== "client_credentials") {
      return oauthError(
        400,
        "unsupported_grant_type",
        `grant_type must be 'client_credentials' (got ${grantType === null ? "none" : `'${grantType}'`}); send an application/x-www-form-urlencoded body.`,
      );
    }
    if (!clientId || clientSecret === undefined || !this.verifyClientCredentials(clientId, clientSecret)) {
      return oauthError(
        401,
        "invalid_client",
        clientId
          ? `Client '${clientId}' is unknown or its secret is wrong.`
          : "client_id and client_secret are required (form fields or HTTP Basic auth).",
      );
    }
    const { accessToken } = this.issueToken({ clientId });
    return {
      status: 200,
      headers: { "cache-control": "no-store" },
      body: {
        access_token: accessToken,
        token_type: "Bearer",
        expires_in: Math.floor(this.#ctx.settings.tokenLifetimeMs / 1000),
      },
    };
  }

  /** Forget tokens but keep clients: a reset must not lock out the test that asked for it. */
  clearTokens(): void {
    this.#tokens.clear();
  }

  async save(dir: string): Promise<void> {
    await writeStateFile(dir, "auth.json", {
      clients: [...this.#clients].map(([clientId, c]) => ({ clientId, ...c })),
      tokens: [...this.#tokens].map(([token, t]) => ({ token, ...t })),
    });
  }

  async load(dir: string): Promise<void> {
    const state = await readStateFile<{
      clients: Array<{ clientId: string; clientSecret: string; capabilities: Capability[] }>;
      tokens: Array<StoredToken & { token: string }>;
    }>(dir, "auth.json");
    if (!state) return;
    for (const c of state.clients) {
      this.#clients.set(c.clientId, { clientSecret: c.clientSecret, capabilities: c.capabilities });
    }
    for (const { token, ...t } of state.tokens) this.#tokens.set(token, t);
  }
}

function basicCredentials(
  header: string | string[] | undefined,
): { clientId: string; clientSecret: string } | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  const match = value ? /^Basic\s+(.+)$/i.exec(value) : null;
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) return undefined;
  return {
    clientId: decodeURIComponent(decoded.slice(0, colon)),
    clientSecret: decodeURIComponent(decoded.slice(colon + 1)),
  };
}

function oauthError(status: number, error: string, description: string): EmulatorResponse {
  return { status, body: { error, error_description: description } };
}

/** The token endpoint and `/api/v1/token/inspect`. */
export function registerAuthRoutes(registry: RouteRegistry, ctx: EmulatorContext, auth: AuthService): void {
  registry.addRaw({
    method: "POST",
    pattern: TOKEN_PATH,
    auth: false,
    handler: (req) => auth.tokenEndpoint(req),
  });
  // CDF serves token/inspect outside the project path; any valid token may call it.
  registry.addRaw({
    method: "GET",
    pattern: "/api/v1/token/inspect",
    auth: true,
    handler: (req) => {
      const principal = req.principal as Principal;
      return {
        body: {
          subject: principal.clientId,
          projects: [{ projectUrlName: ctx.project, groups: [] }],
          capabilities: auth
            .capabilitiesOf(principal.clientId)
            .map((c) => ({ ...c, projectScope: { projects: [ctx.project] } })),
        },
      };
    },
  });
}
