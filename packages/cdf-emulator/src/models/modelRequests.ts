// Request bodies of the data-modeling endpoints the emulator serves, as openapi.json gives them
// (SpaceCreateCollection, ListOfSpaceIdsRequest, InstanceBulk, ListOfSpaceExternalIdsRequestWithTyping,
// NodeOrEdgeDeleteRequest, SyncRequest) with CDF's limits. What CDF accepts but the emulator does
// not serve (edges, other views, containers, chained or sorted sync expressions) is refused with a
// 400 that says so, rather than ignored.

import { z } from "zod";
import { COGNITE_TIME_SERIES_VIEW, cogniteTimeSeriesWrite } from "./cogniteTimeSeriesView.js";

/** A field CDF knows but the emulator refuses, with the reason as the message. */
const refused = (message: string) =>
  z
    .unknown()
    .refine((v) => v === undefined, { message })
    .optional();

export const spaceId = z.string().regex(/^[a-zA-Z][a-zA-Z0-9_-]{0,41}[a-zA-Z0-9]?$/, {
  message: "must be a space id: a letter, then up to 42 letters, digits, '_' or '-' (at most 43 in all)",
});
const nodeExternalId = z
  .string()
  .min(1)
  .max(256)
  .refine((s) => !s.includes("\u0000"), { message: "must not contain NUL characters" });

export const spaceUpsertBody = z.strictObject({
  items: z
    .array(
      z.strictObject({
        space: spaceId,
        name: z.string().max(255).optional(),
        description: z.string().max(1024).optional(),
      }),
    )
    .min(1)
    .max(100),
});

export const spaceIdsBody = z.strictObject({
  items: z
    .array(z.strictObject({ space: spaceId }))
    .min(1)
    .max(100),
});

const viewRef = z.strictObject({
  type: z.literal("view"),
  space: z.string(),
  externalId: z.string(),
  version: z.string(),
});
const isTimeSeriesView = (v: { space: string; externalId: string; version: string }) =>
  v.space === COGNITE_TIME_SERIES_VIEW.space &&
  v.externalId === COGNITE_TIME_SERIES_VIEW.externalId &&
  v.version === COGNITE_TIME_SERIES_VIEW.version;
const onlyTimeSeriesView = {
  message:
    "the emulator serves one view: {type: 'view', space: 'cdf_cdm', externalId: 'CogniteTimeSeries', version: 'v1'}",
};

const nodeWrite = z.strictObject({
  instanceType: z.literal("node", {
    message: "the emulator stores nodes only (of the view cdf_cdm:CogniteTimeSeries/v1), not edges",
  }),
  space: spaceId,
  externalId: nodeExternalId,
  existingVersion: z.number().int().min(0).optional(),
  type: refused("node types are not supported by the emulator"),
  sources: z
    .array(
      z.strictObject({
        source: viewRef.refine(isTimeSeriesView, onlyTimeSeriesView),
        properties: cogniteTimeSeriesWrite.optional(),
      }),
    )
    .min(1)
    .max(1)
    .optional(),
});

export const instanceUpsertBody = z.strictObject({
  items: z.array(nodeWrite).min(1).max(1000),
  delete: refused(
    "delete nodes with POST /models/instances/delete (the emulator does not delete in an upsert)",
  ),
  autoCreateDirectRelations: z.boolean().optional(),
  autoCreateStartNodes: z.boolean().optional(),
  autoCreateEndNodes: z.boolean().optional(),
  skipOnVersionConflict: z.boolean().optional(),
  replace: z.boolean().optional(),
});
export type NodeWrite = z.infer<typeof nodeWrite>;

const instanceRef = z.strictObject({
  instanceType: z.enum(["node", "edge"]),
  space: spaceId,
  externalId: nodeExternalId,
});

export const instanceByIdsBody = z.strictObject({
  items: z.array(instanceRef).min(1).max(1000),
  sources: z
    .array(
      z.strictObject({
        source: viewRef.refine(isTimeSeriesView, onlyTimeSeriesView),
        targetUnits: refused("unit conversion is not supported by the emulator"),
      }),
    )
    .max(10)
    .optional(),
  includeTyping: z
    .boolean()
    .refine((v) => v === false, { message: "typing information is not supported by the emulator" })
    .optional(),
});

export const instanceDeleteBody = z.strictObject({
  items: z
    .array(
      instanceRef.extend({
        existingVersion: refused("existingVersion on delete is not supported by the emulator"),
      }),
    )
    .min(1)
    .max(1000),
});

const syncNodeExpression = z.strictObject({
  nodes: z.strictObject({
    filter: z.record(z.string(), z.unknown()).optional(),
    from: refused("chained result expressions are not supported by the emulator's sync"),
    chainTo: refused("chained result expressions are not supported by the emulator's sync"),
    through: refused("chained result expressions are not supported by the emulator's sync"),
    direction: refused("chained result expressions are not supported by the emulator's sync"),
  }),
  limit: z.number().int().min(1).max(2000).optional(),
  skipAlreadyDeleted: z.boolean().optional(),
  mode: z.enum(["onePhase", "twoPhase", "noBackfill"]).optional(),
  backfillSort: refused(
    "backfillSort is not supported by the emulator (nodes come in the order they changed)",
  ),
});

// openapi.json SyncRequest: 1-50 result expressions, 1-50 selections, at most 50 cursors.
const between1And50 = {
  message: "must have 1 to 50 entries",
};
const sizeOk = (o: object) => Object.keys(o).length >= 1 && Object.keys(o).length <= 50;

export const syncBody = z.strictObject({
  with: z
    .record(
      z.string(),
      z.union([syncNodeExpression, z.object({ edges: z.unknown() }).transform(() => "edges" as const)]),
    )
    .refine(sizeOk, between1And50),
  select: z
    .record(
      z.string(),
      z.strictObject({
        sources: z
          .array(
            z.strictObject({
              source: viewRef.refine(isTimeSeriesView, onlyTimeSeriesView),
              properties: z.array(z.string()).min(1),
              targetUnits: refused("unit conversion is not supported by the emulator"),
            }),
          )
          .max(10)
          .optional(),
      }),
    )
    .refine(sizeOk, between1And50),
  cursors: z
    .record(z.string(), z.string())
    .refine((o) => Object.keys(o).length <= 50, { message: "must have at most 50 entries" })
    .optional(),
  parameters: refused("parameters are not supported by the emulator's sync"),
  includeTyping: z
    .boolean()
    .refine((v) => v === false, { message: "typing information is not supported by the emulator" })
    .optional(),
  allowExpiredCursorsAndAcceptMissedDeletes: z.boolean().optional(),
  debug: refused("debug notices are not supported by the emulator"),
});
export type SyncBody = z.infer<typeof syncBody>;
export type SyncNodeExpression = z.infer<typeof syncNodeExpression>;
