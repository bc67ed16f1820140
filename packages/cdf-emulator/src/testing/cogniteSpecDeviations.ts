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
];
