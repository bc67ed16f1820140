// Sessions (`/sessions`): the way CDF lets a function call or schedule act as a client.
// A caller creates a session and gets a one-time nonce; the functions service binds the nonce
// (a call or a schedule), and from then on mints tokens for the session. The nonce is short
// lived (README.md, section "CDF facts": about one minute), measured here on the virtual clock.

import { randomBytes } from "node:crypto";
import { z } from "zod";
import { CdfError, type EmulatorContext, type EmulatorStore, type RouteRegistry } from "./context.js";
import { pageOf } from "./pageOf.js";
import { parseRequestBody } from "./parseRequestBody.js";
import { limitOf } from "./requestBody.js";
import { resolveByIds } from "./resolveByIds.js";
import { readStateFile, writeStateFile } from "./stateFile.js";

/** How long a nonce can be bound after the session is created (CDF: about one minute). */
export const NONCE_LIFETIME_MS = 60_000;

export type SessionType = "CLIENT_CREDENTIALS" | "TOKEN_EXCHANGE" | "ONESHOT_TOKEN_EXCHANGE";
export type SessionStatus = "READY" | "ACTIVE" | "CANCELLED" | "EXPIRED" | "REVOKED" | "ACCESS_LOST";

export interface SessionRecord {
  id: number;
  type: SessionType;
  status: SessionStatus;
  /** The client whose capabilities the session's tokens carry. */
  clientId: string;
  creationTime: number;
  nonce: string;
  nonceExpiresAt: number;
  nonceBound: boolean;
  /** Expiry of the last token issued for the session (absent in files saved before it existed). */
  tokenExpiresAt?: number;
}

export interface SessionStore extends EmulatorStore {
  /**
   * Bind a nonce for `purpose` (e.g. "function call"): the session becomes ACTIVE and the nonce
   * can never be used again. Throws CDF's 400 for an unknown, used, expired or revoked nonce.
   */
  bindNonce(nonce: string, purpose: string): SessionRecord;
  get(id: number): SessionRecord | undefined;
  /** A bearer token acting as the session; throws when the session was revoked. */
  issueSessionToken(sessionId: number): string;
  /** Revoke (used when a schedule is deleted: CDF ends the schedule's session with it). */
  revoke(sessionId: number): void;
}

const createSessionsBody = z.object({
  items: z
    .array(
      z.union([
        z.strictObject({ clientId: z.string().min(1), clientSecret: z.string().min(1) }),
        z.strictObject({ tokenExchange: z.literal(true) }),
        z.strictObject({ oneshotTokenExchange: z.literal(true) }),
      ]),
    )
    .min(1)
    .max(1),
});
const sessionIdsBody = z.object({
  items: z
    .array(z.object({ id: z.number().int().positive() }))
    .min(1)
    .max(1000),
});
const revokeBody = z.object({ items: z.array(z.object({ id: z.number() })).min(1) });
// openapi.json lists these in lower case; both Cognite SDKs send them in upper case (the JS SDK's
// SessionFilter.status is 'READY' | 'ACTIVE' | ...), which CDF accepts, so any case is read.
const listStatusValues = ["ready", "active", "cancelled", "revoked", "access_lost"] as const;

/**
 * CDF asks the identity provider for a token with the item's client credentials and answers a
 * rejection with its generic 400 (openapi.json documents no other error status for POST /sessions).
 * The message names the client id only: a secret must never appear in a response or a log.
 */
function checkClientCredentials(ctx: EmulatorContext, clientId: string, clientSecret: string): void {
  if (!ctx.verifyClientCredentials(clientId, clientSecret)) {
    throw new CdfError(
      400,
      `Could not create a session: the identity provider rejected the client credentials of clientId '${clientId}' (unknown client or wrong secret); check items[0].clientId and items[0].clientSecret`,
    );
  }
}

/**
 * A session as list and byids show it. `expirationTime` is "updated on refreshing a token"
 * (openapi.json `Session`): here the expiry of the last token issued for the session, and before
 * any, the end of the nonce's lifetime, the time by which an unbound session is of no use.
 */
function publicSession(s: SessionRecord) {
  return {
    id: s.id,
    type: s.type,
    status: s.status,
    creationTime: s.creationTime,
    expirationTime: s.tokenExpiresAt ?? s.nonceExpiresAt,
    ...(s.type === "CLIENT_CREDENTIALS" ? { clientId: s.clientId } : {}),
  };
}

