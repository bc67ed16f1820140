// Request bodies of the control API (`/_emulator/*`), parsed with parseRequestBody like every
// CDF body: a body that does not parse is a 400 naming the field and what it takes.

import { z } from "zod";
import { controlTimeSeriesCreate } from "./timeseries/index.js";

const msOrText = z.union([z.number(), z.string()]);

export const clockBody = z.union(
  [
    z.strictObject({ set: msOrText, wait: z.boolean().optional() }),
    z.strictObject({ advance: msOrText, wait: z.boolean().optional() }),
  ],
  {
    error:
      'takes {"set": <ms or ISO time>} or {"advance": <ms or "10m">}, each with an optional "wait": boolean',
  },
);

export const pathFaultBody = z.strictObject({
  path: z.string().min(1),
  method: z.string().optional(),
  status: z.union([z.literal(429), z.literal(500), z.literal(502), z.literal(503)]).optional(),
  probability: z.number().min(0).max(1).optional(),
  count: z.number().int().min(1).optional(),
  latencyMs: z.number().min(0).optional(),
  drop: z.boolean().optional(),
  afterApply: z.boolean().optional(),
});

export const functionFaultBody = z.strictObject({
  function: z.string().min(1),
  failDeploy: z.boolean().optional(),
  skipTickProbability: z.number().min(0).max(1).optional(),
  crashAfterDatapointWrites: z.number().int().min(1).optional(),
  lateTickProbability: z.number().min(0).max(1).optional(),
  lateTickMs: z.number().int().min(1).max(86_400_000).optional(),
  duplicateTickProbability: z.number().min(0).max(1).optional(),
});

export const subscriptionFaultBody = z.strictObject({
  subscription: z.string().min(1),
  redeliverProbability: z.number().min(0).max(1).optional(),
  reorderPartitions: z.boolean().optional(),
});

export const faultBody = z.union([pathFaultBody, functionFaultBody, subscriptionFaultBody], {
  error:
    'takes {"path": "<glob or regex>", "status"?: 429|500|502|503, "probability"?, "count"?, "latencyMs"?, "drop"?, "afterApply"?} or {"function": "<externalId>", "failDeploy"?, "skipTickProbability"?, "lateTickProbability"?, "lateTickMs"?, "duplicateTickProbability"?, "crashAfterDatapointWrites"?} or {"subscription": "<externalId or *>", "redeliverProbability"?, "reorderPartitions"?}',
});

export const clientBody = z.strictObject({
  clientId: z.string().min(1),
  clientSecret: z.string().min(1),
  capabilities: z.array(z.record(z.string(), z.unknown())).optional(),
});

export const controlTimeSeriesBody = z.object({ items: z.array(controlTimeSeriesCreate).min(1).max(1000) });
