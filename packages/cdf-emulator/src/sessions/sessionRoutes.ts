// The routes of `/sessions*`: create (client credentials or token exchange), list, byids, revoke.

import { CdfError, type EmulatorContext, type RouteRegistry } from "../context.js";
import { pageOf } from "../pageOf.js";
import { parseRequestBody } from "../parseRequestBody.js";
import { limitOf } from "../requestBody.js";
import { createSessionsBody, listStatusValues, revokeBody, sessionIdsBody } from "./sessionRequests.js";
import { type SessionRecord, SessionStore, type SessionType } from "./sessionStore.js";

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
  const store = new SessionStore(ctx);
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
      const session = store.create(type, clientId);
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
      const all = store.all().filter((s) => status === null || s.status === status.toUpperCase());
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
      return { body: { items: store.findAll(body.items).map(publicSession) } };
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
          items: store.findAll(body.items).map((s) => {
            store.revoke(s.id);
            return publicSession(s);
          }),
        },
      };
    },
  });

  return store;
}
