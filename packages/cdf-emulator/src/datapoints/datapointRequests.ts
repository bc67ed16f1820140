// Request bodies of `/timeseries/data/list`, `/latest` and `/delete`, as openapi.json gives them
// (DatapointsMultiQuery, DatapointsLatestQuery, DatapointsDeleteQuery), parsed with
// parseRequestBody. Values that depend on the query (times like "2d-ago", granularity, limits per
// kind) are checked where they are resolved. Inserts are checked by hand in insertDatapoints.ts:
// a 100,000-point body would spend more time in a schema than in storing the points.

import { z } from "zod";
import { AGGREGATE_NAMES } from "./aggregateBuilder.js";
import { MAX_TIMESTAMP, MIN_TIMESTAMP } from "./timeSpec.js";

export const MAX_LIST_ITEMS = 100;
export const MAX_DELETE_ITEMS = 10_000;

/** ms, a digit string, "now" or "N[wdhms]-ago" (timeSpec.ts resolves it). */
const time = z.union([z.number(), z.string()]);
const bool = z.boolean();

const reference = {
  id: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional(),
  externalId: z.string().max(255).optional(),
  // openapi.json CogniteInstanceId
  instanceId: z
    .strictObject({ space: z.string().min(1).max(43), externalId: z.string().min(1).max(255) })
    .optional(),
};
const exactlyOneReference = (r: { id?: unknown; externalId?: unknown; instanceId?: unknown }) =>
  [r.id, r.externalId, r.instanceId].filter((x) => x !== undefined).length === 1;
const oneReference = { message: "give exactly one of id, externalId or instanceId" };

const unitConversion = {
  targetUnit: z
    .unknown()
    .refine((v) => v === undefined, { message: "unit conversion is not supported by the emulator" })
    .optional(),
  targetUnitSystem: z
    .unknown()
    .refine((v) => v === undefined, { message: "unit conversion is not supported by the emulator" })
    .optional(),
};

/** The query fields an item may set and the request may set for all items (an item's win). */
const queryFields = {
  start: time.optional(),
  end: time.optional(),
  limit: z.number().int().min(0).optional(),
  aggregates: z.array(z.enum(AGGREGATE_NAMES)).min(1).optional(),
  granularity: z.string().optional(),
  includeOutsidePoints: bool.optional(),
  timeZone: z.string().optional(),
  includeStatus: bool.optional(),
  ignoreBadDataPoints: bool.optional(),
  treatUncertainAsBad: bool.optional(),
  cursor: z.string().optional(),
};
export type DatapointQuery = { [K in keyof typeof queryFields]?: z.infer<(typeof queryFields)[K]> };
export const QUERY_FIELDS = Object.keys(queryFields) as Array<keyof typeof queryFields>;

export const listBody = z.strictObject({
  items: z
    .array(
      z
        .strictObject({ ...reference, ...queryFields, ...unitConversion })
        .refine(exactlyOneReference, oneReference),
    )
    .min(1)
    .max(MAX_LIST_ITEMS),
  ...queryFields,
  ignoreUnknownIds: bool.optional(),
});

export const latestBody = z.strictObject({
  items: z
    .array(
      z
        .strictObject({
          ...reference,
          before: time.optional(),
          includeStatus: bool.optional(),
          ignoreBadDataPoints: bool.optional(),
          treatUncertainAsBad: bool.optional(),
          ...unitConversion,
        })
        .refine(exactlyOneReference, oneReference),
    )
    .min(1)
    .max(MAX_LIST_ITEMS),
  ignoreUnknownIds: bool.optional(),
});

// exclusiveEnd may be one past the last allowed timestamp so that the last one can be deleted.
const deleteTime = (max: number) =>
  z
    .number()
    .int()
    .min(MIN_TIMESTAMP, { message: "must be an integer ms timestamp in 1900-2099" })
    .max(max, { message: "must be an integer ms timestamp in 1900-2099" });

export const deleteBody = z.strictObject({
  items: z
    .array(
      z
        .strictObject({
          ...reference,
          inclusiveBegin: deleteTime(MAX_TIMESTAMP),
          exclusiveEnd: deleteTime(MAX_TIMESTAMP + 1).optional(),
        })
        .refine(exactlyOneReference, oneReference),
    )
    .min(1)
    .max(MAX_DELETE_ITEMS),
});
