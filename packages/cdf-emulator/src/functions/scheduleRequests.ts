// Request bodies of /functions/schedules (create, list, byids, delete), with the limits of
// openapi.json (FunctionSchedule, FunctionScheduleScope, FunctionScheduleIds).
// A body that does not parse is a 400 naming the field (parseRequestBody.ts).

import { z } from "zod";
import { timeRange } from "../timeRange.js";

export const createScheduleRequest = z.object({
  items: z
    .array(
      z
        .strictObject({
          name: z.string().min(1).max(140),
          description: z.string().max(500).optional(),
          cronExpression: z.string().min(1).max(1024),
          functionId: z.number().int().positive().optional(),
          functionExternalId: z.string().min(1).optional(),
          data: z.record(z.string(), z.unknown()).optional(),
          nonce: z
            .string({ error: "nonce is required: create a session (POST /sessions) and pass its nonce" })
            .min(1),
        })
        .refine((s) => s.functionId !== undefined || s.functionExternalId !== undefined, {
          message: "give functionId or functionExternalId",
        }),
    )
    .min(1)
    .max(1),
});
export const listSchedulesRequest = z.strictObject({
  filter: z
    .strictObject({
      name: z.string().optional(),
      // openapi.json spells these with a capital F; the SDKs send functionId.
      FunctionId: z.number().int().optional(),
      FunctionExternalId: z.string().optional(),
      functionId: z.number().int().optional(),
      functionExternalId: z.string().optional(),
      createdTime: timeRange.optional(),
      cronExpression: z.string().optional(),
    })
    .optional(),
  limit: z.number().int().min(1).optional(),
});
export const scheduleIdsRequest = z.strictObject({
  items: z
    .array(z.strictObject({ id: z.number().int().positive() }))
    .min(1)
    .max(10000),
  ignoreUnknownIds: z.boolean().optional(),
});