export function registerSessionRoutes(registry: RouteRegistry, ctx: EmulatorContext): SessionStore {
  let sessions = new Map<number, SessionRecord>();
  let byNonce = new Map<string, SessionRecord>();
  let nextId = 1;

  /** The session of every item, or CDF's 400 listing every unknown id in `missing`. */
  const findAll = (items: Array<{ id: number }>): SessionRecord[] =>
    resolveByIds(items, (i) => sessions.get(i.id), { notFound: "Sessions not found" });

  const store: SessionStore = {
    bindNonce(nonce, purpose) {
      const s = byNonce.get(nonce);
      if (!s) {
        throw new CdfError(
          400,
          `Could not bind the session for the ${purpose}: the nonce is not valid; create a new session (POST /sessions) and pass its nonce`,
        );
      }
      if (s.status === "REVOKED") {
        throw new CdfError(400, `Could not bind the session for the ${purpose}: session ${s.id} was revoked`);
      }
      if (s.nonceBound) {
        throw new CdfError(
          400,
          `Could not bind the session for the ${purpose}: the nonce of session ${s.id} was already used; a nonce can be used once, create a new session`,
        );
      }
      if (ctx.clock.now() > s.nonceExpiresAt) {
        throw new CdfError(
          400,
          `Could not bind the session for the ${purpose}: the nonce of session ${s.id} expired ${NONCE_LIFETIME_MS / 1000} s after the session was created; create a new session right before using it`,
        );
      }
      s.nonceBound = true;
      s.status = "ACTIVE";
      return s;
    },
    get: (id) => sessions.get(id),
    issueSessionToken(sessionId) {
      const s = sessions.get(sessionId);
      if (!s || s.status === "REVOKED") {
        throw new Error(`session ${sessionId} is ${s ? "revoked" : "unknown"}: cannot issue a token for it`);
      }
      const token = ctx.issueToken({ clientId: s.clientId, sessionId: s.id });
      s.tokenExpiresAt = token.expiresAt;
      return token.accessToken;
    },
    revoke(sessionId) {
      const s = sessions.get(sessionId);
      if (s) s.status = "REVOKED";
    },
    reset() {
      sessions = new Map();
      byNonce = new Map();
      nextId = 1;
    },
    async save(dir) {
      await writeStateFile(dir, "sessions.json", { nextId, sessions: [...sessions.values()] });
    },
    async load(dir) {
      const saved = await readStateFile<{ nextId: number; sessions: SessionRecord[] }>(dir, "sessions.json");
      if (!saved) return;
      store.reset();
      nextId = saved.nextId;
      for (const s of saved.sessions) {
        sessions.set(s.id, s);
        byNonce.set(s.nonce, s);
      }
    },
  };
  registry.addStore("sessions", store);

  registry.add({
    method: "POST",
    pattern: "/sessions",
    acl: [{ acl: "sessionsAcl", action: "CREATE" }],
    handler(req) {
      const body = parseRequestBody(createSessionsBody, req.body, "POST /sessions");
      const item = body.items[0];
      let type: SessionType;
      let clientId: string;
      if (item && "clientId" in item) {
        checkClientCredentials(ctx, item.clientId, item.clientSecret);
        type = "CLIENT_CREDENTIALS";
        clientId = item.clientId;
      } else {
        type = item && "oneshotTokenExchange" in item ? "ONESHOT_TOKEN_EXCHANGE" : "TOKEN_EXCHANGE";
        clientId = req.principal?.clientId ?? "";
      }
      const now = ctx.clock.now();
      const session: SessionRecord = {
        id: nextId++,
        type,
        status: "READY",
        clientId,
        creationTime: now,
        nonce: randomBytes(24).toString("base64url"),
        nonceExpiresAt: now + NONCE_LIFETIME_MS,
        nonceBound: false,
      };
      sessions.set(session.id, session);
      byNonce.set(session.nonce, session);
      return {
        body: {
          items: [
            {
              id: session.id,
              type,
              status: session.status,
              nonce: session.nonce,
              ...(type === "CLIENT_CREDENTIALS" ? { clientId } : {}),
            },
          ],
        },
      };
    },
  });

  registry.add({
    method: "GET",
    pattern: "/sessions",
    acl: [{ acl: "sessionsAcl", action: "LIST" }],
    handler(req) {
      const status = req.query.get("status");
      if (status !== null && !(listStatusValues as readonly string[]).includes(status.toLowerCase())) {
        throw new CdfError(
          400,
          `Invalid status '${status}': use one of ${listStatusValues.join(", ")} (any case)`,
        );
      }
      // openapi.json: "Maximum is 1000. Default is 25."
      const limit = limitOf(req.query.get("limit"), "limit", { default: 25, max: 1000 });
      const all = [...sessions.values()].filter((s) => status === null || s.status === status.toUpperCase());
      const page = pageOf(all, req.query.get("cursor"), limit);
      return { body: { ...page, items: page.items.map(publicSession) } };
    },
  });

  registry.add({
    method: "POST",
    pattern: "/sessions/byids",
    acl: [{ acl: "sessionsAcl", action: "LIST" }],
    handler(req) {
      const body = parseRequestBody(sessionIdsBody, req.body, "POST /sessions/byids");
      return { body: { items: findAll(body.items).map(publicSession) } };
    },
  });

  registry.add({
    method: "POST",
    pattern: "/sessions/revoke",
    acl: [{ acl: "sessionsAcl", action: "DELETE" }],
    handler(req) {
      const body = parseRequestBody(revokeBody, req.body, "POST /sessions/revoke");
      return {
        body: {
          items: findAll(body.items).map((s) => {
            s.status = "REVOKED";
            return publicSession(s);
          }),
        },
      };
    },
  });

  return store;
}
