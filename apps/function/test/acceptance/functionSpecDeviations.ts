import type { KnownSpecDeviation } from "@kpi-pipeline/cdf-emulator/testing";

// Where Cognite's OpenAPI document is wrong about the Functions API, as the emulator's own function
// tests declare it (packages/cdf-emulator/test/fixtures/functionKit.ts): the schedule and function
// items list server-set fields as required without marking them readOnly, the schedule's `nonce`
// as required without writeOnly, and FunctionCallError requires a `code` it never defines.
export const FUNCTION_SPEC_DEVIATIONS: KnownSpecDeviation[] = [
  ...["POST /functions", "POST /functions/schedules"].map((operation) => ({
    operation,
    direction: "request" as const,
    error: /missing required property "(id|createdTime|status|when|sessionId)"/,
    reason: "readOnly properties are not required in requests (OpenAPI 3.1)",
  })),
  ...[
    "POST /functions/schedules",
    "POST /functions/schedules/list",
    "POST /functions/schedules/byids",
    "GET /functions/schedules",
    "GET /functions/schedules/{scheduleId}",
  ].map((operation) => ({
    operation,
    direction: "response" as const,
    error: /missing required property "nonce"/,
    reason: "nonce is writeOnly: never returned (OpenAPI 3.1)",
  })),
  ...[
    "GET /functions/{functionId}/calls/{callId}",
    "POST /functions/{functionId}/calls/list",
    "POST /functions/{functionId}/calls/byids",
  ].map((operation) => ({
    operation,
    direction: "response" as const,
    error: /error: missing required property "code"/,
    reason: "FunctionCallError requires an undefined `code`; CDF sends message and trace only",
  })),
];
