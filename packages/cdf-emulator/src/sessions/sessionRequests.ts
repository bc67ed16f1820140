// Request bodies and query values of `/sessions*`, as openapi.json gives them
// (CreateSessionRequestList, SessionReferenceIds, the list's `status`), parsed with parseRequestBody.

import { z } from "zod";

export const createSessionsBody = z.object({
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
export const sessionIdsBody = z.object({
  items: z
    .array(z.object({ id: z.number().int().positive() }))
    .min(1)
    .max(1000),
});
export const revokeBody = z.object({ items: z.array(z.object({ id: z.number() })).min(1) });
// openapi.json lists these in lower case; both Cognite SDKs send them in upper case (the JS SDK's
// SessionFilter.status is 'READY' | 'ACTIVE' | ...), which CDF accepts, so any case is read.
export const listStatusValues = ["ready", "active", "cancelled", "revoked", "access_lost"] as const;
