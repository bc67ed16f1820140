// Request bodies of /functions/{functionId}/call and the call lists, with the limits of
// openapi.json (FunctionCallRequest, FunctionCallListScope, FunctionCallIds).
// A body that does not parse is a 400 naming the field (parseRequestBody.ts).

import { z } from "zod";
import { timeRange } from "../timeRange.js";

export const callFunctionRequest = z.object({
  data: z.record(z.string(), z.unknown()).optional(),
  nonce: z
    .string({ error: "nonce is required: create a session (POST /sessions) and pass its nonce" })
    .min(1),
});
export const listCallsRequest = z.strictObject({
  filter: z
    .strictObject({
      scheduleId: z.number().int().optional(),
      status: z.enum(["Running", "Completed", "Failed", "Timeout"]).optional(),
      startTime: timeRange.optional(),
      endTime: timeRange.optional(),
    })
    .optional(),
  limit: z.number().int().min(1).optional(),
  cursor: z.string().optional(),
});
export const callIdsRequest = z.strictObject({
  items: z
    .array(z.strictObject({ id: z.number().int().positive() }))
    .min(1)
    .max(10000),
  ignoreUnknownIds: z.boolean().optional(),
});
