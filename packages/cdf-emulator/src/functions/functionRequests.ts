// Request bodies of /functions (create, list, byids, delete), with the limits of openapi.json
// (FunctionListScope, FunctionIdEither, Function) and CDF's published limits (functionLimits.ts).
// A body that does not parse is a 400 naming the field (parseRequestBody.ts).

import { z } from "zod";
import { timeRange } from "../timeRange.js";
import { FUNCTION_LIMITS, FUNCTION_RUNTIMES } from "./functionLimits.js";

const { cpuCores, memoryGb } = FUNCTION_LIMITS;
export const createFunctionRequest = z.object({
  items: z
    .array(
      z.strictObject({
        name: z.string().min(1).max(140),
        externalId: z.string().min(1).max(255).optional(),
        description: z.string().max(500).optional(),
        fileId: z.number().int().positive(),
        owner: z.string().max(128).optional(),
        functionPath: z.string().min(1).max(500).optional(),
        metadata: z
          .record(
            z.string().max(FUNCTION_LIMITS.metadataKeyLength),
            z.string().max(FUNCTION_LIMITS.metadataValueLength),
          )
          .refine((m) => Object.keys(m).length <= FUNCTION_LIMITS.metadataPairs, {
            message: `at most ${FUNCTION_LIMITS.metadataPairs} key-value pairs`,
          })
          .optional(),
        secrets: z
          .record(z.string(), z.string())
          .refine((m) => Object.keys(m).length <= FUNCTION_LIMITS.secrets, {
            message: `at most ${FUNCTION_LIMITS.secrets} secrets`,
          })
          .optional(),
        envVars: z
          .record(z.string(), z.string())
          .refine((m) => Object.keys(m).length <= 100, { message: "at most 100 environment variables" })
          .optional(),
        cpu: z.number().min(cpuCores.min).max(cpuCores.max).optional(),
        memory: z.number().min(memoryGb.min).max(memoryGb.max).optional(),
        runtime: z.enum(FUNCTION_RUNTIMES).optional(),
        indexUrl: z.string().optional(),
        extraIndexUrls: z.array(z.string()).optional(),
      }),
    )
    .min(1)
    .max(1),
});

export const functionRef = z.union([
  z.strictObject({ id: z.number().int().positive() }),
  z.strictObject({ externalId: z.string().min(1) }),
]);
export const functionRefsRequest = z.strictObject({
  items: z.array(functionRef).min(1).max(10),
  ignoreUnknownIds: z.boolean().optional(),
});
export const listFunctionsRequest = z.strictObject({
  filter: z
    .strictObject({
      name: z.string().optional(),
      owner: z.string().optional(),
      fileId: z.number().int().optional(),
      status: z.enum(["Queued", "Deploying", "Ready", "Failed"]).optional(),
      externalIdPrefix: z.string().optional(),
      createdTime: timeRange.optional(),
      metadata: z.record(z.string(), z.string()).optional(),
    })
    .optional(),
  limit: z.number().int().min(1).optional(),
});
