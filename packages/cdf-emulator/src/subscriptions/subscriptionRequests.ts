// Request bodies of /timeseries/subscriptions/*, with the limits of openapi.json
// (SubscriptionsCreateRequest, SubscriptionsUpdateRequest, SubscriptionsListDataRequest, ...).
// Parsed with parseRequestBody: a body that does not parse is a 400 naming the field, as CDF answers.

import { z } from "zod";

const externalId = z.string().min(1).max(255);
const instanceId = z.strictObject({
  space: z.string().min(1).max(43),
  externalId: z.string().min(1).max(255),
});

// CDF: "The list can initially contain up to 100 time series"; updates add <= 100 per call.
const externalIds = z.array(externalId).min(1).max(100);
const instanceIds = z.array(instanceId).min(1).max(100);

export const createSubscriptionRequest = z.strictObject({
  items: z
    .array(
      z.strictObject({
        externalId,
        name: z.string().max(255).optional(),
        description: z.string().max(1000).optional(),
        dataSetId: z.number().int().min(1).optional(),
        partitionCount: z.number().int().min(1).max(100),
        timeSeriesIds: externalIds.optional(),
        instanceIds: instanceIds.optional(),
        filter: z.record(z.string(), z.unknown()).optional(),
      }),
    )
    .length(1),
});

const byExternalIdItems = z.strictObject({
  items: z.array(z.strictObject({ externalId })).length(1),
  ignoreUnknownIds: z.boolean().optional(),
});
export const byIdsSubscriptionRequest = byExternalIdItems;
export const deleteSubscriptionRequest = byExternalIdItems;

function listPatch<T extends z.ZodType>(list: T) {
  return z.union([
    z.strictObject({ set: list }),
    z.strictObject({ add: list.optional(), remove: list.optional() }),
  ]);
}
const nullableString = z.union([
  z.strictObject({ set: z.string() }),
  z.strictObject({ setNull: z.literal(true) }),
]);
const nullableLong = z.union([
  z.strictObject({ set: z.number().int() }),
  z.strictObject({ setNull: z.literal(true) }),
]);

export const updateSubscriptionRequest = z.strictObject({
  items: z
    .array(
      z.strictObject({
        externalId,
        update: z.strictObject({
          name: nullableString.optional(),
          description: nullableString.optional(),
          dataSetId: nullableLong.optional(),
          timeSeriesIds: listPatch(externalIds).optional(),
          instanceIds: listPatch(instanceIds).optional(),
          filter: z.strictObject({ set: z.record(z.string(), z.unknown()) }).optional(),
        }),
      }),
    )
    .length(1),
});

export const listSubscriptionDataRequest = z.strictObject({
  externalId,
  partitions: z.array(z.strictObject({ index: z.number().int().min(0), cursor: z.string().optional() })),
  limit: z.number().int().min(1).max(100_000).default(100),
  initializeCursors: z.string().optional(),
  // CDF's default is 5 s: a poll with nothing new waits that long unless told otherwise.
  pollTimeoutSeconds: z.number().int().min(0).max(5).default(5),
  includeStatus: z.boolean().default(false),
  ignoreBadDataPoints: z.boolean().default(true),
  treatUncertainAsBad: z.boolean().default(true),
});

export type CreateSubscriptionItem = z.infer<typeof createSubscriptionRequest>["items"][number];
export type SubscriptionUpdate = z.infer<typeof updateSubscriptionRequest>["items"][number]["update"];
export type ListSubscriptionDataRequest = z.infer<typeof listSubscriptionDataRequest>;
export type InstanceIdRef = z.infer<typeof instanceId>;
