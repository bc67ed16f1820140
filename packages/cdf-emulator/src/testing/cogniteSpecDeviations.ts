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
];
