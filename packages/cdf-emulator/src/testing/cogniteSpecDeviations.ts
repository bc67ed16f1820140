// Places where Cognite's OpenAPI document disagrees with what CDF accepts or sends, found while
// running the emulator's suites. Each is suppressed for its operation only, with the evidence.

import type { KnownSpecDeviation } from "./contract.js";

export const cogniteSpecDeviations: KnownSpecDeviation[] = [
  {
    operation: "POST /timeseries/data/latest",
    direction: "request",
    error: /\/items\/\d+\/before: must be string/,
    reason:
      "LatestDataPropertyFilter.before is typed string, but its own description says 'You can also specify time " +
      "in milliseconds since epoch', and @cognite/sdk sends a Date as a number.",
  },
  {
    operation: "GET /sessions",
    direction: "request",
    error: /^query "status" \(root\): must be equal to one of the allowed values/,
    reason:
      "The document's `status` enum is lower case; @cognite/sdk (SessionFilter.status 'READY' | 'ACTIVE' | ...) and " +
      "the Python SDK send it upper case, and CDF answers them.",
  },
  {
    operation: "POST /models/instances",
    direction: "response",
    error: /^response 200 body \(root\): missing required property "deleted"$/,
    reason:
      "SlimNodeAndEdgeCollectionResponse requires `deleted` but gives it minItems 1, which an upsert that deletes nothing cannot " +
      "meet; @cognite/sdk 10.5.0 types the answer as {items} only, and the emulator (which deletes nothing in an upsert) leaves it out.",
  },
  {
    operation: "POST /models/instances",
    direction: "request",
    error:
      /^request body \/items\/\d+\/sources\/\d+\/properties\/\w+: must be (string|number|boolean|object|array)$/,
    reason:
      "RawPropertyValueV3 has no null, but CDF takes a null property value in an upsert as 'clear this property' " +
      "(the SDKs send None/null for that).",
  },
  ...[
    "/models/instances",
    "/models/instances/byids",
    "/models/instances/delete",
    "/models/instances/sync",
  ].flatMap((path): KnownSpecDeviation[] =>
    (["request", "response"] as const).map((direction) => ({
      operation: `POST ${path}`,
      direction,
      // With the node branch of a node-or-edge `oneOf` failing on that pattern, the edge branch's
      // complaint about instanceType at the same depth is the one left to read.
      error:
        /(\/externalId: must match pattern "\^\[\^\\\\x00\]\{1,256\}\$"|\/\d+\/instanceType: must be equal to one of the allowed values \["edge"\])$/,
      reason:
        "NodeOrEdgeExternalId's pattern is escaped once too often: ^[^\\\\x00]{1,256}$ excludes '\\', 'x' and '0' rather than " +
        "NUL, so it refuses external ids such as 'pump0' that CDF takes (its description: no null characters).",
    })),
  ),
  // The Functions API. OpenAPI 3.1: a required readOnly property is required in responses only,
  // a required writeOnly one in requests only; the document lists server-set fields as required
  // without marking them, and FunctionCallError requires a `code` it never defines (CDF's call
  // errors, as the Python SDK shows them, carry only message and trace).
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
