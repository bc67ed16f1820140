// Request bodies of `/files*`, as openapi.json gives them (ExternalFilesMetadata, FileFilterRequest,
// ...), parsed with parseRequestBody.

import { z } from "zod";
import { timeRange } from "../timeRange.js";

const fileMetadataFields = {
  externalId: z.string().min(1).max(255).optional(),
  name: z.string().min(1).max(256),
  directory: z.string().max(512).optional(),
  source: z.string().max(128).optional(),
  mimeType: z.string().max(256).optional(),
  metadata: z.record(z.string(), z.string()).optional(),
  assetIds: z.array(z.number().int().positive()).min(1).max(1000).optional(),
  dataSetId: z.number().int().positive().optional(),
  sourceCreatedTime: z.number().int().min(0).optional(),
  sourceModifiedTime: z.number().int().min(0).optional(),
  securityCategories: z.array(z.number().int().positive()).max(100).optional(),
  labels: z.array(z.object({ externalId: z.string() })).optional(),
  geoLocation: z.record(z.string(), z.unknown()).optional(),
};
export const createFileBody = z.strictObject(fileMetadataFields);
export type FileMetadataInput = z.infer<typeof createFileBody>;

export const fileRef = z.union([
  z.strictObject({ id: z.number().int().positive() }),
  z.strictObject({ externalId: z.string().min(1) }),
]);
export type FileRef = z.infer<typeof fileRef>;
export const byIdsBody = z.strictObject({
  items: z.array(fileRef).min(1).max(1000),
  ignoreUnknownIds: z.boolean().optional(),
});
export const downloadLinkBody = z.strictObject({ items: z.array(fileRef).min(1).max(100) });
export const listBody = z.strictObject({
  filter: z
    .strictObject({
      name: z.string().optional(),
      directoryPrefix: z.string().max(512).optional(),
      mimeType: z.string().optional(),
      metadata: z.record(z.string(), z.string()).optional(),
      source: z.string().optional(),
      externalIdPrefix: z.string().optional(),
      uploaded: z.boolean().optional(),
      createdTime: timeRange.optional(),
      lastUpdatedTime: timeRange.optional(),
      uploadedTime: timeRange.optional(),
    })
    .optional(),
  limit: z.number().int().min(1).max(1000).optional(),
  cursor: z.string().optional(),
  partition: z.string().optional(),
});
